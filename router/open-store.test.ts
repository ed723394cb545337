import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';
import { openHistoryStore } from './history/index.ts';

const BAD_URLS = [
  'localhost:6379',
  'http://127.0.0.1:6379',
  'not a url',
  // ioredis would refuse it only when it makes its client, after the unit has subscribed.
  'redis://:50%off@127.0.0.1:6379',
];

for (const bad of BAD_URLS) {
  test(`MODT_REDIS_URL '${bad}' is refused at start as ${ErrorCodes.SETTING_INVALID}`, () => {
    assert.throws(
      () => openHistoryStore({ MODT_REDIS_URL: bad }),
      (err: unknown) =>
        err instanceof ModtFailure &&
        err.code === ErrorCodes.SETTING_INVALID &&
        err.message.startsWith('MODT_REDIS_URL: expected'),
    );
  });
}

test('a redis:// MODT_REDIS_URL opens the Redis store, without connecting yet', async () => {
  const store = openHistoryStore({ MODT_REDIS_URL: 'redis://127.0.0.1:1/' });
  assert.match(store.location, /127\.0\.0\.1:1/);
  await store.close();
});

const moduleCache = createRequire(import.meta.url).cache;
const ioredisLoaded = () => Object.keys(moduleCache).some((file) => file.includes('/ioredis/'));

// The only test of this file that gives a store a command: none before it loads ioredis.
test('the Redis store loads no Redis client until its first command', async () => {
  const store = openHistoryStore({ MODT_REDIS_URL: 'redis://127.0.0.1:1/' });
  assert.equal(ioredisLoaded(), false);

  await assert.rejects(store.recent(1));
  assert.equal(ioredisLoaded(), true);
  await store.close();
});
