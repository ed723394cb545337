import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import WebSocket from 'ws';
import { FileStore } from '../router/index.ts';
import type { Gateway } from '../gateway/index.ts';
import {
  BrowserClient,
  loginRecords,
  startMosquitto,
  startTestGateway,
  testUsers,
  type Mosquitto,
} from './support/index.ts';

const USERS = [
  { username: 'root', password: 'secret', role: 'admin' },
  { username: 'demo', password: 'demo', role: 'user' },
];

/** A browser that opened the login page and, unless `username` is null, signed in. */
async function browserOf(t: TestContext, gateway: Gateway, username: string | null) {
  const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
  t.after(() => browser.close());
  await browser.openLoginPage();
  if (username === null) return browser;
  const user = USERS.find((u) => u.username === username)!;
  assert.equal((await browser.login(user.username, user.password)).status, 200);
  return browser;
}

interface MonitorSocket {
  socket: WebSocket;
  frames: Record<string, unknown>[];
  closed: Promise<number>;
}

/** Opens /monitor/ws with the browser's cookie; rejects with the status of a refusal. */
function openMonitorSocket(
  t: TestContext,
  browser: BrowserClient,
  origin = browser.origin,
): Promise<MonitorSocket> {
  const url = new URL('/monitor/ws', browser.base);
  url.protocol = 'ws:';
  const socket = new WebSocket(url, { headers: { cookie: browser.cookie, origin } });
  t.after(() => socket.terminate());
  const frames: Record<string, unknown>[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(data.toString())));
  const closed = new Promise<number>((resolve) => socket.once('close', resolve));
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, frames, closed }));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`${res.statusCode}`)));
    socket.once('error', reject);
  });
}

/** What `/monitor/history` answers. */
interface HistoryPage {
  ok: boolean;
  entries: { id: string; topic: string }[];
  more: boolean;
}

async function historyOf(browser: BrowserClient, query: string): Promise<HistoryPage> {
  const response = await browser.get(new URL(`/monitor/history${query}`, browser.base).href);
  return (await response.json()) as HistoryPage;
}

