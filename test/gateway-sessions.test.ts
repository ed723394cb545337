import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { MqttClient } from 'mqtt';
import net from 'node:net';
import WebSocket from 'ws';
import { ErrorCodes, Topics, appDisplayTopic } from '../protocol/index.ts';
import type { GatewayOptions } from '../gateway/index.ts';
import { SessionRegistry } from '../gateway/session-registry.ts';
import { SessionSockets } from '../gateway/session-sockets.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  publishJson,
  seededRandom,
  startClockedGateway,
  startMosquitto,
  testUsers,
  type Collector,
  type Mosquitto,
} from './support/index.ts';

const IDLE_MS = 60_000;
const MAX_MS = 120_000;
const DAY_MS = 24 * 60 * 60_000;
const EXPIRED = { code: 4401, reason: 'session expired' };
const STOPPING = { code: 1001, reason: 'gateway stopping' };

/** One tab's socket: its frames, and how it closed. */
interface Tab {
  socket: WebSocket;
  frames: Array<{ type: string; id?: number; url?: string }>;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a socket with a cookie, as one more tab of the browser holding it. */
function openTab(base: string, cookie: string, origin = base): Promise<Tab> {
  const url = new URL('/ws', base);
  url.protocol = 'ws:';
  const socket = new WebSocket(url, { headers: { cookie, origin } });
  const frames: Tab['frames'] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, frames, closed }));
    socket.once('unexpected-response', (_req, res) => {
      reject(new Error(`refused ${res.statusCode}`));
    });
    socket.once('error', reject);
  });
}

/** Closes a tab from the browser's side and waits until the gateway has seen it go. */
async function closeTab(tab: Tab): Promise<void> {
  tab.socket.close(1000);
  await tab.closed;
}

/** How a tab closed, or a failure if it is still open after `ms`. */
function closeOf(tab: Tab, ms = 5000): Promise<{ code: number; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const open = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`tab still open after ${ms} ms`)), ms);
  });
  return Promise.race([tab.closed, open]).finally(() => clearTimeout(timer));
}

