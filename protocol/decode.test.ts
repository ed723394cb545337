import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AppReady,
  AuthSuccess,
  DEFAULT_MAX_PAYLOAD_BYTES,
  ErrorCodes,
  decodeJson,
  decodePayload,
  type ErrorCode,
} from './index.ts';

const SESSION_ID = '6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f';

const login = {
  user_id: 'alice',
  session_id: SESSION_ID,
  role: 'user',
  timestamp: '2026-12-03T10:07:04.123Z',
};

const ready = {
  session_id: SESSION_ID,
  redirect_url: 'https://modt.example/apps/dummy-app/',
  app_name: 'dummy-app',
};

const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
const text = (value: string) => Buffer.from(value, 'utf8');
const bytes = (...values: number[]) => Buffer.from(values);
const loginWith = (patch: object) => json({ ...login, ...patch });
const readyWith = (patch: object) => json({ ...ready, ...patch });

/** A login whose user_id is these raw bytes between the quotes. */
const userIdBytes = (raw: Buffer) =>
  Buffer.concat([text('{"user_id":"'), raw, text(`","session_id":"${SESSION_ID}"}`)]);

/** A payload with one key's value written as raw text, for what JSON.stringify won't write. */
const withRaw = (value: object, key: string, raw: string) =>
  text(JSON.stringify({ ...value, [key]: '\u0000' }).replace('"\\u0000"', raw));

describe('decodePayload accepts', () => {
  const accepted = [
    { name: 'an auth/success', schema: AuthSuccess, payload: json(login) },
    { name: 'an app/ready', schema: AppReady, payload: json(ready) },
    { name: 'an auth/success with extra keys', schema: AuthSuccess, payload: loginWith({ ip: 1 }) },
    { name: 'an app/ready with extra keys', schema: AppReady, payload: readyWith({ trace: [1] }) },
    {
      name: 'a timestamp with an offset',
      schema: AuthSuccess,
      payload: loginWith({ timestamp: '2026-12-03T19:07:04+09:00' }),
    },
    {
      name: 'an upper-case scheme in redirect_url',
      schema: AppReady,
      payload: readyWith({ redirect_url: 'HTTP://modt.example:8080' }),
    },
    {
      name: 'a redirect_url with a query and a fragment',
      schema: AppReady,
      payload: readyWith({ redirect_url: 'http://a.example/x?y=1#z' }),
    },
    {
      name: 'a surrogate pair escape',
      schema: AuthSuccess,
      payload: withRaw(login, 'user_id', '"\\ud83d\\ude00"'),
    },
    {
      name: 'an escaped backslash followed by the text ud800',
      schema: AuthSuccess,
      payload: withRaw(login, 'user_id', '"\\\\ud800"'),
    },
    { name: 'non-ASCII UTF-8 text', schema: AuthSuccess, payload: loginWith({ user_id: 'ユーザー' }) },
    { name: 'a real U+FFFD', schema: AuthSuccess, payload: loginWith({ user_id: 'a\uFFFDb' }) },
    { name: 'a raw emoji', schema: AuthSuccess, payload: loginWith({ user_id: '\u{1F600}' }) },
    {
      name: 'whitespace around the JSON',
      schema: AppReady,
      payload: text(` \n${JSON.stringify(ready)}\r\n `),
    },
  ];

  for (const { name, schema, payload } of accepted) {
    test(name, () => {
      const decoded = decodePayload(payload, schema);
      assert.ok(decoded.ok, decoded.ok ? '' : decoded.error.message);
      assert.deepEqual(decoded.value, JSON.parse(payload.toString('utf8')));
    });
  }

  test('extra keys are passed through in the value', () => {
    const decoded = decodePayload(readyWith({ trace: 'abc' }), AppReady);
    assert.ok(decoded.ok);
    assert.equal((decoded.value as Record<string, unknown>).trace, 'abc');
  });

  test('a payload of exactly the size limit is decoded', () => {
    const room = DEFAULT_MAX_PAYLOAD_BYTES - readyWith({ pad: '' }).length;
    const payload = readyWith({ pad: 'x'.repeat(room) });
    assert.equal(payload.length, DEFAULT_MAX_PAYLOAD_BYTES);
    assert.ok(decodePayload(payload, AppReady).ok);
  });

  test('a Uint8Array that is no Buffer is decoded from its own bytes only', () => {
    const whole = Buffer.concat([text('garbage'), json(ready), text("{'more")]);
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 7, json(ready).length);
    const decoded = decodePayload(view, AppReady);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, ready);
  });

  test('a view into a larger buffer is decoded from its own bytes only', () => {
    const whole = Buffer.concat([text('garbage'), json(ready), text("{'more")]);
    const view = whole.subarray(7, 7 + json(ready).length);
    const decoded = decodePayload(view, AppReady);
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, ready);
  });
});

