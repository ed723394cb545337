import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, decodeJson, decodePayload, AppReady, type ErrorCode } from './index.ts';
import { MAX_DEPTH } from './json-shape.ts';

const ready = {
  session_id: '6f1d2a4e-3b7c-4d8e-9f10-1a2b3c4d5e6f',
  redirect_url: 'http://localhost:8080/apps/a/',
  app_name: 'a',
};
const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

const refused: { name: string; text: string; code: ErrorCode }[] = [
  { name: 'a key twice', text: '{"a":1,"a":2}', code: ErrorCodes.PAYLOAD_DUPLICATE_KEY },
  {
    name: 'session_id twice',
    text: `{"session_id":"x",${JSON.stringify(ready).slice(1)}`,
    code: ErrorCodes.PAYLOAD_DUPLICATE_KEY,
  },
  {
    name: 'a key twice in a nested object',
    text: '{"o":{"k":1,"k":1}}',
    code: ErrorCodes.PAYLOAD_DUPLICATE_KEY,
  },
  {
    name: 'a key twice spelt with an escape',
    text: '{"ab":1,"\\u0061b":2}',
    code: ErrorCodes.PAYLOAD_DUPLICATE_KEY,
  },
  {
    name: 'a __proto__ key',
    text: '{"__proto__":{"polluted":true}}',
    code: ErrorCodes.PAYLOAD_FORBIDDEN_KEY,
  },
  {
    name: 'an escaped __proto__ key',
    text: '{"\\u005f_proto__":{}}',
    code: ErrorCodes.PAYLOAD_FORBIDDEN_KEY,
  },
  {
    name: 'a nested constructor key',
    text: '{"a":[{"constructor":{"prototype":1}}]}',
    code: ErrorCodes.PAYLOAD_FORBIDDEN_KEY,
  },
  { name: 'a prototype key', text: '{"prototype":1}', code: ErrorCodes.PAYLOAD_FORBIDDEN_KEY },
  {
    name: `nesting ${MAX_DEPTH + 1} deep`,
    text: deep(MAX_DEPTH + 1),
    code: ErrorCodes.PAYLOAD_TOO_DEEP,
  },
  { name: 'nesting ten thousand deep', text: deep(10_000), code: ErrorCodes.PAYLOAD_TOO_DEEP },
];
for (const { name, text, code } of refused) {
  test(`a payload with ${name} is refused with ${code}`, () => {
    const result = decodeJson(Buffer.from(text), 1 << 20);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.error.code, code);
  });
}

const accepted: { name: string; text: string }[] = [
  { name: 'one key in two sibling objects', text: '[{"k":1},{"k":2}]' },
  { name: 'a key name that appears as a value', text: '{"a":"a","b":"a"}' },
  { name: 'a string holding brackets, quotes and colons', text: '{"a":"[{\\"a\\":1}]:","b":"}"}' },
  { name: '__proto__ as a value', text: '{"a":"__proto__"}' },
  { name: `nesting exactly ${MAX_DEPTH} deep`, text: deep(MAX_DEPTH) },
  { name: 'whitespace before a colon', text: '{"a" \n:1, "b"\t: 2}' },
];
for (const { name, text } of accepted) {
  test(`a payload with ${name} is accepted`, () => {
    assert.equal(decodeJson(Buffer.from(text)).ok, true);
  });
}

test('a refused __proto__ payload leaves Object.prototype untouched', () => {
  const result = decodePayload(
    Buffer.from(`{"__proto__":{"polluted":1},${JSON.stringify(ready).slice(1)}`),
    AppReady,
  );
  assert.equal(result.ok, false);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
