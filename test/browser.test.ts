import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Topics } from '../protocol/index.ts';
import { RedisStreamStore } from '../router/index.ts';
import {
  collect,
  connectClient,
  freePort,
  publishJson,
  launchChromium,
  startMosquitto,
  startRedis,
  startStack,
  type StackProcess,
} from './support/index.ts';
import type { Browser } from 'playwright-core';

/** Logs in as demo in a real page and returns where the page went, and how fast. */
async function logInAsDemo(browser: Browser, url: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction("document.body.dataset.socket === 'open'");
  await page.fill('input[name="username"]', 'demo');
  await page.fill('input[name="password"]', 'demo');

  const started = performance.now();
  await Promise.all([page.waitForURL('**/apps/dummy-app/'), page.click('button[type="submit"]')]);
  const elapsedMs = performance.now() - started;
  const heading = await page.textContent('h1');
  const table = await page.textContent('#display');
  await context.close();
  return { heading, table, elapsedMs };
}

describe('a real browser logs in and lands on the dummy app', () => {
  let browser: Browser;
  let dir: string;

  before(async () => {
    browser = await launchChromium();
    dir = await mkdtemp(join(tmpdir(), 'modt-browser-'));
  });
  after(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('npm start on the embedded broker: demo lands on the page that names demo', async (t) => {
    const port = await freePort();
    const history = join(dir, 'history.jsonl');
    const stack: StackProcess = await startStack({
      PORT: String(port),
      MODT_BROKER_PORT: String(await freePort()),
      MODT_HISTORY_FILE: history,
    });
    t.after(() => stack.stop());

    const { heading, table, elapsedMs } = await logInAsDemo(browser, `http://localhost:${port}/`);
    t.diagnostic(`click to dummy-app page: ${elapsedMs.toFixed(0)} ms`);
    assert.equal(heading, 'Welcome, demo');
    assert.match(table ?? '', /Roleuser/);

    assert.equal(await stack.stop(), 0);
    const topics = (await readFile(history, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).topic);
    assert.ok(topics.includes('modt/auth/success') && topics.includes('modt/app/ready'));
  });

  test('npm start on a real Mosquitto and Redis keeps the history in Redis', async (t) => {
    const broker = await startMosquitto();
    t.after(() => broker.stop());
    const redis = await startRedis();
    t.after(() => redis.stop());
    const port = await freePort();
    const stack = await startStack({
      PORT: String(port),
      MODT_MQTT_URL: broker.url,
      MODT_REDIS_URL: redis.url,
      MODT_PUBLIC_URL: `http://127.0.0.1:${port}/`,
    });
    t.after(() => stack.stop());

    const { heading } = await logInAsDemo(browser, `http://127.0.0.1:${port}/`);
    assert.equal(heading, 'Welcome, demo');

    assert.equal(await stack.stop(), 0);
    const store = new RedisStreamStore({ url: redis.url });
    t.after(() => store.close());
    const topics = (await store.recent(20)).map((e) => e.topic);
    assert.ok(topics.includes('modt/auth/success'), topics.join(', '));
    assert.ok(topics.includes('modt/app/ready'), topics.join(', '));
  });
});

describe('what the login page tells its user when things go wrong', () => {
  let browser: Browser;
  let dir: string;
  let stack: StackProcess;
  let port: number;
  let brokerPort: number;

  before(async () => {
    browser = await launchChromium();
    dir = await mkdtemp(join(tmpdir(), 'modt-browser-'));
    // No app at all: no login is ever answered unless the test answers it.
    await mkdir(join(dir, 'functions'));
    port = await freePort();
    brokerPort = await freePort();
    stack = await startStack({
      PORT: String(port),
      MODT_BROKER_PORT: String(brokerPort),
      MODT_HISTORY_FILE: join(dir, 'history.jsonl'),
      MODT_FUNCTIONS_DIR: join(dir, 'functions'),
      MODT_NO_ANSWER_NOTICE_MS: '500',
    });
  });
  after(async () => {
    await stack?.stop();
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a login no app answers says so, and a late answer still opens the app', async (t) => {
    const bus = await connectClient(`mqtt://127.0.0.1:${brokerPort}`);
    t.after(() => bus.endAsync(true));
    const logins = await collect(bus, Topics.authSuccess);
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`http://localhost:${port}/`);
    await page.waitForFunction("document.body.dataset.socket === 'open'");
    await page.fill('input[name="username"]', 'demo');
    await page.fill('input[name="password"]', 'demo');
    await page.click('button[type="submit"]');

    await page.waitForSelector('body[data-answer="none"]', { state: 'attached', timeout: 5000 });
    const status = (await page.textContent('#status')) ?? '';
    assert.match(status, /^The app did not answer within \d+ s\. This page opens it if it answers/);

    const { session_id } = (await logins.nextJson()) as { session_id: string };
    const redirect_url = `http://localhost:${port}/apps/late/`;
    await Promise.all([
      page.waitForURL('**/apps/late/'),
      publishJson(bus, Topics.appReady, { session_id, redirect_url, app_name: 'late' }),
    ]);
  });

  test('a page opened under another name than the public URL says which to open', async (t) => {
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('#hint:not([hidden])');
    const hint = (await page.textContent('#hint')) ?? '';
    assert.match(hint, new RegExp(`open at http://127\\.0\\.0\\.1:${port}, but`));
    assert.match(hint, new RegExp(`only at http://localhost:${port} \\(MODT_PUBLIC_URL\\)`));
    assert.equal(await page.getAttribute('#hint a', 'href'), `http://localhost:${port}/`);

    await page.waitForSelector('body[data-socket="closed"]', { state: 'attached' });
    const refused = /"msg":"socket refused: its Origin is not the public URL"/;
    for (let i = 0; i < 50 && !refused.test(stack.output()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const line = stack.output().split('\n').find((l) => refused.test(l));
    assert.ok(line, 'the gateway logs the refusal');
    assert.equal(JSON.parse(line).expected, `http://localhost:${port}`);
  });
});