async function until(done: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('who may watch the conversation', () => {
  let broker: Mosquitto;
  let dir: string;
  let store: FileStore;
  let gateway: Gateway;
  const base = () => `http://127.0.0.1:${gateway.port}`;

  before(async () => {
    broker = await startMosquitto();
    dir = await mkdtemp(join(tmpdir(), 'modt-monitor-access-'));
    store = new FileStore(join(dir, 'history.jsonl'));
    await store.append([...loginRecords({ readyAfterMs: 2 }), ...loginRecords()]);
    gateway = await startTestGateway(broker.url, { users: await testUsers(USERS), history: store });
  });
  after(async () => {
    await gateway?.stop();
    await store?.close();
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the page is served to an admin under the strict policy, its script a file', async (t) => {
    const admin = await browserOf(t, gateway, 'root');
    const page = await admin.get(`${base()}/monitor`);
    assert.equal(page.status, 200);
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self';/);
    assert.doesNotMatch(policy, /unsafe/);
    const html = await page.text();
    assert.match(html, /<script src="\/assets\/monitor\.js" defer><\/script>/);
    assert.doesNotMatch(html, /<script>|style="/, 'no inline script or style');

    const script = await fetch(`${base()}/assets/monitor.js`);
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    const style = await fetch(`${base()}/assets/monitor.css`);
    assert.equal(style.headers.get('content-type'), 'text/css; charset=utf-8');
  });

  const pages: [who: string, username: string | null, status: number][] = [
    ['a browser that has not signed in is sent to the login page', null, 303],
    ['a signed-in user is refused', 'demo', 403],
    ['an admin is shown it', 'root', 200],
  ];
  for (const [name, username, status] of pages) {
    test(`/monitor: ${name} (${status})`, async (t) => {
      const browser = await browserOf(t, gateway, username);
      const response = await fetch(`${base()}/monitor`, {
        headers: { cookie: browser.cookie },
        redirect: 'manual',
      });
      assert.equal(response.status, status);
      if (status === 303) assert.equal(response.headers.get('location'), '/');
    });
  }

  const histories: [name: string, username: string | null, query: string, status: number][] = [
    ['nobody signed in', null, '', 401],
    ['a user', 'demo', '', 403],
    ['a before that is no history id', 'root', '?before=..%2F1', 400],
    ['a limit past 1000', 'root', '?limit=5000', 400],
    ['a limit that is no number', 'root', '?limit=ten', 400],
  ];
  for (const [name, username, query, status] of histories) {
    test(`/monitor/history refuses ${name} with ${status}`, async (t) => {
      const browser = await browserOf(t, gateway, username);
      const response = await browser.get(`${base()}/monitor/history${query}`);
      assert.equal(response.status, status);
      assert.equal(((await response.json()) as HistoryPage).ok, false);
    });
  }

  test('/monitor/history pages back from an id, newest last, saying if there is more',
    async (t) => {
      const admin = await browserOf(t, gateway, 'root');
      const newest = await historyOf(admin, '?limit=1');
      assert.equal(newest.entries.length, 1);
      assert.equal(newest.more, true);

      const older = await historyOf(admin, `?before=${newest.entries[0]!.id}`);
      assert.deepEqual(older.entries.map((e) => e.topic), ['modt/auth/success', 'modt/app/ready']);
      assert.equal(older.more, false);
    });

  type SocketCase = [name: string, username: string | null, origin: string | null, status: string];
  const sockets: SocketCase[] = [
    ['from a foreign Origin', 'root', 'https://evil.example', '403'],
    ['for a browser that has not signed in', null, null, '401'],
    ['for a user', 'demo', null, '403'],
  ];
  for (const [name, username, origin, status] of sockets) {
    test(`/monitor/ws is refused ${name} (${status})`, async (t) => {
      const browser = await browserOf(t, gateway, username);
      await assert.rejects(openMonitorSocket(t, browser, origin ?? browser.origin), {
        message: status,
      });
    });
  }

  test('an admin\'s socket gets a snapshot, then each record as it is stored', async (t) => {
    const admin = await browserOf(t, gateway, 'root');
    const { frames } = await openMonitorSocket(t, admin);
    await until(() => frames.length === 1, 'snapshot');
    const snapshot = frames[0] as { type: string; entries: unknown[]; more: boolean };
    assert.equal(snapshot.type, 'snapshot');
    assert.equal(snapshot.more, false);
    assert.ok(snapshot.entries.length >= 3);

    await store.append(loginRecords({ userId: 'late' }));
    await until(() => frames.length === 2, 'live records');
    const live = frames[1] as { type: string; entries: { payload: string }[] };
    assert.equal(live.type, 'records');
    assert.match(live.entries[0]!.payload, /"user_id":"late"/);
  });

  test('an admin\'s socket is closed with 4403 once that browser signs in as a user',
    async (t) => {
      const browser = await browserOf(t, gateway, 'root');
      const { frames, closed } = await openMonitorSocket(t, browser);
      await until(() => frames.length === 1, 'snapshot');

      assert.equal((await browser.login('demo', 'demo')).status, 200);
      await store.append(loginRecords());
      assert.equal(await closed, 4403);
    });
});

describe('a gateway without a history store', () => {
  test('/monitor says history is not configured', async (t) => {
    const broker = await startMosquitto();
    t.after(() => broker.stop());
    const gateway = await startTestGateway(broker.url, { users: await testUsers(USERS) });
    t.after(() => gateway.stop());

    const admin = await browserOf(t, gateway, 'root');
    const page = await admin.get(`http://127.0.0.1:${gateway.port}/monitor`);
    assert.equal(page.status, 503);
    assert.match(await page.text(), /History is not configured/);
  });
});