interface Refusal {
  name: string;
  schema: typeof AuthSuccess | typeof AppReady;
  payload: Buffer;
  code: ErrorCode;
  /** A key the error message must name. */
  mentions?: string;
}

const { PAYLOAD_NOT_UTF8, PAYLOAD_BOM, PAYLOAD_NOT_JSON, PAYLOAD_LONE_SURROGATE } = ErrorCodes;
const { PAYLOAD_INVALID, PAYLOAD_TOO_LARGE } = ErrorCodes;

const notUtf8: Refusal[] = [
  ['invalid UTF-8 inside a string', bytes(0xff, 0xfe)],
  ['a truncated UTF-8 sequence', bytes(0xe3, 0x81)],
  ['an overlong UTF-8 encoding', bytes(0xc0, 0xaf)],
  ['a surrogate encoded as UTF-8 bytes', bytes(0xed, 0xa0, 0x80)],
  ['invalid UTF-8 after a real U+FFFD', Buffer.concat([text('\uFFFD'), bytes(0xff)])],
  ['a code point past U+10FFFF', bytes(0xf4, 0x90, 0x80, 0x80)],
].map(([name, raw]) => ({
  name: name as string,
  schema: AuthSuccess,
  payload: userIdBytes(raw as Buffer),
  code: PAYLOAD_NOT_UTF8,
}));

const notJson: Refusal[] = [
  ['single quotes', text(JSON.stringify(ready).replaceAll('"', "'"))],
  ['unquoted keys', text(JSON.stringify(ready).replace(/"(\w+)":/g, '$1:'))],
  ['an unquoted string value', withRaw(ready, 'app_name', 'dummy')],
  ['a trailing comma', text(JSON.stringify(ready).replace(/}$/, ',}'))],
  ['a trailing comma in an array', withRaw(ready, 'extra', '[1,]')],
  ['truncated JSON', json(ready).subarray(0, 30)],
  ['NaN', withRaw(ready, 'extra', 'NaN')],
  ['Infinity', withRaw(ready, 'extra', 'Infinity')],
  ['a raw tab inside a string', withRaw(ready, 'app_name', '"a\tb"')],
  ['an empty payload', Buffer.alloc(0)],
  ['two JSON values', text(`${JSON.stringify(ready)} {}`)],
].map(([name, payload]) => ({
  name: name as string,
  schema: AppReady,
  payload: payload as Buffer,
  code: PAYLOAD_NOT_JSON,
}));

const loneSurrogate: Refusal[] = [
  ['a lone high surrogate escape', withRaw(ready, 'app_name', '"\\ud800"')],
  ['a lone low surrogate escape', withRaw(ready, 'app_name', '"x\\uDC00"')],
  ['a lone surrogate in an extra key', text(JSON.stringify(ready).replace(/}$/, ',"\\ud800":1}'))],
  ['a lone surrogate deep in an extra value', withRaw(ready, 'extra', '[{"a":["\\udfff"]}]')],
].map(([name, payload]) => ({
  name: name as string,
  schema: AppReady,
  payload: payload as Buffer,
  code: PAYLOAD_LONE_SURROGATE,
}));

