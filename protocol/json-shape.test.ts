import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCodes, decodeJson, decodePayload, AppReady, type ErrorCode } from './index.ts';
import { MAX_DEPTH, checkJsonShape, scanJsonShape } from './json-shape.ts';

const ready = {
  session_id: '6f1d2a4e-3b7c-4d8e-9f10-1a2b3c4d5e6f',
  redirect_url: 'http://localhost:8080/apps/a/',
  app_name: 'a',
};
const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const deepObject = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

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
  // The rows below defeat one shortcut of checkJsonShape or another.
  {
    name: `objects nested ${MAX_DEPTH + 1} deep`,
    text: deepObject(MAX_DEPTH + 1),
    code: ErrorCodes.PAYLOAD_TOO_DEEP,
  },
  {
    name: 'nesting too deep in a value the parser dropped',
    text: `{"a":${deep(MAX_DEPTH)},"a":1}`,
    code: ErrorCodes.PAYLOAD_TOO_DEEP,
  },
  {
    name: 'a key twice in a value the parser dropped',
    text: '{"a":{"b":1,"b":2},"a":1}',
    code: ErrorCodes.PAYLOAD_DUPLICATE_KEY,
  },
  {
    name: 'a __proto__ key in a value the parser dropped',
    text: '{"a":{"__proto__":1},"a":1}',
    code: ErrorCodes.PAYLOAD_FORBIDDEN_KEY,
  },
  {
    name: 'a key twice beside a string that starts with a colon',
    text: '{"a":":","a":1}',
    code: ErrorCodes.PAYLOAD_DUPLICATE_KEY,
  },
  {
    name: 'a key twice with numbers',
    text: '{"a":10,"a":20}',
    code: ErrorCodes.PAYLOAD_DUPLICATE_KEY,
  },
  {
    name: 'a key twice, once with a blank before its colon',
    text: '{"a" :1,"a":2,"b":3}',
    code: ErrorCodes.PAYLOAD_DUPLICATE_KEY,
  },
  {
    name: 'a key twice, once escaped, beside a long value',
    text: '{"a":"x","\\u0061":"xxxxxxxxxx"}',
    code: ErrorCodes.PAYLOAD_DUPLICATE_KEY,
  },
  {
    name: 'an escaped t in __proto__',
    text: '{"__pro\\u0074o__":1}',
    code: ErrorCodes.PAYLOAD_FORBIDDEN_KEY,
  },
  {
    name: 'an escaped c in constructor',
    text: '{"\\u0063onstructor":1}',
    code: ErrorCodes.PAYLOAD_FORBIDDEN_KEY,
  },
  {
    name: 'an escaped e in prototype, nested',
    text: '[{"a":{"prototyp\\u0065":1}}]',
    code: ErrorCodes.PAYLOAD_FORBIDDEN_KEY,
  },
  {
    name: 'a forbidden key after a key twice',
    text: '{"a":1,"a":2,"prototype":3}',
    code: ErrorCodes.PAYLOAD_DUPLICATE_KEY,
  },
  {
    name: 'a key twice after nesting too deep',
    text: `[${deep(MAX_DEPTH)},{"a":1,"a":2}]`,
    code: ErrorCodes.PAYLOAD_TOO_DEEP,
  },
  {
    name: 'an escaped high surrogate before a raw pair',
    text: '{"a":"\\ud83d\u{1F600}"}',
    code: ErrorCodes.PAYLOAD_LONE_SURROGATE,
  },
  {
    name: 'the halves of a pair in two strings',
    text: '["\\ud83d","\\ude00"]',
    code: ErrorCodes.PAYLOAD_LONE_SURROGATE,
  },
  {
    name: 'a lone surrogate and blanks',
    text: '{ "a" : "\\udc00" }',
    code: ErrorCodes.PAYLOAD_LONE_SURROGATE,
  },
  {
    name: 'a key twice and a lone surrogate',
    text: '{"a":"\\ud800","a":1}',
    code: ErrorCodes.PAYLOAD_DUPLICATE_KEY,
  },
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
  { name: 'every blank before colons', text: '{"a" \r\n\t :1,"b"  :{"c"\n:[]}}' },
  { name: `objects nested exactly ${MAX_DEPTH} deep`, text: deepObject(MAX_DEPTH) },
  { name: 'brackets in a string deeper than the limit', text: `{"a":"${deep(MAX_DEPTH + 1)}"}` },
  { name: 'escaped quotes before brackets in a string', text: `["\\"${deep(MAX_DEPTH + 1)}\\""]` },
  { name: 'a string that starts with a colon', text: '{"a":":","b":"\\":"}' },
  { name: 'keys spelt with escapes, each once', text: '{"\\u0061":1,"b\\n":2,"\\"":3}' },
  { name: 'a key that only looks like __proto__', text: '{"__proto_":1,"__proto__x":2}' },
  { name: 'numbers of many digits', text: '{"a":1234567890,"b":[-1.5e-7,0]}' },
  { name: 'a raw surrogate pair', text: '{"a":"\u{1F600}"}' },
  { name: 'an escaped surrogate pair', text: '{"a":"\\ud83d\\ude00"}' },
  { name: 'a scalar alone', text: ' "x" ' },
  { name: 'empty containers', text: '{"a":{},"b":[],"c":[{}]}' },
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