/** A kept-alive HTTP/1.1 connection to the gateway, on which requests are written by hand. */
async function keptAlive(port: number) {
  const conn = net.connect({ host: '127.0.0.1', port });
  let received = '';
  conn.on('data', (chunk) => (received += chunk.toString('latin1')));
  await new Promise((resolve) => conn.once('connect', resolve));
  const answer = async (request: string) => {
    received = '';
    conn.write(request);
    for (let waited = 0; waited < 2000 && !received.includes('\r\n\r\n'); waited += 20) {
      await settle(20);
    }
    return received.split('\r\n')[0] ?? '';
  };
  return { conn, answer };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a session holds its tabs, and they all end with it', () => {
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

  function gatewayOn(t: TestContext, overrides: Partial<GatewayOptions> = {}) {
    const lifetimes = { sessionIdleMs: IDLE_MS, sessionMaxMs: MAX_MS };
    return startClockedGateway(t, broker.url, { ...lifetimes, ...overrides });
  }

  async function browserOn(t: TestContext, base: string): Promise<BrowserClient> {
    const browser = new BrowserClient(`${base}/`);
    t.after(() => browser.close());
    await browser.openLoginPage();
    return browser;
  }

  async function tabsOf(t: TestContext, base: string, cookie: string, n: number) {
    const tabs: Tab[] = [];
    for (let i = 0; i < n; i += 1) tabs.push(await openTab(base, cookie));
    t.after(() => tabs.forEach((tab) => tab.socket.terminate()));
    return tabs;
  }

  async function health(base: string): Promise<{ sessions: number; sockets: number }> {
    return (await (await fetch(`${base}/healthz`)).json()) as { sessions: number; sockets: number };
  }

  async function answerLogin(base: string, appName: string): Promise<string> {
    const { session_id } = (await logins.nextJson()) as { session_id: string };
    const url = `${base}/apps/${appName}/`;
    await publishJson(bus, Topics.appReady, { session_id, redirect_url: url, app_name: appName });
    return url;
  }

  test('every tab left after tabs came and went in any order gets 4401 at the sweep', async (t) => {
    const { gateway, clock, base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    const open = async () => (await tabsOf(t, base, browser.cookie, 1))[0]!;
    // The first tab is the inline one; the second makes the Set; then every kind of close.
    const a = await open();
    const b = await open();
    await closeTab(a);
    const c = await open();
    await closeTab(b);
    await closeTab(c);
    const d = await open();
    const e = await open();
    const f = await open();
    await closeTab(e);
    assert.equal((await health(base)).sockets, 2);

    clock.now += MAX_MS;
    gateway.sweep();

    for (const tab of [d, f]) assert.deepEqual(await closeOf(tab), EXPIRED);
    assert.equal(gateway.stats.refused[ErrorCodes.SESSION_EXPIRED], 2);
    assert.equal((await health(base)).sockets, 0);
  });

  test('one session with its only tab closed and reopened keeps one inline tab', async (t) => {
    const { gateway, clock, base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    for (let round = 0; round < 5; round += 1) {
      const [tab] = await tabsOf(t, base, browser.cookie, 1);
      await closeTab(tab!);
    }
    const [last] = await tabsOf(t, base, browser.cookie, 1);
    assert.equal((await health(base)).sockets, 1);

    clock.now += MAX_MS;
    gateway.sweep();
    assert.deepEqual(await closeOf(last!), EXPIRED);
    assert.equal((await health(base)).sockets, 0);
  });

  test('a redirect reaches each open tab exactly once, whatever tabs closed before', async (t) => {
    const { base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    const cookie = browser.cookie;
    const [a, b] = await tabsOf(t, base, cookie, 2);
    await closeTab(a!);
    const [c, d, e] = await tabsOf(t, base, cookie, 3);
    await closeTab(b!);
    await closeTab(d!);
    // A login renews the cookie; the tabs opened under the old one stay bound to the session.
    assert.equal((await browser.login('demo', 'demo')).status, 200);
    const [g] = await tabsOf(t, base, browser.cookie, 1);

    const url = await answerLogin(base, 'tabs');
    await settle(500);
    for (const tab of [c!, e!, g!]) {
      assert.deepEqual(tab.frames.map((frame) => [frame.type, frame.url]), [['redirect', url]]);
    }
    for (const tab of [a!, b!, d!]) assert.equal(tab.frames.length, 0);
  });

  test('a login renewing the session with tabs open restarts the limit for all', async (t) => {
    const { gateway, clock, base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    const tabs = await tabsOf(t, base, browser.cookie, 3);
    clock.now += MAX_MS / 2;
    assert.equal((await browser.login('demo', 'demo')).status, 200);
    await logins.nextJson();

    clock.now += MAX_MS - 1;
    gateway.sweep();
    await settle(200);
    assert.equal((await health(base)).sockets, 3, 'no tab is closed before the renewed limit');

    clock.now += 1;
    gateway.sweep();
    for (const tab of tabs) assert.deepEqual(await closeOf(tab), EXPIRED);
    assert.equal((await health(base)).sockets, 0);
  });

  test('a session ended at a lookup has all its tabs closed at the sweep, once', async (t) => {
    const { gateway, clock, base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    const tabs = await tabsOf(t, base, browser.cookie, 3);
    clock.now += MAX_MS;
    // Forgotten here, at a lookup, while its three tabs are open.
    await assert.rejects(openTab(base, browser.cookie), /401/);
    await browser.openLoginPage();
    gateway.sweep();
    gateway.sweep();

    for (const tab of tabs) assert.deepEqual(await closeOf(tab), EXPIRED);
    assert.equal(gateway.stats.refused[ErrorCodes.SESSION_EXPIRED], 3);
    assert.equal((await health(base)).sockets, 0);
  });

  test('stopping closes with 1001 the tabs of a session ended but not swept yet', async (t) => {
    const { gateway, clock, base } = await gatewayOn(t);
    const ended = await browserOn(t, base);
    const live = await browserOn(t, base);
    const endedTabs = await tabsOf(t, base, ended.cookie, 2);
    clock.now += MAX_MS / 2;
    await live.openLoginPage();
    const liveTabs = await tabsOf(t, base, live.cookie, 2);
    clock.now += MAX_MS / 2;
    await ended.openLoginPage(); // the ended session is forgotten here, not swept
    await gateway.stop();

    for (const tab of [...endedTabs, ...liveTabs]) assert.deepEqual(await closeOf(tab), STOPPING);
  });

  test('the open-socket count stays exact through refused upgrades and sweeps', async (t) => {
    const { gateway, clock, base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    await assert.rejects(openTab(base, browser.cookie, 'http://evil.example'), /403/);
    await assert.rejects(openTab(base, 'modt_sid=nothing'), /401/);
    await assert.rejects(openTab(base, ''), /401/);
    assert.equal((await health(base)).sockets, 0);

    const tabs = await tabsOf(t, base, browser.cookie, 3);
    await closeTab(tabs[1]!);
    assert.equal((await health(base)).sockets, 2);
    clock.now += MAX_MS;
    gateway.sweep();
    await Promise.all([closeOf(tabs[0]!), closeOf(tabs[2]!)]);
    await assert.rejects(openTab(base, browser.cookie), /401/);
    assert.equal((await health(base)).sockets, 0);

    const fresh = await browserOn(t, base);
    await tabsOf(t, base, fresh.cookie, 1);
    assert.equal((await health(base)).sockets, 1);
  });

  test('a socket flooding from its very first message is closed with 1008', async (t) => {
    const { gateway, base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    const [tab] = await tabsOf(t, base, browser.cookie, 1);
    for (let i = 0; i < 25; i += 1) tab!.socket.send('{"type":"noise"}');

    assert.deepEqual(await closeOf(tab!), { code: 1008, reason: 'too many messages' });
    assert.equal(gateway.stats.refused[ErrorCodes.SOCKET_FLOODED], 1);
    assert.equal((await health(base)).sockets, 0);
  });

  test('a socket idle past a window, then flooding, is closed with 1008 too', async (t) => {
    const { clock, base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    const [tab] = await tabsOf(t, base, browser.cookie, 1);
    clock.now += 30_000;
    for (let i = 0; i < 21; i += 1) tab!.socket.send('x');
    assert.deepEqual(await closeOf(tab!), { code: 1008, reason: 'too many messages' });
  });

  test('twenty messages per window are allowed, and the window starts again', async (t) => {
    const { clock, base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    const [tab] = await tabsOf(t, base, browser.cookie, 1);
    for (let i = 0; i < 20; i += 1) tab!.socket.send('x');
    await settle(300);
    clock.now += 10_000;
    for (let i = 0; i < 20; i += 1) tab!.socket.send('x');
    await settle(300);
    assert.equal(tab!.socket.readyState, WebSocket.OPEN);
  });

  test('past MODT_MAX_SESSIONS the tabs of held sessions stay open and count', async (t) => {
    const { base } = await gatewayOn(t, { maxSessions: 3 });
    const browsers = [await browserOn(t, base), await browserOn(t, base), await browserOn(t, base)];
    const tabs: Tab[] = [];
    for (const browser of browsers) tabs.push(...(await tabsOf(t, base, browser.cookie, 2)));
    let newest: BrowserClient | undefined;
    for (let i = 0; i < 5; i += 1) newest = await browserOn(t, base);

    const { sessions, sockets } = await health(base);
    // The held three and the newest visitor, whose cookie names a session it can use: each
    // visitor took the one before's place, as none had a socket yet.
    assert.equal(sessions, 4);
    assert.equal(sockets, 6);
    for (const tab of tabs) assert.equal(tab.socket.readyState, WebSocket.OPEN);
    assert.equal((await tabsOf(t, base, newest!.cookie, 1)).length, 1);
  });

  test('a flood of page loads past MODT_MAX_SESSIONS signs out no user and no admin',
    async (t) => {
      const users = await testUsers([
        { username: 'demo', password: 'demo', role: 'user' },
        { username: 'root', password: 'root', role: 'admin' },
      ]);
      const { gateway, base } = await gatewayOn(t, { maxSessions: 4, users });
      const user = await browserOn(t, base);
      assert.equal((await user.login('demo', 'demo')).status, 200);
      const { session_id } = (await logins.nextJson()) as { session_id: string };
      const display = { session_id, app_name: 'notes', title: 'Notes', items: [] };
      await publishJson(bus, appDisplayTopic('notes'), display);
      const admin = await browserOn(t, base);
      assert.equal((await admin.login('root', 'root')).status, 200);
      await logins.nextJson();
      // No history store: the monitor answers an admin 503, and anyone else 303 or 403.
      const monitor = async () => (await admin.get(`${base}/monitor`)).status;
      const notes = async () => (await user.get(`${base}/apps/notes/`)).status;
      for (let waited = 0; (await notes()) !== 200 && waited < 2000; waited += 50) await settle(50);
      assert.deepEqual([await notes(), await monitor()], [200, 503]);

      for (let i = 0; i < 50; i += 1) await fetch(`${base}/`, { redirect: 'manual' });

      assert.equal(gateway.sessions, 4);
      assert.deepEqual([await notes(), await monitor()], [200, 503], 'both still signed in');
      const fresh = await browserOn(t, base);
      assert.match(fresh.cookie, /^modt_sid=/, 'a new visitor still gets a session');
      const [tab] = await tabsOf(t, base, fresh.cookie, 1);
      assert.equal(tab!.socket.readyState, WebSocket.OPEN);
    });

  test('tabs of two sessions opened and closed at random keep the count exact', async (t) => {
    // The walk opens more tabs than a session may hold by default: it counts, not limits.
    const { gateway, clock, base } = await gatewayOn(t, { maxSocketsPerSession: 120 });
    const browsers = [await browserOn(t, base), await browserOn(t, base)];
    const random = seededRandom(7);
    const open: Tab[][] = [[], []];
    for (let step = 0; step < 120; step += 1) {
      const which = random() < 0.5 ? 0 : 1;
      const tabs = open[which]!;
      if (tabs.length > 0 && random() < 0.45) {
        const [tab] = tabs.splice(Math.floor(random() * tabs.length), 1);
        await closeTab(tab!);
      } else {
        tabs.push(...(await tabsOf(t, base, browsers[which]!.cookie, 1)));
      }
      if (step % 20 === 0) {
        assert.equal((await health(base)).sockets, open[0]!.length + open[1]!.length, `at ${step}`);
      }
    }
    assert.equal((await health(base)).sockets, open[0]!.length + open[1]!.length);

    clock.now += MAX_MS;
    gateway.sweep();
    for (const tab of open.flat()) assert.deepEqual(await closeOf(tab), EXPIRED);
    assert.equal(gateway.stats.refused[ErrorCodes.SESSION_EXPIRED], open.flat().length);
    assert.equal((await health(base)).sockets, 0);
  });

  test('a socket closed by uWebSockets.js for a too-large message leaves the count', async (t) => {
    const { base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    const [big, kept] = await tabsOf(t, base, browser.cookie, 2);
    big!.socket.send('x'.repeat(4096));
    assert.notEqual((await closeOf(big!)).code, 1000);
    assert.equal((await health(base)).sockets, 1);
    assert.equal(kept!.socket.readyState, WebSocket.OPEN);
  });

  // stop() closes the listen socket and then every socket it finds, but an HTTP/1.1
  // connection kept alive from before still upgrades: that socket is bound to its session,
  // counted, and never closed. Not today's change (the Set of every socket had the same gap).
  test('no browser socket opens after stop, not on a kept-alive connection', async (t) => {
    const { gateway, base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    const { conn, answer } = await keptAlive(gateway.port);
    t.after(() => conn.destroy());
    const healthz = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
    assert.equal(await answer(healthz), 'HTTP/1.1 200 OK');
    await gateway.stop();

    const upgrade = [
      'GET /ws HTTP/1.1',
      'Host: 127.0.0.1',
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      `Origin: ${base}`,
      `Cookie: ${browser.cookie}`,
    ];
    const status = await answer(`${upgrade.join('\r\n')}\r\n\r\n`);
    const opened = 'a socket opened after stop, which nothing closes';
    assert.doesNotMatch(status, /^HTTP\/1\.1 101/, opened);
  });

  test('the idle limit counts from when the last of several tabs closed', async (t) => {
    const { gateway, clock, base } = await gatewayOn(t, { sessionMaxMs: 10 * IDLE_MS });
    const browser = await browserOn(t, base);
    const [a, b, c] = await tabsOf(t, base, browser.cookie, 3);
    clock.now += IDLE_MS * 2;
    await closeTab(b!);
    await closeTab(a!);
    gateway.sweep();
    assert.equal((await health(base)).sessions, 1, 'a session with a tab open is not idle');
    clock.now += IDLE_MS;
    await closeTab(c!);

    clock.now += IDLE_MS - 1;
    gateway.sweep();
    assert.equal((await health(base)).sessions, 1);
    clock.now += 1;
    gateway.sweep();
    assert.equal((await health(base)).sessions, 0);
  });
});

describe('the session registry clock and a session\'s sockets', () => {
  const limits = { maxSessions: 10, idleMs: IDLE_MS, maxAgeMs: MAX_MS };

  test('past the cap, a session whose last tab just closed outlives one seen earlier', () => {
    const start = Date.now();
    const registry = new SessionRegistry<object>({ ...limits, maxSessions: 2 });
    const tabbed = registry.create(start);
    const tab = {};
    const other = {};
    tabbed.sockets.add(tab).add(other);
    const quiet = registry.create(start + 1);
    tabbed.sockets.delete(tab);
    tabbed.sockets.delete(other);
    registry.seen(tabbed, start + 2);
    registry.create(start + 3);

    assert.equal(registry.size, 2);
    assert.ok(registry.holds(tabbed, start + 3));
    assert.ok(!registry.holds(quiet, start + 3));
  });

  test('after 25 days of uptime the idle and absolute limits fall on the same ms', () => {
    const start = Date.now();
    const registry = new SessionRegistry<object>(limits);
    registry.create(start);
    for (const uptime of [24 * DAY_MS, 2 ** 31 - 1, 2 ** 31, 25 * DAY_MS, 400 * DAY_MS]) {
      const at = start + uptime;
      const idle = registry.create(at);
      assert.ok(registry.holds(idle, at + IDLE_MS - 1), `idle kept at ${uptime}`);
      assert.ok(!registry.holds(idle, at + IDLE_MS), `idle forgotten at ${uptime}`);

      const held = registry.create(at);
      held.sockets.add({});
      assert.ok(registry.holds(held, at + MAX_MS - 1), `held kept at ${uptime}`);
      assert.ok(!registry.holds(held, at + MAX_MS), `held forgotten at ${uptime}`);
      assert.deepEqual(registry.takeEnded(), [held]);
    }
  });

  test('a clock that goes backwards neither ends a session nor stretches its lifetime', () => {
    const start = Date.now();
    const registry = new SessionRegistry<object>(limits);
    const session = registry.create(start);
    session.sockets.add({});
    assert.ok(registry.holds(session, start - DAY_MS));
    assert.ok(registry.holds(session, start + MAX_MS - 1));
    assert.ok(!registry.holds(session, start + MAX_MS));
  });

  test('a session first seen before the registry\'s epoch still ends on time', () => {
    const start = Date.now();
    const registry = new SessionRegistry<object>(limits);
    registry.create(start);
    const early = registry.create(start - 10 * DAY_MS);
    assert.ok(registry.holds(early, start - 10 * DAY_MS + IDLE_MS - 1));
    assert.equal(registry.sweep(start - 10 * DAY_MS + IDLE_MS), 1);
  });

  /** Every sequence of up to five adds and deletes over three sockets, against a Set. */
  test('a session\'s sockets behave as a Set through every order of opens and closes', () => {
    const sockets = ['a', 'b', 'c'];
    const ops = sockets.flatMap((s) => [['add', s], ['delete', s]] as const);
    const walk = (path: ReadonlyArray<readonly [string, string]>) => {
      const held = new SessionSockets<string>();
      const model = new Set<string>();
      for (const [op, s] of path) {
        if (op === 'add') {
          held.add(s);
          model.add(s);
        } else {
          assert.equal(held.delete(s), model.delete(s), `${JSON.stringify(path)}`);
        }
        assert.equal(held.size, model.size);
        assert.deepEqual([...held], [...model], `${JSON.stringify(path)}`);
        for (const x of sockets) assert.equal(held.has(x), model.has(x));
      }
      // Closing every socket while visiting them, as the sweep and stop do.
      const visited: string[] = [];
      for (const s of held) {
        visited.push(s);
        held.delete(s);
      }
      assert.deepEqual(visited, [...model]);
      assert.equal(held.size, 0);
    };
    const grow = (path: ReadonlyArray<readonly [string, string]>): void => {
      walk(path);
      if (path.length < 5) for (const op of ops) grow([...path, op]);
    };
    grow([]);
  });
});
