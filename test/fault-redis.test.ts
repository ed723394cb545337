import assert from 'node:assert/strict';
import { test } from 'node:test';
import dummyApp from '../functions/dummy-app.ts';
import monitor from '../functions/monitor.ts';
import { RedisStreamStore, UnitRunner } from '../router/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  publishJson,
  recordsUntil,
  startMosquitto,
  startRedis,
  startTestGateway,
} from './support/index.ts';

const SOAK = process.env.MODT_SOAK === '1';
const MESSAGES = SOAK ? 30_000 : 3000;
const RATE_PER_S = 300;
const OUTAGE_MS = SOAK ? 60_000 : 8000;

test('C08 Redis stopped while messages flow: redirects go on, and afterwards every message is stored', async (t) => {
  const broker = await startMosquitto({
    extraConfig: ['max_queued_messages 100000', 'sys_interval 1'],
  });
  t.after(() => broker.stop());
  const redis = await startRedis({ persistence: true });
  t.after(() => redis.stop());

  const store = new RedisStreamStore({ url: redis.url });
  const recorder = new UnitRunner(monitor, {
    mqttUrl: new URL(broker.url),
    settings: {},
    store,
    clientId: 'outage-monitor',
  });
  t.after(() => recorder.stop());
  const gateway = await startTestGateway(broker.url);
  t.after(() => gateway.stop());
  const settings = { publicUrl: `http://127.0.0.1:${gateway.port}/` };
  const app = new UnitRunner(dummyApp, {
    mqttUrl: new URL(broker.url),
    settings,
    clientId: 'outage-app',
  });
  t.after(() => app.stop());
  await Promise.all([recorder.waitReady(10_000), app.waitReady(10_000)]);
  let storeErrors = 0;
  recorder.on('store-error', () => (storeErrors += 1));

  const client = await connectClient(broker.url);
  t.after(() => client.endAsync(true));
  const dropped = await collect(client, '$SYS/broker/publish/messages/dropped');
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  t.after(() => clearInterval(sampler));

  // The load, open-loop at a fixed rate; Redis goes away after a fifth of it.
  const sending = (async () => {
    const started = performance.now();
    for (let i = 0; i < MESSAGES; i++) {
      const due = started + (i * 1000) / RATE_PER_S;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      void publishJson(client, `modt/load/${i % 10}`, { i });
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, (MESSAGES / RATE_PER_S / 5) * 1000));
  await redis.halt();
  const outageStarted = performance.now();

  // Meanwhile a browser logs in and is redirected as usual.
  const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
  t.after(() => browser.close());
  await browser.openLoginPage();
  await browser.openSocket();
  assert.equal((await browser.login('demo', 'demo')).status, 200);
  assert.equal((await browser.nextFrame()).app_name, 'dummy-app');

  await new Promise((resolve) =>
    setTimeout(resolve, OUTAGE_MS - (performance.now() - outageStarted)),
  );
  await redis.restart();
  await sending;

  const records = await recordsUntil(
    redis.url,
    (r) =>
      new Set(r.filter((e) => e.topic.startsWith('modt/load/')).map((e) => e.payload)).size >=
      MESSAGES,
    120_000,
  );
  const load = records.filter((e) => e.topic.startsWith('modt/load/'));
  const indices = new Set(load.map((e) => JSON.parse(e.payload).i as number));
  const duplicates = load.length - indices.size;
  const unmarked = duplicates - load.filter((e) => e.redelivered).length;
  const brokerDropped = Math.max(0, ...dropped.all.map((m) => Number(m.payload.toString())));
  t.diagnostic(
    `${MESSAGES} sent, ${indices.size} stored, ${duplicates} duplicates, outage ${OUTAGE_MS} ms, ` +
      `store errors ${storeErrors}, broker dropped ${brokerDropped}, ` +
      `peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
  );
  assert.equal(indices.size, MESSAGES, 'every message is stored');
  assert.ok(unmarked <= 0, 'every duplicate is marked redelivered');
  assert.equal(brokerDropped, 0, 'the broker dropped nothing');
  assert.ok(
    records.some((e) => e.topic === 'modt/app/ready'),
    'the login during the outage is on record',
  );
});