test('a key planted on Object.prototype does not hide a key twice', () => {
  // With `x: 1` listed for every object, {"a":1} would need as many characters as the text.
  Object.defineProperty(Object.prototype, 'x', { value: 1, enumerable: true, configurable: true });
  try {
    const result = decodeJson(Buffer.from('{"a":1,"a":1}'));
    assert.equal(!result.ok && result.error.code, ErrorCodes.PAYLOAD_DUPLICATE_KEY);
  } finally {
    delete (Object.prototype as Record<string, unknown>).x;
  }
});

/** A seeded source of numbers in [0, 1) (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random JSON text the way a careless or hostile writer makes it: blanks, needless escapes,
 * numbers spelt long, keys twice, forbidden keys, lone surrogates (escaped, as valid UTF-8
 * needs) and nesting near the limit.
 */
function randomJson(random: () => number): string {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  const blank = () => (random() < 0.1 ? pick([' ', '\n', '\t', '\r', '  ']) : '');
  const pieces = ['a', 'ab', ':', '"', '\\', '[', '{', '}', ']', '\u{1F600}', '\ud800', 'é', ''];
  const keys = ['a', 'b', 'ab', 'a:', '"', '__proto__', 'constructor', 'prototype', 'x'];
  const quote = (text: string) => {
    let out = '';
    for (const char of text) {
      const code = char.codePointAt(0)!;
      const lone = code >= 0xd800 && code <= 0xdfff;
      if (lone || char === '"' || char === '\\' || random() < 0.1) {
        for (let i = 0; i < char.length; i++) {
          out += `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`;
        }
      } else out += char;
    }
    return `"${out}"`;
  };
  const write = (depth: number): string => {
    const roll = random();
    if (depth > 4 || roll < 0.35) {
      return pick([
        () => quote(pick(pieces) + pick(pieces)),
        () => pick(['0', '7', '12', '-3', '1.50', '1e2', '100']),
        () => pick(['true', 'false', 'null']),
      ])();
    }
    const count = Math.floor(random() * 4);
    const items = Array.from({ length: count }, () => write(depth + 1));
    if (roll < 0.6) return `[${blank()}${items.join(`${blank()},${blank()}`)}${blank()}]`;
    const members = items.map((item) => `${quote(pick(keys))}${blank()}:${blank()}${item}`);
    return `{${blank()}${members.join(`,${blank()}`)}${blank()}}`;
  };
  const levels = random() < 0.05 ? MAX_DEPTH - 3 + Math.floor(random() * 6) : 0;
  return `${blank()}${'['.repeat(levels)}${write(0)}${']'.repeat(levels)}${blank()}`;
}

test('checkJsonShape gives the full scan’s answer for 20,000 random texts', () => {
  const random = seeded(20261203);
  const codes = new Map<string, number>();
  for (let i = 0; i < 20_000; i++) {
    const text = randomJson(random);
    const value = JSON.parse(text);
    const answer = checkJsonShape(text, value);
    assert.deepEqual(answer, scanJsonShape(text, value), text);
    const code = answer?.code ?? 'accepted';
    codes.set(code, (codes.get(code) ?? 0) + 1);
  }
  // Every answer turns up often enough for the comparison to mean something.
  const { PAYLOAD_LONE_SURROGATE, PAYLOAD_DUPLICATE_KEY, PAYLOAD_FORBIDDEN_KEY } = ErrorCodes;
  const answers = [PAYLOAD_LONE_SURROGATE, PAYLOAD_DUPLICATE_KEY, PAYLOAD_FORBIDDEN_KEY];
  for (const code of ['accepted', ...answers, ErrorCodes.PAYLOAD_TOO_DEEP]) {
    assert.ok((codes.get(code) ?? 0) > 100, `${code}: ${codes.get(code)}`);
  }
});
