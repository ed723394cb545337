import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoginThrottle } from './login-throttle.ts';

function throttleOf() {
  return new LoginThrottle({ maxPerAddress: 4, maxPerUser: 2, windowMs: 60_000, maxKeys: 100 });
}

test('a username is refused after its attempts, from any address', () => {
  const throttle = throttleOf();
  assert.ok(throttle.admit('10.0.0.1', 'alice', 0).ok);
  assert.ok(throttle.admit('10.0.0.2', 'alice', 1).ok);
  assert.deepEqual(throttle.admit('10.0.0.3', 'alice', 1000), { ok: false, retryAfterMs: 59_000 });
  assert.ok(throttle.admit('10.0.0.3', 'bob', 1000).ok);
});

test('an address is refused after its attempts, whatever the username', () => {
  const throttle = throttleOf();
  for (const name of ['a', 'b', 'c', 'd']) assert.ok(throttle.admit('10.0.0.1', name, 0).ok);
  const refused = throttle.admit('10.0.0.1', 'e', 0);
  assert.equal(refused.ok, false);
  assert.ok(throttle.admit('10.0.0.2', 'e', 0).ok);
});

test('a refused attempt is not counted, so waiting is enough', () => {
  const throttle = throttleOf();
  throttle.admit('10.0.0.1', 'alice', 0);
  throttle.admit('10.0.0.1', 'alice', 0);
  for (let i = 0; i < 10; i += 1) throttle.admit('10.0.0.1', 'alice', 10);
  assert.ok(throttle.admit('10.0.0.1', 'alice', 60_000).ok);
});

test('a login that succeeded gives its attempts back', () => {
  const throttle = throttleOf();
  for (let i = 0; i < 5; i += 1) {
    const admission = throttle.admit('10.0.0.1', 'alice', i);
    assert.ok(admission.ok, `login ${i + 1} is admitted`);
    throttle.succeeded(admission, i);
  }
});
