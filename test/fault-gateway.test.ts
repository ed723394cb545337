import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { Topics } from '../protocol/index.ts';
import { BrowserClient, collect, connectClient, publishJson, startMosquitto, startTestGateway } from './support/index.ts';

const SOAK = process.env.MODT_SOAK === '1';
const SOCKETS = SOAK ? 20_000 : 2000;
const WAVE = 200;

test(`gateway churn: ${SOCKETS} sockets come and go, memory stays bounded, other sessions unaffected`, async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const gateway = await startTestGateway(broker.url, { maxSessions: 500 });
  t.after(() => gateway.stop());
  const base = `http://127.0.0.1:${gateway.port}`;
  const bus = await connectClient(broker.url);
  t.after(() => bus.endAsync(true));
  const logins = await collect(bus, Topics.authSuccess);

  // A browser that logs in before the churn and waits through it.
  const steady = new BrowserClient(`${base}/`);
  t.after(() => steady.close());
  await steady.openLoginPage();
  await steady.openSocket();
  await steady.login('demo', 'demo');
  const { session_id } = (await logins.nextJson()) as { session_id: string };

  const heapBefore = process.memoryUsage().heapUsed;
  for (let opened = 0; opened < SOCKETS; opened += WAVE) {
    const wave = await Promise.all(
      Array.from({ length: WAVE }, async () => {
        const page = await fetch(`${base}/`);
        const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
        const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws`, { headers: { cookie, origin: base } });
        await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
        return socket;
      }),
    );
    await Promise.all(wave.map((socket) => new Promise((resolve) => socket.once('close', resolve).close())));
  }
  const health = (await (await fetch(`${base}/healthz`)).json()) as { sockets: number; sessions: number };
  t.diagnostic(`${SOCKETS} sockets opened and closed; held now: ${health.sockets} sockets, ${health.sessions} sessions`);
  assert.ok(health.sessions <= 500, `${health.sessions} sessions, capped at 500`);
  assert.ok(health.sockets <= 1, `${health.sockets} sockets left open`);

  const url = `${base}/apps/steady/`;
  await publishJson(bus, Topics.appReady, { session_id, redirect_url: url, app_name: 'steady' });
  assert.equal((await steady.nextFrame()).url, url, 'the waiting browser still gets its redirect');
  t.diagnostic(`test process heap grew ${((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1)} MiB`);
});

test('a browser whose socket dropped gets its redirect when it reconnects with its cookie', async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const gateway = await startTestGateway(broker.url);
  t.after(() => gateway.stop());
  const bus = await connectClient(broker.url);
  t.after(() => bus.endAsync(true));
  const logins = await collect(bus, Topics.authSuccess);

  const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
  t.after(() => browser.close());
  await browser.openLoginPage();
  const first = await browser.openSocket();
  await browser.login('demo', 'demo');
  const { session_id } = (await logins.nextJson()) as { session_id: string };
  first.terminate();
  await new Promise((resolve) => first.once('close', resolve));

  const url = `http://127.0.0.1:${gateway.port}/apps/late/`;
  await publishJson(bus, Topics.appReady, { session_id, redirect_url: url, app_name: 'late' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await browser.openSocket();
  assert.equal((await browser.nextFrame()).url, url);
});

test('C06 a redirect that went into a socket dying unnoticed reaches the next socket', async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const gateway = await startTestGateway(broker.url);
  t.after(() => gateway.stop());
  const bus = await connectClient(broker.url);
  t.after(() => bus.endAsync(true));
  const logins = await collect(bus, Topics.authSuccess);

  const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
  t.after(() => browser.close());
  browser.acknowledge = false;
  await browser.openLoginPage();
  const lost = await browser.openSocket();
  await browser.login('demo', 'demo');
  const { session_id } = (await logins.nextJson()) as { session_id: string };
  const url = `http://127.0.0.1:${gateway.port}/apps/again/`;
  await publishJson(bus, Topics.appReady, { session_id, redirect_url: url, app_name: 'again' });
  assert.equal((await browser.nextFrame()).url, url);

  // That frame never reached the page: the link died. The page comes back on a new socket.
  lost.terminate();
  browser.acknowledge = true;
  await browser.openSocket();
  assert.equal((await browser.nextFrame()).url, url);
  assert.equal(gateway.stats.pushes, 1);
  assert.equal(gateway.stats.resent, 1);

  await browser.openSocket();
  await browser.expectNoFrame(500);
});
