import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { after, before, test, type TestContext } from 'node:test';
import type { MqttClient } from 'mqtt';
import monitor from '../functions/monitor.ts';
import { ErrorCodes } from '../protocol/index.ts';
import {
  AsyncQueue,
  connectClient,
  publishJson,
  recordsUntil,
  startMosquitto,
  startRedis,
  type Mosquitto,
} from '../test/support/index.ts';
import { createLogger, startUnit, type Env } from './index.ts';

interface LogLine {
  msg: string;
  code?: string;
  reason?: string;
  /** Whether ioredis had been loaded when the line was written. */
  ioredisLoaded: boolean;
}

const LINE_WAIT_MS = 15_000;
const moduleCache = createRequire(import.meta.url).cache;
const ioredisLoaded = () => Object.keys(moduleCache).some((file) => file.includes('/ioredis/'));

let broker: Mosquitto;
let client: MqttClient;

before(async () => {
  broker = await startMosquitto();
  client = await connectClient(broker.url);
});

after(async () => {
  await client?.endAsync(true);
  await broker?.stop();
});

/** The monitor as its process starts it (`startUnit`), with the lines it logs. */
function startMonitor(t: TestContext, redisUrl: string): AsyncQueue<LogLine> {
  const lines = new AsyncQueue<LogLine>('log line', (line) => line.msg);
  const write = (text: string) => {
    lines.push({ ...JSON.parse(text), ioredisLoaded: ioredisLoaded() });
  };
  const env: Env = {
    MODT_MQTT_URL: broker.url,
    MODT_REDIS_URL: redisUrl,
    MODT_CLIENT_ID: `start-unit-${randomUUID()}`,
  };
  const runner = startUnit(monitor, env, createLogger('monitor', { write }));
  t.after(() => runner.stop());
  return lines;
}

/** The next line whose message is `msg`, the lines before it passed over. */
async function lineSaying(lines: AsyncQueue<LogLine>, msg: string): Promise<LogLine> {
  for (;;) {
    const line = await lines.next(LINE_WAIT_MS);
    if (line.msg === msg) return line;
  }
}

const storedOn = (url: string, topic: string) =>
  recordsUntil(url, (records) => records.some((r) => r.topic === topic));

// First in this file: nothing else in this process may have loaded ioredis before it.
test('the monitor holds its subscriptions before it loads its Redis client', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const lines = startMonitor(t, redis.url);

  const ready = await lineSaying(lines, 'unit ready');
  assert.equal(ready.ioredisLoaded, false);

  await publishJson(client, 'modt/test/start-unit/up', { n: 1 });
  const records = await storedOn(redis.url, 'modt/test/start-unit/up');
  const stored = records.filter((r) => r.topic === 'modt/test/start-unit/up');
  assert.deepEqual(JSON.parse(stored[0]!.payload), { n: 1 });
});

test('a monitor started with Redis down is on the bus, then says the store failed', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  await redis.halt();
  const lines = startMonitor(t, redis.url);

  await lineSaying(lines, 'unit ready');
  const failed = await lineSaying(lines, 'history store failed');
  assert.equal(failed.code, ErrorCodes.STORE_FAILED);
  assert.match(failed.reason ?? '', /ECONNREFUSED/);

  // What comes while Redis is down waits unacknowledged, and is stored once it is back.
  await publishJson(client, 'modt/test/start-unit/down', { n: 2 });
  await redis.restart();
  const records = await storedOn(redis.url, 'modt/test/start-unit/down');
  const stored = records.filter((r) => r.topic === 'modt/test/start-unit/down');
  assert.deepEqual(JSON.parse(stored[0]!.payload), { n: 2 });
});
