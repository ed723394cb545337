import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { MqttClient } from 'mqtt';
import { ErrorCodes, Topics } from '../protocol/index.ts';
import type { GatewayOptions } from '../gateway/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  publishJson,
  startMosquitto,
  startClockedGateway,
  type Collector,
  type Mosquitto,
} from './support/index.ts';

const IDLE_MS = 60_000;
const MAX_MS = 120_000;
const NO_SESSION = {
  ok: false,
  code: ErrorCodes.SESSION_MISSING,
  error: 'no session: open the login page first',
};

describe('browser sessions are renewed at login and end on time', () => {
  let broker: Mosquitto;
  let bus: MqttClient;
  let logins: Collector;

  before(async () => {
    broker = await startMosquitto();
    bus = await connectClient(broker.url);
    logins = await collect(bus, Topics.authSuccess);
  });
  after(async () => {
    await bus?.endAsync(true);
    await broker?.stop();
  });

  /** A gateway of its own for one test, on a clock the test moves. */
  async function gatewayOn(t: TestContext, overrides: Partial<GatewayOptions> = {}) {
    const lifetimes = { sessionIdleMs: IDLE_MS, sessionMaxMs: MAX_MS };
    const { gateway, clock, base } = await startClockedGateway(t, broker.url, {
      ...lifetimes,
      ...overrides,
    });
    const browser = new BrowserClient(`${base}/`);
    t.after(() => browser.close());
    await browser.openLoginPage();
    return { gateway, clock, base, browser };
  }

  /** A second client that presents a given cookie, as a thief of it would. */
  function holderOf(base: string, browser: BrowserClient, cookie: string): BrowserClient {
    const holder = new BrowserClient(`${base}/`);
    holder.cookie = cookie;
    holder.csrf = browser.csrf;
    return holder;
  }

  /** Answers the login on the bus as an app would, and returns the redirect_url. */
  async function answerLogin(base: string, appName: string): Promise<string> {
    const { session_id } = (await logins.nextJson()) as { session_id: string };
    const url = `${base}/apps/${appName}/`;
    await publishJson(bus, Topics.appReady, { session_id, redirect_url: url, app_name: appName });
    return url;
  }

  test('a login sets a new cookie secret and the old one finds nothing after', async (t) => {
    const { base, browser } = await gatewayOn(t);
    const before = browser.cookie;
    const answer = await browser.login('demo', 'demo');
    await logins.nextJson();

    const setCookie = answer.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^modt_sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
    assert.notEqual(browser.cookie, before);
    const stale = holderOf(base, browser, before);
    assert.deepEqual((await stale.login('demo', 'nope')).body, NO_SESSION);
    await assert.rejects(stale.openSocket(), /401/);
    await browser.openSocket();
  });

  test('the socket opened under the old secret still gets the login redirect', async (t) => {
    const { base, browser } = await gatewayOn(t);
    await browser.openSocket();
    const before = browser.cookie;
    assert.equal((await browser.login('demo', 'demo')).status, 200);
    assert.notEqual(browser.cookie, before);

    const url = await answerLogin(base, 'kept');
    assert.equal((await browser.nextFrame()).url, url);
  });

  test('C07 closing the old socket after a renewal leaves the new one its redirect', async (t) => {
    const { base, browser } = await gatewayOn(t);
    const old = await browser.openSocket();
    assert.equal((await browser.login('demo', 'demo')).status, 200);
    await browser.openSocket();
    old.close();
    await browser.closeOf(old);

    const url = await answerLogin(base, 'tabs');
    assert.equal((await browser.nextFrame()).url, url);
  });

  test('a session idle past its limit is refused at its next request, sweep or not', async (t) => {
    const { base, browser, clock } = await gatewayOn(t);
    const idle = browser.cookie;
    clock.now += IDLE_MS;

    assert.deepEqual((await browser.login('demo', 'demo')).body, NO_SESSION);
    const holder = holderOf(base, browser, idle);
    await assert.rejects(holder.openSocket(), /401/);
    await holder.openLoginPage();
    assert.notEqual(holder.cookie, idle, 'the login page starts a new session');
  });

  test('a session past its absolute limit is refused though it was seen just now', async (t) => {
    const { browser, clock } = await gatewayOn(t);
    for (let seen = 1; seen < 4; seen += 1) {
      clock.now += MAX_MS / 4;
      const page = await browser.openLoginPage();
      assert.equal(page.headers.get('set-cookie'), null, `the same session at ${seen}/4`);
    }
    clock.now += MAX_MS / 4;
    const page = await browser.openLoginPage();
    assert.notEqual(page.headers.get('set-cookie'), null, 'a new session at its limit');
  });

  test('an open socket keeps its session past the idle limit', async (t) => {
    const { gateway, browser, clock } = await gatewayOn(t);
    await browser.openSocket();
    clock.now += IDLE_MS * 1.5;
    gateway.sweep();

    assert.equal((await browser.login('demo', 'demo')).status, 200);
    await logins.nextJson();
  });

  test('the sweep closes with 4401 the open socket of a session past its limit', async (t) => {
    const { gateway, browser, clock } = await gatewayOn(t);
    const socket = await browser.openSocket();
    clock.now += MAX_MS;
    gateway.sweep();

    assert.deepEqual(await browser.closeOf(socket), { code: 4401, reason: 'session expired' });
    assert.equal(gateway.stats.refused[ErrorCodes.SESSION_EXPIRED], 1);
  });
});
