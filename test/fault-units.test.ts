import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { Topics } from '../protocol/index.ts';
import {
  collect,
  connectClient,
  publishJson,
  recordsUntil,
  startBundle,
  startMosquitto,
  startRedis,
  type Mosquitto,
} from './support/index.ts';

const login = (i: number) => ({
  user_id: `user-${i}`,
  session_id: crypto.randomUUID(),
  role: 'user',
  timestamp: new Date().toISOString(),
});

describe('a unit that dies or is stopped loses nothing', () => {
  let broker: Mosquitto;
  let client: MqttClient;
  before(async () => {
    broker = await startMosquitto({ extraConfig: ['max_queued_messages 100000'] });
    client = await connectClient(broker.url);
  });
  after(async () => {
    await client?.endAsync(true);
    await broker?.stop();
  });

  test('a monitor killed while it cannot store a message stores it when it comes back', async (t) => {
    const redis = await startRedis({ persistence: true });
    t.after(() => redis.stop());
    const env = {
      MODT_MQTT_URL: broker.url,
      MODT_REDIS_URL: redis.url,
      MODT_CLIENT_ID: 'killed-monitor',
    };
    const first = await startBundle(['monitor.cjs'], env);
    t.after(() => first.stop());
    await first.waitFor('"msg":"unit ready"');

    await redis.halt();
    await publishJson(client, 'modt/test/kill', { n: 1 });
    await first.waitFor('"msg":"history store failed"');
    await first.kill();

    await redis.restart();
    const second = await startBundle(['monitor.cjs'], env);
    t.after(() => second.stop());
    const records = await recordsUntil(redis.url, (r) =>
      r.some((e) => e.topic === 'modt/test/kill'),
    );
    assert.deepEqual(JSON.parse(records.find((e) => e.topic === 'modt/test/kill')!.payload), {
      n: 1,
    });
  });

  test('SIGTERM while busy: exit 0 within seconds, and every login answered by it or its successor', async (t) => {
    const env = {
      MODT_MQTT_URL: broker.url,
      MODT_CLIENT_ID: 'stopped-app',
      MODT_PUBLIC_URL: 'http://gw.test/',
    };
    const listener = await connectClient(broker.url);
    t.after(() => listener.endAsync(true));
    const readies = await collect(listener, Topics.appReady);
    // The unit's session exists, then a backlog waits for it: it starts busy.
    const session = await startBundle(['dummy-app.cjs'], env);
    await session.waitFor('"msg":"unit ready"');
    assert.equal(await session.stop(), 0);
    const logins = Array.from({ length: 5000 }, (_, i) => login(i));
    for (let i = 0; i < logins.length; i += 100) {
      await Promise.all(
        logins.slice(i, i + 100).map((l) => publishJson(client, Topics.authSuccess, l)),
      );
    }

    const first = await startBundle(['dummy-app.cjs'], env);
    while (readies.all.length < 300) await new Promise((resolve) => setTimeout(resolve, 5));

    const asked = performance.now();
    const code = await first.stop();
    const stoppedMs = performance.now() - asked;
    const handled = Number(/"handled":(\d+)/.exec(first.output())?.[1]);
    t.diagnostic(
      `first process answered ${handled} of ${logins.length}, stopped in ${stoppedMs.toFixed(0)} ms`,
    );
    assert.ok(handled < logins.length, 'the stop came while logins were still arriving');
    assert.equal(code, 0);
    assert.ok(stoppedMs < 10_000, `stopped in ${stoppedMs} ms, inside Docker's ten seconds`);
    assert.match(first.output(), /"msg":"unit stopped"/);

    const second = await startBundle(['dummy-app.cjs'], env);
    t.after(() => second.stop());
    const wanted = new Set(logins.map((l) => l.session_id));
    const deadline = Date.now() + 30_000;
    const answered = () =>
      new Set(readies.all.map((m) => JSON.parse(m.payload.toString()).session_id));
    while (answered().size < wanted.size && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const got = answered();
    const missing = [...wanted].filter((id) => !got.has(id));
    assert.deepEqual(missing, [], `${missing.length} logins never answered`);
  });
});
