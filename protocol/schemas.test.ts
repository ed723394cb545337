import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as Type from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { AppReady, AuthSuccess, ErrorCodes, Topics, checkValue, schemaByTopic } from './index.ts';
import { FASTER_PATTERNS, checkerOf } from './schemas.ts';

/** A seeded source of numbers in [0, 1) (mulberry32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
type Maker = (random: Random) => string;

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)]!;
const run = (random: Random, chars: string, length: number) =>
  Array.from({ length }, () => pick(random, [...chars])).join('');
const upTo = (random: Random, n: number) => Math.floor(random() * (n + 1));

/** A UUID in any mix of cases. */
const uuid: Maker = (random) => {
  const group = (n: number) => run(random, '0123456789abcdefABCDEF', n);
  return `${group(8)}-${group(4)}-${group(4)}-${group(4)}-${group(12)}`;
};

/** A timestamp the pattern takes: with or without a fraction, `Z` or an offset. */
const timestamp: Maker = (random) => {
  const d = (n: number) => run(random, '0123456789', n);
  const fraction = random() < 0.5 ? '' : `.${d(1 + upTo(random, 4))}`;
  const zone = random() < 0.5 ? 'Z' : `${pick(random, ['+', '-'])}${d(2)}:${d(2)}`;
  return `${d(4)}-${d(2)}-${d(2)}T${d(2)}:${d(2)}:${d(2)}${fraction}${zone}`;
};

/** A URL the pattern takes, its rest from 0 to 40 characters, so every length modulo 8. */
const httpUrl: Maker = (random) => {
  const scheme = pick(random, ['http', 'https', 'HTTP', 'hTtPs']);
  const host = run(random, 'ab.9:-_[]@%', 1 + upTo(random, 12));
  const path = pick(random, ['/', '?', '#']) + run(random, 'a/?#.=&é%', upTo(random, 27));
  const rest = random() < 0.2 ? '' : path;
  return `${scheme}://${host}${rest}`;
};

// What a near miss is made of: each pattern's own characters, their look-alikes in other
// cases and scripts (Arabic-Indic and full-width digits, which `\d` does not take), the blanks
// `\s` takes, two it does not (U+180E, U+200B), and a surrogate half.
const NEAR = [
  ...'0123456789abcdefABCDEFgGzZtThHpPsS-:.+/?#',
  ...[' ', '\n', '\r', '\t', '\v', '\f', '\u00a0', '\u1680', '\u2000', '\u200a', '\u2028'],
  ...['\u202f', '\u205f', '\u3000', '\ufeff', '\u180e', '\u200b', '\u0660', '\uff10', '\ud800'],
];

/** A valid string with one to three characters replaced, inserted, deleted or doubled. */
function nearMiss(random: Random, valid: string): string {
  let text = valid;
  const edits = 1 + upTo(random, 2);
  for (let e = 0; e < edits; e++) {
    const at = upTo(random, text.length);
    const char = pick(random, NEAR);
    const edit = pick(random, ['replace', 'insert', 'delete', 'double']);
    if (edit === 'replace') text = text.slice(0, at) + char + text.slice(at + 1);
    else if (edit === 'insert') text = text.slice(0, at) + char + text.slice(at);
    else if (edit === 'delete') text = text.slice(0, at) + text.slice(at + 1);
    else text = text.slice(0, at) + text.slice(at, at + 3) + text.slice(at);
  }
  return text;
}

/** A string for a pattern: a valid one, a near miss, or a run of near characters. */
function candidate(random: Random, valid: Maker): string {
  const roll = random();
  if (roll < 0.3) return valid(random);
  if (roll < 0.9) return nearMiss(random, valid(random));
  return Array.from({ length: upTo(random, 40) }, () => pick(random, NEAR)).join('');
}

const patterned = [
  { key: 'session_id', pattern: AuthSuccess.properties.session_id.pattern!, valid: uuid },
  { key: 'timestamp', pattern: AuthSuccess.properties.timestamp.pattern!, valid: timestamp },
  { key: 'redirect_url', pattern: AppReady.properties.redirect_url.pattern!, valid: httpUrl },
];

