import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { RedisStreamStore, compareIds, type HistoryRecord } from '../router/index.ts';
import type { Gateway } from '../gateway/index.ts';
import {
  freePort,
  launchChromium,
  loginRecords,
  startMosquitto,
  startRedis,
  startStack,
  startTestGateway,
  testUsers,
  type Mosquitto,
  type RedisServer,
  type StackProcess,
} from './support/index.ts';

/**
 * Signs in on the login page of a fresh browser context; resolves once the gateway said ok
 * and, where an app answers logins, once the page went where it was sent.
 */
async function signIn(
  browser: Browser,
  base: string,
  username: string,
  password: string,
  appAnswers = false,
) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(base);
  await page.waitForSelector('body[data-socket="open"]', { state: 'attached' });
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  const [answer] = await Promise.all([
    page.waitForResponse((response) => new URL(response.url()).pathname === '/login'),
    page.click('button[type="submit"]'),
  ]);
  assert.equal(answer.status(), 200, `${username} signs in`);
  if (appAnswers) await page.waitForURL('**/apps/dummy-app/');
  return page;
}

// The page's CSP allows no eval, so the tests read it through selectors, not expressions.

interface PageState {
  held: number;
  page: number;
  rows: number;
  stories: number;
  elements: number;
  users: string[];
  ids: string[];
}

/** Opens /monitor and waits for its first snapshot to be shown. */
async function openMonitor(page: Page, base: string): Promise<void> {
  const response = await page.goto(new URL('/monitor', base).href);
  assert.equal(response?.status(), 200);
  await page.waitForSelector('#monitor[data-snapshot="shown"]', { state: 'attached' });
}

/** What the page holds, shows and counts right now. */
async function pageState(page: Page): Promise<PageState> {
  const root = page.locator('#monitor');
  const rows = page.locator('#rows tr');
  return {
    held: Number(await root.getAttribute('data-held')),
    page: Number(await root.getAttribute('data-page')),
    rows: await rows.count(),
    stories: await page.locator('#stories .story').count(),
    elements: await page.locator('*').count(),
    users: await page.locator('#rows td.who').allTextContents(),
    ids: await rows.evaluateAll((items) => items.map((row) => row.getAttribute('data-id') ?? '')),
  };
}

/** Waits until the page holds `count` records. */
async function untilHeld(page: Page, count: number): Promise<void> {
  const options = { state: 'attached', timeout: 10_000 } as const;
  await page.waitForSelector(`#monitor[data-held="${count}"]`, options);
}

const ADMIN_PASSWORD = /signed in as admin \/ ([A-Za-z0-9_-]+)/;

