import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes, RedirectPushed, Topics, decodePayload, schemaByTopic } from './index.ts';

const pushed = {
  session_id: '6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f',
  app_name: 'dummy-app',
  redirect_url: 'https://modt.example/apps/dummy-app/',
  latency_ms: 14,
  timestamp: '2026-12-03T10:07:04.137Z',
};

const decode = (value: unknown) =>
  decodePayload(Buffer.from(JSON.stringify(value)), RedirectPushed, 64 * 1024);

describe('modt/gateway/pushed', () => {
  test('the topic has its schema among the protocol schemas', () => {
    assert.equal(Topics.redirectPushed, 'modt/gateway/pushed');
    assert.equal(schemaByTopic[Topics.redirectPushed], RedirectPushed);
  });

  const accepted: [name: string, value: object][] = [
    ['an announcement', pushed],
    ['one with extra keys', { ...pushed, sockets: 2 }],
    ['a push in the same millisecond as the login', { ...pushed, latency_ms: 0 }],
  ];
  for (const [name, value] of accepted) {
    test(`${name} is accepted`, () => {
      const decoded = decode(value);
      assert.ok(decoded.ok, JSON.stringify(decoded));
    });
  }

  const { latency_ms: _latency, ...withoutLatency } = pushed;
  const refused: [name: string, value: object][] = [
    ['one without latency_ms', withoutLatency],
    ['a negative latency', { ...pushed, latency_ms: -1 }],
    ['a fractional latency', { ...pushed, latency_ms: 1.5 }],
    ['a session_id that is no UUID', { ...pushed, session_id: 'browser-1' }],
    ['a redirect_url that is not http(s)', { ...pushed, redirect_url: 'javascript:alert(1)' }],
    ['a timestamp that is not ISO 8601', { ...pushed, timestamp: 'yesterday' }],
    ['an empty app_name', { ...pushed, app_name: '' }],
  ];
  for (const [name, value] of refused) {
    test(`${name} is refused as invalid`, () => {
      const decoded = decode(value);
      assert.equal(decoded.ok, false);
      if (!decoded.ok) assert.equal(decoded.error.code, ErrorCodes.PAYLOAD_INVALID);
    });
  }
});