test('each faster pattern matches what its published pattern matches, on 60,000 strings', () => {
  assert.equal(FASTER_PATTERNS.size, patterned.length);
  for (const { key, pattern, valid } of patterned) {
    const faster = FASTER_PATTERNS.get(pattern);
    assert.ok(faster !== undefined, `${key} has a faster pattern`);
    const published = new RegExp(pattern);
    const fast = new RegExp(faster);
    const random = seeded(20261203);
    let matched = 0;
    for (let i = 0; i < 60_000; i++) {
      const text = candidate(random, valid);
      const expected = published.test(text);
      assert.equal(fast.test(text), expected, `${key} ${JSON.stringify(text)}`);
      if (expected) matched++;
    }
    // Both answers turn up often enough for the comparison to mean something.
    assert.ok(matched > 10_000 && 60_000 - matched > 10_000, `${key}: ${matched} matched`);
  }
});

const SESSION_ID = '6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f';
const AT = '2026-12-03T10:07:04.123Z';
const URL = 'https://modt.example/apps/a/';

/** One valid payload of each protocol topic. */
const valid: Record<keyof typeof schemaByTopic, Record<string, unknown>> = {
  [Topics.authSuccess]: { user_id: 'alice', session_id: SESSION_ID, role: 'user', timestamp: AT },
  [Topics.appReady]: { session_id: SESSION_ID, redirect_url: URL, app_name: 'a' },
  [Topics.appDisplays]: {
    session_id: SESSION_ID,
    app_name: 'a',
    title: 'A',
    items: [{ label: 'User', value: 'alice' }],
  },
  [Topics.redirectPushed]: {
    pushes: [{ session_id: SESSION_ID, app_name: 'a', redirect_url: URL, latency_ms: 3 }],
    timestamp: AT,
  },
  [Topics.deadLetters]: {
    unit: 'gateway',
    topic: Topics.appReady,
    code: ErrorCodes.PAYLOAD_INVALID,
    reason: 'app_name: Expected string',
    excerpt: '{}',
    excerpt_encoding: 'utf8',
    bytes: 2,
    timestamp: AT,
  },
};

test('every protocol schema checks as TypeBox compiles it, on generated payloads', () => {
  const random = seeded(7);
  for (const [topic, schema] of Object.entries(schemaByTopic)) {
    const published = TypeCompiler.Compile(schema);
    const check = checkerOf(schema);
    const base = valid[topic as keyof typeof schemaByTopic];
    assert.ok(check.Check(base), topic);
    const fields = patterned.filter(({ key }) => key in base);
    const answers = { true: 0, false: 0 };
    for (let i = 0; i < 4_000; i++) {
      // One field with a pattern gets a string made for it, or now and then for another.
      const { key, valid: made } = pick(random, fields);
      const maker = random() < 0.8 ? made : pick(random, patterned).valid;
      const value: Record<string, unknown> = { ...base, [key]: candidate(random, maker) };
      const answer = published.Check(value);
      assert.equal(check.Check(value), answer, JSON.stringify(value));
      answers[`${answer}`]++;
    }
    assert.ok(answers.true > 400 && answers.false > 400, `${topic}: ${JSON.stringify(answers)}`);
  }
});

test('a refused session_id is named with the pattern the schema publishes', () => {
  const checked = checkValue({ ...valid[Topics.authSuccess], session_id: 'x-1' }, AuthSuccess);
  assert.ok(!checked.ok);
  assert.equal(checked.error.code, ErrorCodes.PAYLOAD_INVALID);
  assert.ok(checked.error.message.startsWith('session_id: '), checked.error.message);
  assert.ok(checked.error.message.includes(AuthSuccess.properties.session_id.pattern!));
});

test('the checks of the protocol schemas run no counted repeat', () => {
  for (const [topic, schema] of Object.entries(schemaByTopic)) {
    assert.doesNotMatch(checkerOf(schema).Code(), /\{\d+(,\d*)?\}/, topic);
  }
});

test('checking leaves the published schemas as they were', () => {
  const before = JSON.stringify(schemaByTopic);
  for (const schema of Object.values(schemaByTopic)) checkerOf(schema).Check({});
  assert.equal(JSON.stringify(schemaByTopic), before);
});

test('a pattern without a faster one is checked as it is written', () => {
  const schema = Type.Object({ code: Type.String({ pattern: '^a{2}$' }) });
  const check = checkerOf(schema);
  assert.match(check.Code(), /a\{2\}/);
  assert.equal(check.Check({ code: 'aa' }), true);
  assert.equal(check.Check({ code: 'aaa' }), false);
});