const invalidReady: Refusal[] = [
  ['a number for session_id', { session_id: 7 }, 'session_id'],
  ['an array for app_name', { app_name: ['a'] }, 'app_name'],
  ['a ready without session_id', { session_id: undefined }, 'session_id'],
  ['a ready without redirect_url', { redirect_url: undefined }, 'redirect_url'],
  ['a ready without app_name', { app_name: undefined }, 'app_name'],
  ['a camel-case redirectUrl instead of redirect_url', {
    redirect_url: undefined,
    redirectUrl: ready.redirect_url,
  }, 'redirect_url'],
  ['an empty app_name', { app_name: '' }, 'app_name'],
  ['an empty session_id', { session_id: '' }, 'session_id'],
  ['a session_id that is not a UUID', { session_id: 'session-1' }, 'session_id'],
  ['a UUID with a trailing newline', { session_id: `${SESSION_ID}\n` }, 'session_id'],
  ['a javascript: redirect_url', { redirect_url: 'javascript:alert(1)' }, 'redirect_url'],
  ['a relative redirect_url', { redirect_url: '/relative' }, 'redirect_url'],
  ['a protocol-relative redirect_url', { redirect_url: '//evil.example/' }, 'redirect_url'],
  ['a data: redirect_url', { redirect_url: 'data:text/html,<b>x</b>' }, 'redirect_url'],
  ['an ftp redirect_url', { redirect_url: 'ftp://files.example/' }, 'redirect_url'],
  ['a redirect_url without a host', { redirect_url: 'https://' }, 'redirect_url'],
  ['a redirect_url with a space', { redirect_url: 'https://a.example/x y' }, 'redirect_url'],
  ['a redirect_url with a newline', { redirect_url: 'https://a.example/\nX: y' }, 'redirect_url'],
].map(([name, patch, mentions]) => ({
  name: name as string,
  schema: AppReady,
  payload: readyWith(patch as object),
  code: PAYLOAD_INVALID,
  mentions: mentions as string,
}));

const invalidLogin: Refusal[] = [
  ['a number for user_id', { user_id: 42 }, 'user_id'],
  ['a boolean for role', { role: true }, 'role'],
  ['a login without role', { role: undefined }, 'role'],
  ['a login without timestamp', { timestamp: undefined }, 'timestamp'],
  ['an empty user_id', { user_id: '' }, 'user_id'],
  ['an empty role', { role: '' }, 'role'],
  ['a UUID in braces', { session_id: `{${SESSION_ID}}` }, 'session_id'],
  ['a date-only timestamp', { timestamp: '2026-12-03' }, 'timestamp'],
].map(([name, patch, mentions]) => ({
  name: name as string,
  schema: AuthSuccess,
  payload: loginWith(patch as object),
  code: PAYLOAD_INVALID,
  mentions: mentions as string,
}));

const others: Refusal[] = [
  { name: 'a byte-order mark', schema: AppReady, code: PAYLOAD_BOM,
    payload: Buffer.concat([bytes(0xef, 0xbb, 0xbf), json(ready)]) },
  { name: 'a JSON array', schema: AppReady, code: PAYLOAD_INVALID, payload: json([ready]) },
  { name: 'JSON null', schema: AppReady, code: PAYLOAD_INVALID, payload: text('null') },
  { name: 'a JSON string', schema: AppReady, code: PAYLOAD_INVALID,
    payload: json(JSON.stringify(ready)) },
  { name: 'an oversized payload', schema: AppReady, code: PAYLOAD_TOO_LARGE,
    payload: readyWith({ pad: 'x'.repeat(DEFAULT_MAX_PAYLOAD_BYTES) }) },
];

describe('decodePayload refuses', () => {
  const refused = [...notUtf8, ...others, ...notJson, ...loneSurrogate, ...invalidReady,
    ...invalidLogin];

  for (const { name, schema, payload, code, mentions } of refused) {
    test(name, () => {
      const decoded = decodePayload(payload, schema);
      assert.ok(!decoded.ok, `expected ${code}`);
      assert.equal(decoded.error.code, code, decoded.error.message);
      if (mentions !== undefined) assert.match(decoded.error.message, new RegExp(mentions));
    });
  }

  test('a payload over a unit’s own limit, which is under the default', () => {
    const decoded = decodePayload(json(ready), AppReady, 64);
    assert.ok(!decoded.ok);
    assert.equal(decoded.error.code, PAYLOAD_TOO_LARGE);
    assert.match(decoded.error.message, /at most 64/);
  });
});

describe('decodeJson', () => {
  test('takes any strict JSON value without a schema', () => {
    const decoded = decodeJson(text('[1,"a",null,{"b":true}]'));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value, [1, 'a', null, { b: true }]);
  });

  test('refuses a byte-order mark before it parses anything', () => {
    const decoded = decodeJson(Buffer.concat([bytes(0xef, 0xbb, 0xbf), text('{}')]));
    assert.ok(!decoded.ok);
    assert.equal(decoded.error.code, PAYLOAD_BOM);
  });
});
