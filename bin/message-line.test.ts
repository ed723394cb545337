import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Topics } from '../protocol/index.ts';
import { messageLine, summarize } from './message-line.ts';

const AT = '2026-12-03T10:00:00.000Z';
const session = (i: number) => `6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e${String(i).padStart(2, '0')}`;
const push = (i: number) => ({
  session_id: session(i),
  app_name: 'dummy-app',
  redirect_url: 'https://modt.example/apps/dummy-app/',
  latency_ms: i,
});

describe('a line of an announcement of pushes', () => {
  test('counts the pushes and sums up each, when there are few', () => {
    const line = summarize({ pushes: [push(1), push(2)], timestamp: AT });
    assert.equal(
      line,
      `pushes=2 [session_id=${session(1)} app_name=dummy-app ` +
        'redirect_url=https://modt.example/apps/dummy-app/ latency_ms=1] ' +
        `[session_id=${session(2)} app_name=dummy-app ` +
        'redirect_url=https://modt.example/apps/dummy-app/ latency_ms=2]',
    );
  });

  test('names the first three of many and counts the rest', () => {
    const pushes = Array.from({ length: 10 }, (_, i) => push(i));
    const line = summarize({ pushes, timestamp: AT });
    assert.ok(line.startsWith('pushes=10 ['), line);
    assert.ok(line.endsWith(' +7 more'), line);
    assert.equal(line.match(/session_id=/g)?.length, 3);
  });

  test('says why one in the form before batching would be dropped', () => {
    const bytes = Buffer.from(JSON.stringify({ ...push(1), timestamp: AT }));
    assert.match(messageLine(AT, Topics.redirectPushed, bytes), /refused MODT_ERR_PAYLOAD_INVALID/);
  });
});
