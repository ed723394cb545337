import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Redis } from 'ioredis';
import { canConnect } from './free-port.ts';
import { startRedis } from './redis.ts';

test('startRedis serves an empty Redis on its own port, and restart() empties it', async (t) => {
  const server = await startRedis();
  t.after(() => server.stop());
  assert.notEqual(server.port, 6379);
  const redis = new Redis(server.url, { maxRetriesPerRequest: 20 });
  t.after(() => redis.disconnect());

  await redis.set('modt:test', 'kept');
  assert.equal(await redis.get('modt:test'), 'kept');

  await server.restart();
  assert.equal(await redis.get('modt:test'), null);
});

test('stop() ends redis-server and frees its port', async (t) => {
  const server = await startRedis();
  t.after(() => server.stop());
  await server.stop();
  assert.equal(await canConnect(server.port), false);
});
