import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_ANNOUNCED_PUSHES, RedirectPushed, decodePayload } from '../protocol/index.ts';
import { ANNOUNCEMENT_BYTES, PushAnnouncer } from './push-announcer.ts';
import type { Push } from './redirect-dispatcher.ts';

const AT = Date.UTC(2026, 11, 3, 10, 0, 0);
const EVERY_MS = 20;

const pushOf = (i: number, url = 'https://modt.example/apps/dummy-app/'): Push => ({
  sessionId: `6f1c2a4e-3b5d-4c7e-9f80-${String(i).padStart(12, '0')}`,
  appName: 'dummy-app',
  url,
  latencyMs: i + 0.4,
  sockets: 1,
  resend: false,
});

/** An announcer whose messages are kept, each checked against the topic's schema. */
function announcer() {
  const messages: { bytes: number; sessions: string[] }[] = [];
  const publish = (payload: string) => {
    const decoded = decodePayload(Buffer.from(payload), RedirectPushed, 64 * 1024);
    assert.ok(decoded.ok, JSON.stringify(decoded));
    const bytes = Buffer.byteLength(payload);
    messages.push({ bytes, sessions: decoded.value.pushes.map((p) => p.session_id) });
  };
  return { messages, announcer: new PushAnnouncer(publish, () => AT, EVERY_MS) };
}

describe('the announcement of pushes', () => {
  test('a push waits for the others of its window, then goes in one message with them',
    async () => {
      const { messages, announcer: a } = announcer();
      a.add(pushOf(1));
      a.add(pushOf(2));
      assert.equal(messages.length, 0);
      await sleep(EVERY_MS * 3);
      const both = [pushOf(1).sessionId, pushOf(2).sessionId];
      assert.deepEqual(messages.map((m) => m.sessions), [both]);
    });

  test(`past ${MAX_ANNOUNCED_PUSHES} pushes a message goes at once, the rest in the next`,
    async () => {
      const { messages, announcer: a } = announcer();
      // Short URLs, so that the count is reached before the byte bound.
      for (let i = 0; i < 150; i++) a.add(pushOf(i, 'https://m.test/a/'));
      assert.deepEqual(messages.map((m) => m.sessions.length), [MAX_ANNOUNCED_PUSHES]);
      await sleep(EVERY_MS * 3);
      assert.deepEqual(messages.map((m) => m.sessions.length), [MAX_ANNOUNCED_PUSHES, 50]);
      const named = messages.flatMap((m) => m.sessions);
      assert.deepEqual(named, Array.from({ length: 150 }, (_, i) => pushOf(i).sessionId));
    });

  test('a message stays under its byte bound, even where every character is escaped', () => {
    const { messages, announcer: a } = announcer();
    const escaped = `https://modt.example/apps/dummy-app/${'\u0001'.repeat(1000)}`;
    const plain = `https://modt.example/apps/${'é'.repeat(1000)}`;
    for (let i = 0; i < 40; i++) a.add(pushOf(i, i % 2 === 0 ? escaped : plain));
    a.flush();
    assert.ok(messages.length > 1, `${messages.length} messages`);
    for (const { bytes } of messages) assert.ok(bytes <= ANNOUNCEMENT_BYTES, `${bytes} bytes`);
    assert.equal(messages.flatMap((m) => m.sessions).length, 40);
  });

  test('flush announces what waits at once, and only once', async () => {
    const { messages, announcer: a } = announcer();
    a.add(pushOf(1));
    a.flush();
    assert.equal(messages.length, 1);
    a.flush();
    await sleep(EVERY_MS * 3);
    assert.equal(messages.length, 1);
  });

  test('a latency is announced in whole milliseconds, never below zero', async () => {
    const announced: string[] = [];
    const a = new PushAnnouncer((payload) => announced.push(payload), () => AT, EVERY_MS);
    a.add({ ...pushOf(1), latencyMs: 12.6 });
    a.add({ ...pushOf(2), latencyMs: -0.2 });
    a.flush();
    const { pushes, timestamp } = JSON.parse(announced[0]!);
    assert.deepEqual(pushes.map((p: { latency_ms: number }) => p.latency_ms), [13, 0]);
    assert.equal(timestamp, new Date(AT).toISOString());
  });
});