describe('npm start: an admin watches the conversation live', () => {
  let browser: Browser;
  let dir: string;
  let stack: StackProcess;
  let base: string;
  let adminPassword: string;

  before(async () => {
    browser = await launchChromium();
    dir = await mkdtemp(join(tmpdir(), 'modt-monitor-'));
    const port = await freePort();
    stack = await startStack({
      PORT: String(port),
      MODT_BROKER_PORT: String(await freePort()),
      MODT_HISTORY_FILE: join(dir, 'history.jsonl'),
    });
    base = `http://localhost:${port}/`;
    adminPassword = ADMIN_PASSWORD.exec(stack.output())?.[1] ?? '';
  });
  after(async () => {
    await stack?.stop();
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('npm start prints an admin account made for this run, beside demo / demo', () => {
    assert.match(stack.output(), /sign in as demo \/ demo/);
    assert.match(stack.output(), /Watch the conversation at http:\/\/localhost:\d+\/monitor/);
    assert.ok(adminPassword.length >= 16, 'a random password of 96 bits');
  });

  test('an admin sees a login made by another browser within a second, steps in order',
    async (t) => {
      const admin = await signIn(browser, base, 'admin', adminPassword, true);
      t.after(() => admin.context().close());
      await openMonitor(admin, base);

      const demo = await browser.newContext();
      t.after(() => demo.close());
      const other = await demo.newPage();
      await other.goto(base);
      await other.waitForSelector('body[data-socket="open"]', { state: 'attached' });
      await other.fill('input[name="username"]', 'demo');
      await other.fill('input[name="password"]', 'demo');
      const clicked = performance.now();
      await Promise.all([
        other.waitForURL('**/apps/dummy-app/'),
        other.click('button[type="submit"]'),
      ]);
      const redirected = performance.now();

      const demoPushed = '#stories .story[data-state="pushed"]:has(strong:text-is("demo"))';
      await admin.waitForSelector(demoPushed, { timeout: 5000 });
      const seenMs = performance.now() - redirected;
      t.diagnostic(`redirect to story on the admin's page: ${seenMs.toFixed(0)} ms`);
      t.diagnostic(`click to story: ${(performance.now() - clicked).toFixed(0)} ms`);
      assert.ok(seenMs < 1000, `the story came ${seenMs.toFixed(0)} ms after the redirect`);

      const steps = admin.locator(`${demoPushed} li.step`);
      const kinds = await steps.evaluateAll((items) => items.map((item) => item.className));
      assert.deepEqual(kinds.map((name) => /step-(\w+)/.exec(name)?.[1]), [
        'login', 'display', 'ready', 'pushed',
      ]);
      for (const text of (await steps.allTextContents()).slice(1)) assert.match(text, /\+\d+ ms/);
      assert.ok(Number(await admin.textContent('#count-logins')) >= 2, 'admin and demo');
    });

  test('a signed-in user gets 403 at /monitor; a browser not signed in, the login page',
    async (t) => {
      const demo = await signIn(browser, base, 'demo', 'demo', true);
      t.after(() => demo.context().close());
      const refused = await demo.goto(new URL('/monitor', base).href);
      assert.equal(refused?.status(), 403);
      assert.match((await demo.textContent('h1')) ?? '', /Not allowed/);

      const anonymous = await browser.newContext();
      t.after(() => anonymous.close());
      const page = await anonymous.newPage();
      await page.goto(new URL('/monitor', base).href);
      assert.equal(new URL(page.url()).pathname, '/', 'sent to the login page');
      assert.equal(await page.textContent('h1'), 'Sign in');
    });
});

describe('the monitor holds up with thousands of records in Redis', () => {
  const LOGINS = 2000;
  let browser: Browser;
  let broker: Mosquitto;
  let redis: RedisServer;
  let store: RedisStreamStore;
  let gateway: Gateway;
  let base: string;

  /** Logins of users `user-0` to `user-9`, each answered and pushed: three records each. */
  function logins(count: number, from: number): HistoryRecord[] {
    const records: HistoryRecord[] = [];
    for (let i = from; i < from + count; i++) {
      const at = Date.now() - 60_000 + i;
      const script = { userId: `user-${i % 10}`, at, readyAfterMs: 3, pushedAfterMs: 5 };
      records.push(...loginRecords(script));
    }
    return records;
  }

  before(async () => {
    browser = await launchChromium();
    broker = await startMosquitto();
    redis = await startRedis();
    const stream = `modt:history:${randomUUID()}`;
    store = new RedisStreamStore({ url: redis.url, stream });
    const records = logins(LOGINS, 0);
    for (let i = 0; i < records.length; i += 1000) await store.append(records.slice(i, i + 1000));
    const users = await testUsers([{ username: 'root', password: 'secret', role: 'admin' }]);
    gateway = await startTestGateway(broker.url, { users, history: store });
    base = `http://127.0.0.1:${gateway.port}/`;
  });
  after(async () => {
    await gateway?.stop();
    await store?.close();
    await redis?.stop();
    await broker?.stop();
    await browser?.close();
  });

  test('the page starts from the newest 500 and shows a bounded page of them', async (t) => {
    const admin = await signIn(browser, base, 'root', 'secret');
    t.after(() => admin.context().close());
    await openMonitor(admin, base);

    const state = await pageState(admin);
    assert.deepEqual([state.held, state.rows, state.stories], [500, 50, 20]);
    assert.ok(state.elements < 2500, `${state.elements} elements`);
  });

  test('thousands of live records keep the DOM bounded; Older pages back through the store',
    async (t) => {
      const admin = await signIn(browser, base, 'root', 'secret');
      t.after(() => admin.context().close());
      await openMonitor(admin, base);
      const first = await pageState(admin);

      const live = logins(1500, LOGINS);
      for (let i = 0; i < live.length; i += 500) await store.append(live.slice(i, i + 500));
      await untilHeld(admin, 5000);
      const after = await pageState(admin);
      assert.equal(after.rows, 50);
      assert.equal(after.stories, 20);
      assert.ok(after.elements <= first.elements + 50, `${first.elements} → ${after.elements}`);

      // 5,000 held are 100 pages; the next Older asks the store for the 500 before them.
      for (let page = 0; page < 99; page++) await admin.click('#older');
      assert.equal((await pageState(admin)).page, 99);
      const oldestShown = (await pageState(admin)).ids.at(-1)!;
      await admin.click('#older');
      await untilHeld(admin, 5500);
      const older = await pageState(admin);
      assert.equal(older.page, 100);
      assert.equal(older.rows, 50);
      assert.ok(older.ids.every((id) => compareIds(id!, oldestShown) < 0), 'older than before');
    });

  test('filters narrow the page to a user, and pause holds new records back', async (t) => {
    const admin = await signIn(browser, base, 'root', 'secret');
    t.after(() => admin.context().close());
    await openMonitor(admin, base);

    await admin.fill('input[name="user"]', 'user-7');
    await admin.waitForSelector('#rows td.who:not(:text-is("user-7"))', { state: 'detached' });
    assert.ok((await pageState(admin)).users.length > 0);
    await admin.fill('input[name="user"]', '');

    await admin.click('#pause');
    const held = (await pageState(admin)).held;
    await store.append(logins(10, 10_000));
    await admin.waitForSelector('#live:text-is("paused · 30 new")');
    assert.equal((await pageState(admin)).held, held);
    await admin.click('#pause');
    assert.equal((await pageState(admin)).held, held + 30);
  });
});
