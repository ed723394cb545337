import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import dummyApp from '../functions/dummy-app.ts';
import monitor from '../functions/monitor.ts';
import { Topics, appDisplayTopic } from '../protocol/index.ts';
import { RedisStreamStore, UnitRunner } from '../router/index.ts';
import type { Gateway } from '../gateway/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  publishJson,
  publishRaw,
  startMosquitto,
  startRedis,
  startTestGateway,
  type Collector,
  type Mosquitto,
  type RedisServer,
} from './support/index.ts';

/** A browser that has the login page, an open socket, and is logged in as demo. */
async function loggedInBrowser(gateway: Gateway): Promise<BrowserClient> {
  const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
  await browser.openLoginPage();
  await browser.openSocket();
  const answer = await browser.login('demo', 'demo');
  assert.equal(answer.status, 200);
  return browser;
}

async function untilRunnerReady(runner: UnitRunner): Promise<void> {
  await runner.waitReady(10_000);
}

describe('the standard redirect flow, over real Mosquitto and Redis', () => {
  let broker: Mosquitto;
  let redis: RedisServer;
  let gateway: Gateway;
  let store: RedisStreamStore;
  const runners: UnitRunner[] = [];

  before(async () => {
    broker = await startMosquitto();
    redis = await startRedis();
    gateway = await startTestGateway(broker.url);
    const settings = { publicUrl: `http://127.0.0.1:${gateway.port}/` };
    store = new RedisStreamStore({ url: redis.url, stream: 'modt:history' });
    const monitorStore = new RedisStreamStore({ url: redis.url, stream: 'modt:history' });
    runners.push(new UnitRunner(dummyApp, { mqttUrl: new URL(broker.url), settings, clientId: 'flow-dummy-app' }));
    runners.push(
      new UnitRunner(monitor, { mqttUrl: new URL(broker.url), settings: {}, store: monitorStore, clientId: 'flow-monitor' }),
    );
    await Promise.all(runners.map(untilRunnerReady));
  });
  after(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await gateway?.stop();
    await store?.close();
    await redis?.stop();
    await broker?.stop();
  });

  test('a browser that logs in receives the dummy-app redirect on its socket', async (t) => {
    const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    t.after(() => browser.close());
    await browser.openLoginPage();
    await browser.openSocket();

    const started = performance.now();
    const answer = await browser.login('demo', 'demo');
    const frame = await browser.nextFrame();
    t.diagnostic(`login request to redirect frame: ${(performance.now() - started).toFixed(1)} ms`);

    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { ok: true, user_id: 'demo', role: 'user' });
    assert.equal(frame.type, 'redirect');
    assert.equal(frame.app_name, 'dummy-app');
    assert.equal(frame.url, `http://127.0.0.1:${gateway.port}/apps/dummy-app/`);
  });

  test('the dummy-app page names the user for the browser that logged in and no other', async (t) => {
    const browser = await loggedInBrowser(gateway);
    t.after(() => browser.close());
    const { url } = await browser.nextFrame();

    const page = await browser.get(url);
    const text = await page.text();
    assert.equal(page.status, 200);
    assert.match(text, /Welcome, demo/);
    assert.match(text, /<th>Role<\/th><td>user<\/td>/);

    const stranger = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    await stranger.openLoginPage();
    const refused = await stranger.get(url);
    assert.equal(refused.status, 404);
    assert.doesNotMatch(await refused.text(), /demo/);
  });

  test('the history stream holds the login and its answer with the protocol keys', async (t) => {
    const browser = await loggedInBrowser(gateway);
    t.after(() => browser.close());
    await browser.nextFrame();

    let entries = await store.recent(50);
    for (let i = 0; i < 50 && !entries.some((e) => e.topic === Topics.appReady); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      entries = await store.recent(50);
    }
    const success = entries.findLast((e) => e.topic === Topics.authSuccess);
    assert.ok(success, 'modt/auth/success is recorded');
    const login = JSON.parse(success.payload);
    assert.deepEqual(Object.keys(login).sort(), ['role', 'session_id', 'timestamp', 'user_id']);
    assert.equal(login.user_id, 'demo');

    const ready = entries.find((e) => e.topic === Topics.appReady && JSON.parse(e.payload).session_id === login.session_id);
    assert.ok(ready, 'the modt/app/ready answering that login is recorded');
    assert.deepEqual(Object.keys(JSON.parse(ready.payload)).sort(), ['app_name', 'redirect_url', 'session_id']);
    assert.equal(ready.json, true);
    assert.ok(!Number.isNaN(Date.parse(ready.received_at)));
  });

  test('the cookie secret never travels on the bus', async (t) => {
    const browser = await loggedInBrowser(gateway);
    t.after(() => browser.close());
    await browser.nextFrame();
    const secret = browser.cookie.split('=')[1]!;
    const entries = await store.recent(200);
    assert.ok(entries.length > 0);
    assert.ok(entries.every((e) => !e.payload.includes(secret)));
  });
});

