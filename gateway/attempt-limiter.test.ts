import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttemptLimiter, type AttemptLimits } from './attempt-limiter.ts';

function limiterOf(limits: Partial<AttemptLimits> = {}) {
  return new AttemptLimiter({ maxAttempts: 3, windowMs: 1000, maxKeys: 100, ...limits });
}

test('a key may make its attempts, then waits until its window ends', () => {
  const limiter = limiterOf();
  for (const at of [0, 10, 20]) {
    assert.equal(limiter.waitMs('a', at), 0);
    limiter.record('a', at);
  }
  assert.equal(limiter.waitMs('a', 400), 600);
  assert.equal(limiter.waitMs('b', 400), 0, 'another key has its own window');
  assert.equal(limiter.waitMs('a', 1000), 0, 'a new window starts when the old one ends');
});

test('a forgiven attempt no longer counts', () => {
  const limiter = limiterOf();
  limiter.record('a', 0);
  limiter.record('a', 0);
  const ticket = limiter.record('a', 0);
  limiter.forgive(ticket, 10);
  assert.equal(limiter.waitMs('a', 10), 0);
});

test('forgiving an attempt of a window that ended leaves the new window alone', () => {
  const limiter = limiterOf();
  const old = limiter.record('a', 0);
  for (const at of [1000, 1001, 1002]) limiter.record('a', at);
  limiter.forgive(old, 1003);
  assert.equal(limiter.waitMs('a', 1003), 997);
});

test('memory stays bounded: past the cap the oldest window is forgotten', () => {
  const limiter = limiterOf({ maxKeys: 3 });
  for (const [i, key] of ['a', 'b', 'c', 'd', 'e'].entries()) limiter.record(key, i);
  assert.equal(limiter.size, 3);
  for (let i = 0; i < 3; i += 1) limiter.record('e', 10);
  assert.ok(limiter.waitMs('e', 10) > 0, 'the newest key keeps its count');
});

test('a sweep forgets the windows that have ended, and only those', () => {
  const limiter = limiterOf();
  limiter.record('old', 0);
  limiter.record('older', 0);
  limiter.record('new', 600);
  assert.equal(limiter.sweep(1000), 2);
  assert.equal(limiter.size, 1);
});

test('expired windows go first when the cap is reached', () => {
  const limiter = limiterOf({ maxKeys: 2 });
  limiter.record('stale', 0);
  for (let i = 0; i < 3; i += 1) limiter.record('busy', 900);
  limiter.record('late', 1500);
  assert.equal(limiter.size, 2);
  assert.ok(limiter.waitMs('busy', 1500) > 0, 'the live window was kept');
});
