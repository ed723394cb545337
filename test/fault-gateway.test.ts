import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { Topics } from '../protocol/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  gatewayScene,
  publishJson,
  startMosquitto,
  startTestGateway,
} from './support/index.ts';

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
        const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}/ws`, {
          headers: { cookie, origin: base },
        });
        await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
        return socket;
      }),
    );
    await Promise.all(
      wave.map((socket) => new Promise((resolve) => socket.once('close', resolve).close())),
    );
  }
  const health = (await (await fetch(`${base}/healthz`)).json()) as {
    sockets: number;
    sessions: number;
  };
  t.diagnostic(
    `${SOCKETS} sockets opened and closed; held now: ${health.sockets} sockets, ${health.sessions} sessions`,
  );
  assert.ok(health.sessions <= 500, `${health.sessions} sessions, capped at 500`);
  assert.ok(health.sockets <= 1, `${health.sockets} sockets left open`);

  const url = `${base}/apps/steady/`;
  await publishJson(bus, Topics.appReady, { session_id, redirect_url: url, app_name: 'steady' });
  assert.equal((await steady.nextFrame()).url, url, 'the waiting browser still gets its redirect');
  t.diagnostic(
    `test process heap grew ${((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1)} MiB`,
  );
});

test('a browser whose socket dropped gets its redirect when it reconnects with its cookie', async (t) => {
  const scene = await gatewayScene(t);
  const { browser, socket, sessionId } = await scene.login();
  socket.terminate();
  await new Promise((resolve) => socket.once('close', resolve));

  const url = await scene.answer(sessionId, 'late');
  await new Promise((resolve) => setTimeout(resolve, 300));
  await browser.openSocket();
  assert.equal((await browser.nextFrame()).url, url);
});

test('C06 a redirect that went into a socket dying unnoticed reaches the next socket', async (t) => {
  const scene = await gatewayScene(t);
  const { browser, socket, sessionId } = await scene.login({ acknowledge: false });
  const url = await scene.answer(sessionId, 'again');
  assert.equal((await browser.nextFrame()).url, url);

  // That frame never reached the page: the link died. The page comes back on a new socket.
  socket.terminate();
  browser.acknowledge = true;
  await browser.openSocket();
  assert.equal((await browser.nextFrame()).url, url);
  assert.equal(scene.gateway.stats.pushes, 1);
  assert.equal(scene.gateway.stats.resent, 1);

  await browser.openSocket();
  await browser.expectNoFrame(500);
});