describe('what the gateway refuses to push', () => {
  let broker: Mosquitto;
  let gateway: Gateway;
  let bus: MqttClient;
  let logins: Collector;

  before(async () => {
    broker = await startMosquitto();
    gateway = await startTestGateway(broker.url, { pendingTtlMs: 2000 });
    bus = await connectClient(broker.url);
    logins = await collect(bus, Topics.authSuccess);
  });
  after(async () => {
    await bus?.endAsync(true);
    await gateway?.stop();
    await broker?.stop();
  });

  /** Logs a fresh browser in and returns it with the session_id its login carried. */
  async function login(): Promise<{ browser: BrowserClient; sessionId: string }> {
    const browser = await loggedInBrowser(gateway);
    const success = (await logins.nextJson()) as { session_id: string };
    return { browser, sessionId: success.session_id };
  }

  const base = () => `http://127.0.0.1:${gateway.port}`;
  const cases: { name: string; payload: (sessionId: string) => string }[] = [
    {
      name: 'a ready without redirect_url',
      payload: (id) => JSON.stringify({ session_id: id, app_name: 'rogue' }),
    },
    {
      name: 'a ready without session_id',
      payload: () => JSON.stringify({ redirect_url: `${base()}/x`, app_name: 'rogue' }),
    },
    {
      name: 'a single-quoted payload',
      payload: (id) => `{'session_id': '${id}', 'redirect_url': '${base()}/x', 'app_name': 'rogue'}`,
    },
    {
      name: 'a ready for an unknown session',
      payload: () => JSON.stringify({ session_id: crypto.randomUUID(), redirect_url: `${base()}/x`, app_name: 'rogue' }),
    },
    {
      name: 'a ready whose redirect_url has a foreign origin',
      payload: (id) => JSON.stringify({ session_id: id, redirect_url: 'https://evil.example/', app_name: 'rogue' }),
    },
    {
      name: 'a ready whose redirect_url is javascript:',
      payload: (id) => JSON.stringify({ session_id: id, redirect_url: 'javascript:alert(1)', app_name: 'rogue' }),
    },
  ];

  for (const { name, payload } of cases) {
    test(`${name} pushes nothing and the gateway keeps serving`, async (t) => {
      const { browser, sessionId } = await login();
      t.after(() => browser.close());
      const dropped = Object.values(gateway.stats.dropped).reduce((a, b) => a + b, 0);

      await publishRaw(bus, Topics.appReady, payload(sessionId));
      await browser.expectNoFrame(500);
      assert.equal(Object.values(gateway.stats.dropped).reduce((a, b) => a + b, 0), dropped + 1);

      const url = `${base()}/apps/good/`;
      await publishJson(bus, Topics.appReady, { session_id: sessionId, redirect_url: url, app_name: 'good' });
      assert.equal((await browser.nextFrame()).url, url);
    });
  }

  test('a refused ready is announced on modt/dead/gateway with its reason and an excerpt', async (t) => {
    const { browser, sessionId } = await login();
    t.after(() => browser.close());
    const letters = await collect(bus, 'modt/dead/gateway');
    t.after(() => letters.close());
    await publishRaw(bus, Topics.appReady, `{'session_id': '${sessionId}'}`);
    const letter = (await letters.nextJson()) as Record<string, unknown>;
    assert.equal(letter.unit, 'gateway');
    assert.equal(letter.topic, Topics.appReady);
    assert.equal(letter.code, 'MODT_ERR_PAYLOAD_NOT_JSON');
    assert.equal(letter.excerpt, `{'session_id': '${sessionId}'}`);
  });

  test('a display whose app_name is not its topic\'s app is refused, announced and counted',
    async (t) => {
      const { browser, sessionId } = await login();
      t.after(() => browser.close());
      const letters = await collect(bus, 'modt/dead/gateway');
      t.after(() => letters.close());
      const mismatched = gateway.stats.dropped.MODT_ERR_APP_NAME_MISMATCH ?? 0;

      const display = { session_id: sessionId, app_name: 'victim', title: 'Forged', items: [] };
      await publishJson(bus, appDisplayTopic('rogue'), display);
      const letter = (await letters.nextJson()) as Record<string, unknown>;
      assert.equal(letter.code, 'MODT_ERR_APP_NAME_MISMATCH');
      assert.equal(letter.topic, 'modt/app/display/rogue');
      assert.match(String(letter.reason), /app_name 'victim'.*expected 'rogue'/);
      assert.equal(gateway.stats.dropped.MODT_ERR_APP_NAME_MISMATCH, mismatched + 1);
      assert.equal((await browser.get(`${base()}/apps/victim/`)).status, 404);

      await publishJson(bus, appDisplayTopic('victim'), { ...display, title: 'Own page' });
      await publishJson(bus, Topics.appReady, {
        session_id: sessionId,
        redirect_url: `${base()}/apps/victim/`,
        app_name: 'victim',
      });
      await browser.nextFrame();
      assert.match(await (await browser.get(`${base()}/apps/victim/`)).text(), /Own page/);
    });

  test('a second answer for the same login is not pushed', async (t) => {
    const { browser, sessionId } = await login();
    t.after(() => browser.close());
    const first = `${base()}/apps/first/`;
    await publishJson(bus, Topics.appReady, { session_id: sessionId, redirect_url: first, app_name: 'first' });
    await publishJson(bus, Topics.appReady, { session_id: sessionId, redirect_url: `${base()}/apps/second/`, app_name: 'second' });
    assert.equal((await browser.nextFrame()).url, first);
    await browser.expectNoFrame(500);
    assert.ok((gateway.stats.dropped.MODT_ERR_ANSWER_DUPLICATE ?? 0) >= 1);
  });

  test('C06 a ready that comes before the socket opens is pushed when it opens', async () => {
    const browser = new BrowserClient(`${base()}/`);
    await browser.openLoginPage();
    assert.equal((await browser.login('demo', 'demo')).status, 200);
    const { session_id } = (await logins.nextJson()) as { session_id: string };
    const url = `${base()}/apps/early/`;
    await publishJson(bus, Topics.appReady, { session_id, redirect_url: url, app_name: 'early' });
    await new Promise((resolve) => setTimeout(resolve, 200));

    await browser.openSocket();
    assert.equal((await browser.nextFrame()).url, url);
    browser.close();
  });

  test('C06 a held redirect is dropped once it is older than the pending limit', async () => {
    const browser = new BrowserClient(`${base()}/`);
    await browser.openLoginPage();
    await browser.login('demo', 'demo');
    const { session_id } = (await logins.nextJson()) as { session_id: string };
    await publishJson(bus, Topics.appReady, { session_id, redirect_url: `${base()}/apps/stale/`, app_name: 'stale' });
    await new Promise((resolve) => setTimeout(resolve, 2500));

    await browser.openSocket();
    await browser.expectNoFrame(500);
    browser.close();
  });

  test('C07 a late close of an old socket leaves the new socket of the session to get the redirect', async () => {
    const browser = new BrowserClient(`${base()}/`);
    await browser.openLoginPage();
    const old = await browser.openSocket();
    await browser.openSocket();
    old.close();
    await new Promise((resolve) => old.once('close', resolve));
    await browser.login('demo', 'demo');
    const { session_id } = (await logins.nextJson()) as { session_id: string };

    const url = `${base()}/apps/tabs/`;
    await publishJson(bus, Topics.appReady, { session_id, redirect_url: url, app_name: 'tabs' });
    assert.equal((await browser.nextFrame()).url, url);
    browser.close();
  });

  test('a socket from a foreign origin or without the session cookie is refused', async () => {
    const browser = new BrowserClient(`${base()}/`);
    await browser.openLoginPage();
    await assert.rejects(browser.openSocket('https://evil.example'), /403/);

    const anonymous = new BrowserClient(`${base()}/`);
    await assert.rejects(anonymous.openSocket(), /401/);
    const health = await fetch(`${base()}/healthz`);
    assert.equal(health.status, 200);
  });

  test('a wrong password and an unknown user get the same answer', async () => {
    const browser = new BrowserClient(`${base()}/`);
    await browser.openLoginPage();
    const wrong = await browser.login('demo', 'nope');
    const unknown = await browser.login('nobody', 'demo');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, 'MODT_ERR_LOGIN_FAILED');
    assert.deepEqual(unknown, wrong);
    await logins.expectNothing(300);
  });
});
