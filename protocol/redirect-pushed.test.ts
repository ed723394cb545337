import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ErrorCodes,
  MAX_ANNOUNCED_PUSHES,
  RedirectPushed,
  Topics,
  decodePayload,
  schemaByTopic,
} from './index.ts';

const push = {
  session_id: '6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f',
  app_name: 'dummy-app',
  redirect_url: 'https://modt.example/apps/dummy-app/',
  latency_ms: 14,
};
const timestamp = '2026-12-03T10:07:04.137Z';
const pushed = { pushes: [push], timestamp };
/** An announcement of one push with `change` made to it. */
const withPush = (change: object) => ({ pushes: [{ ...push, ...change }], timestamp });

const decode = (value: unknown) =>
  decodePayload(Buffer.from(JSON.stringify(value)), RedirectPushed, 64 * 1024);

describe('modt/gateway/pushed', () => {
  test('the topic has its schema among the protocol schemas', () => {
    assert.equal(Topics.redirectPushed, 'modt/gateway/pushed');
    assert.equal(schemaByTopic[Topics.redirectPushed], RedirectPushed);
  });

  const accepted: [name: string, value: object][] = [
    ['an announcement of one push', pushed],
    [`one of ${MAX_ANNOUNCED_PUSHES} pushes`, { pushes: Array(MAX_ANNOUNCED_PUSHES).fill(push),
      timestamp }],
    ['one with extra keys', { ...withPush({ sockets: 2 }), turn: 7 }],
    ['a push in the same millisecond as the login', withPush({ latency_ms: 0 })],
  ];
  for (const [name, value] of accepted) {
    test(`${name} is accepted`, () => {
      const decoded = decode(value);
      assert.ok(decoded.ok, JSON.stringify(decoded));
    });
  }

  const { latency_ms: _latency, ...withoutLatency } = push;
  const refused: [name: string, value: object][] = [
    ['one without latency_ms', { pushes: [withoutLatency], timestamp }],
    ['a negative latency', withPush({ latency_ms: -1 })],
    ['a fractional latency', withPush({ latency_ms: 1.5 })],
    ['a session_id that is no UUID', withPush({ session_id: 'browser-1' })],
    ['a redirect_url that is not http(s)', withPush({ redirect_url: 'javascript:alert(1)' })],
    ['a timestamp that is not ISO 8601', { ...pushed, timestamp: 'yesterday' }],
    ['an empty app_name', withPush({ app_name: '' })],
    ['one push alone, not in a list (the form before batching)', { ...push, timestamp }],
    ['an announcement of no push', { pushes: [], timestamp }],
    [`one of more than ${MAX_ANNOUNCED_PUSHES} pushes`, {
      pushes: Array(MAX_ANNOUNCED_PUSHES + 1).fill(push), timestamp }],
  ];
  for (const [name, value] of refused) {
    test(`${name} is refused as invalid`, () => {
      const decoded = decode(value);
      assert.equal(decoded.ok, false);
      if (!decoded.ok) assert.equal(decoded.error.code, ErrorCodes.PAYLOAD_INVALID);
    });
  }
});
