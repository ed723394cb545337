import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csrfTokenMatches, newCsrfToken } from './csrf-token.ts';

test('a form token carries 256 random bits and is never the same twice', () => {
  const tokens = new Set(Array.from({ length: 50 }, newCsrfToken));
  assert.equal(tokens.size, 50);
  for (const token of tokens) assert.equal(Buffer.from(token, 'base64url').length, 32);
});

const token = newCsrfToken();
const received: { name: string; value: string | null | undefined; matches: boolean }[] = [
  { name: 'the session token', value: token, matches: true },
  { name: 'no token', value: undefined, matches: false },
  { name: 'a null field', value: null, matches: false },
  { name: 'an empty token', value: '', matches: false },
  { name: 'another session token', value: newCsrfToken(), matches: false },
  { name: 'the token cut short', value: token.slice(0, -1), matches: false },
  { name: 'the token with a byte more', value: `${token}A`, matches: false },
];
for (const { name, value, matches } of received) {
  test(`${name} ${matches ? 'matches' : 'does not match'} the session's form token`, () => {
    assert.equal(csrfTokenMatches(token, value), matches);
  });
}

test('a session without a token matches nothing, not even an empty field', () => {
  assert.equal(csrfTokenMatches('', ''), false);
});
