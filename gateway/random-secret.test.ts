import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomSecret } from './random-secret.ts';

test('a secret is 256 bits as 43 base64url characters', () => {
  const secret = randomSecret();
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(Buffer.from(secret, 'base64url').length, 32);
});

test('secrets drawn across several refills of the pool are all different', () => {
  const drawn = Array.from({ length: 1000 }, randomSecret);
  assert.equal(new Set(drawn).size, drawn.length);
});

test('each bit of the secrets is set about half the time, across refills', () => {
  const counts = new Array<number>(256).fill(0);
  const draws = 1000;
  for (let i = 0; i < draws; i++) {
    const bytes = Buffer.from(randomSecret(), 'base64url');
    for (let bit = 0; bit < 256; bit++) counts[bit]! += (bytes[bit >> 3]! >> (bit & 7)) & 1;
  }
  // 1000 fair draws: a count outside 400..600 is over six standard deviations out.
  for (const [bit, count] of counts.entries()) {
    assert.ok(count > 400 && count < 600, `bit ${bit} set ${count} times of ${draws}`);
  }
});
