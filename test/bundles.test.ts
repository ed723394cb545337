import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { UWS_BINARY, hashPassword } from '../gateway/index.ts';
import { unitFiles } from '../router/index.ts';
import {
  BrowserClient,
  DIST,
  TEST_COST,
  connectClient,
  freePort,
  publishRaw,
  recordsUntil,
  startBundle,
  startMosquitto,
  startRedis,
  type Mosquitto,
} from './support/index.ts';

const FUNCTIONS = fileURLToPath(new URL('../functions/', import.meta.url));

describe('C11 every bundle starts from an empty folder', () => {
  let broker: Mosquitto;
  before(async () => (broker = await startMosquitto()));
  after(() => broker?.stop());

  test('dist holds one bundle per unit file, the gateway with its native binary, and modt', async () => {
    const units = unitFiles(FUNCTIONS).map((f) => f.slice(FUNCTIONS.length, -3));
    const built = await readdir(DIST);
    for (const name of [...units.map((u) => `${u}.cjs`), 'gateway.cjs', UWS_BINARY, 'modt.cjs']) {
      assert.ok(built.includes(name), `dist/${name} exists`);
    }
  });

  for (const file of unitFiles(FUNCTIONS)) {
    const name = file.slice(FUNCTIONS.length, -3);
    test(`${name}.cjs connects, subscribes and stops with exit 0 on SIGTERM`, async () => {
      const bundle = await startBundle([`${name}.cjs`], {
        MODT_MQTT_URL: broker.url,
        MODT_CLIENT_ID: `bundle-${name}-${process.pid}`,
        MODT_HISTORY_FILE: join(tmpdir(), `modt-bundle-${process.pid}.jsonl`),
      });
      await bundle.waitFor('"msg":"unit ready"');
      assert.equal(await bundle.stop(), 0);
      assert.doesNotMatch(bundle.output(), /Dynamic require/);
    });
  }

  test('a unit that keeps no records carries no Redis client in its bundle', async () => {
    const dummy = await readFile(join(DIST, 'dummy-app.cjs'), 'utf8');
    const monitor = await readFile(join(DIST, 'monitor.cjs'), 'utf8');
    // ioredis's own command table names XADD; the monitor's bundle must have it.
    assert.match(monitor, /xadd/i);
    assert.doesNotMatch(dummy, /ioredis|xadd/i);
  });

  test('monitor.cjs alone records what the bus carries into a real Redis', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const bundle = await startBundle(['monitor.cjs'], {
      MODT_MQTT_URL: broker.url,
      MODT_CLIENT_ID: `bundle-monitor-redis-${process.pid}`,
      MODT_REDIS_URL: redis.url,
    });
    t.after(() => bundle.stop());
    await bundle.waitFor('"msg":"unit ready"');
    const client = await connectClient(broker.url);
    t.after(() => client.endAsync(true));
    await publishRaw(client, 'modt/bundle/check', '{"from":"the bundle test"}');
    const records = await recordsUntil(redis.url, (all) => all.length > 0, 15_000);
    assert.equal(records[0]!.topic, 'modt/bundle/check');
    assert.equal(records[0]!.payload, '{"from":"the bundle test"}');
    assert.equal(await bundle.stop(), 0);
  });

  test('the gateway bundle alone serves logins for the app units on the bus', async (t) => {
    const port = await freePort();
    const users = join(tmpdir(), `modt-users-${process.pid}.json`);
    const password = await hashPassword('s3cret', TEST_COST);
    await writeFile(users, JSON.stringify({ users: [{ username: 'alice', role: 'admin', password }] }));
    t.after(() => rm(users, { force: true }));
    const publicUrl = `http://127.0.0.1:${port}/`;

    const gateway = await startBundle(['gateway.cjs', UWS_BINARY], {
      MODT_MQTT_URL: broker.url,
      MODT_USERS_FILE: users,
      PORT: String(port),
      MODT_PUBLIC_URL: publicUrl,
      MODT_GATEWAY_CLIENT_ID: `bundle-gateway-${process.pid}`,
    });
    t.after(() => gateway.stop());
    const app = await startBundle(['dummy-app.cjs'], {
      MODT_MQTT_URL: broker.url,
      MODT_PUBLIC_URL: publicUrl,
      MODT_CLIENT_ID: `bundle-app-${process.pid}`,
    });
    t.after(() => app.stop());
    await gateway.waitFor('"msg":"gateway on the bus"');
    await app.waitFor('"msg":"unit ready"');

    const browser = new BrowserClient(publicUrl);
    t.after(() => browser.close());
    await browser.openLoginPage();
    await browser.openSocket();
    assert.equal((await browser.login('alice', 's3cret')).status, 200);
    assert.equal((await browser.nextFrame()).url, `${publicUrl}apps/dummy-app/`);
    assert.equal((await fetch(`${publicUrl}healthz`)).status, 200);
  });

  test('the gateway bundle without its native binary refuses to start and says why', async () => {
    const users = join(tmpdir(), `modt-users-empty-${process.pid}.json`);
    await writeFile(users, JSON.stringify({ users: [] }));
    const gateway = await startBundle(['gateway.cjs'], {
      MODT_MQTT_URL: broker.url,
      MODT_USERS_FILE: users,
      PORT: String(await freePort()),
    });
    const code = await gateway.exited;
    await gateway.stop();
    await rm(users, { force: true });
    assert.equal(code, 1);
    assert.match(gateway.output(), /MODT_ERR_UWS_NATIVE_MISSING/);
    assert.match(gateway.output(), /native uWebSockets\.js binding did not load/);
  });
});
