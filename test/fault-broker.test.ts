import assert from 'node:assert/strict';
import { test } from 'node:test';
import dummyApp from '../functions/dummy-app.ts';
import { UnitRunner } from '../router/index.ts';
import { BrowserClient, startMosquitto, startTestGateway } from './support/index.ts';

const SOAK = process.env.MODT_SOAK === '1';
const BROWSERS = SOAK ? 200 : 40;
const RESTARTS = SOAK ? 10 : 3;

/** Logs in, and logs in again after a refusal, as a person would when the bus was away. */
async function persistentLogin(browser: BrowserClient, deadline: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const answer = await browser.login('demo', 'demo').catch(() => ({ status: 0 }));
    if (answer.status === 200) return attempt;
    if (Date.now() > deadline)
      throw new Error(`login still refused (${answer.status}) after ${attempt} tries`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

test('broker restarts under load: every waiting browser gets its redirect exactly once', async (t) => {
  const broker = await startMosquitto({
    persistence: true,
    extraConfig: ['max_queued_messages 100000'],
  });
  t.after(() => broker.stop());
  const gateway = await startTestGateway(broker.url, {
    clientId: 'restart-gateway',
    publishTimeoutMs: 2000,
  });
  t.after(() => gateway.stop());
  const settings = { publicUrl: `http://127.0.0.1:${gateway.port}/` };
  const app = new UnitRunner(dummyApp, {
    mqttUrl: new URL(broker.url),
    settings,
    clientId: 'restart-app',
    reconnectMaxMs: 1000,
  });
  t.after(() => app.stop());
  await app.waitReady(10_000);

  const browsers: BrowserClient[] = [];
  for (let i = 0; i < BROWSERS; i++) {
    const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    t.after(() => browser.close());
    await browser.openLoginPage();
    await browser.openSocket();
    browsers.push(browser);
  }

  // Logins go out one every 50 ms while the broker is stopped and started again.
  const deadline = Date.now() + 60_000;
  const logins = browsers.map(async (browser, i) => {
    await new Promise((resolve) => setTimeout(resolve, i * 50));
    return persistentLogin(browser, deadline);
  });
  let restarts = 0;
  const restarting = (async () => {
    for (; restarts < RESTARTS; restarts++) {
      await new Promise((resolve) => setTimeout(resolve, (BROWSERS * 50) / (RESTARTS + 1)));
      await broker.restart();
    }
  })();
  const attempts = await Promise.all(logins);
  await restarting;

  const frames = await Promise.all(browsers.map((b) => b.nextFrame(20_000)));
  for (const frame of frames) assert.equal(frame.app_name, 'dummy-app');
  await Promise.all(browsers.map((b) => b.expectNoFrame(1000)));

  const retried = attempts.filter((n) => n > 1).length;
  t.diagnostic(
    `${restarts} restarts, ${BROWSERS} logins (${retried} retried after a refusal), ` +
      `${gateway.stats.pushes} pushes, duplicates refused: ${gateway.stats.dropped.MODT_ERR_ANSWER_DUPLICATE ?? 0}`,
  );
  assert.equal(restarts, RESTARTS);
  assert.equal(gateway.stats.pushes, BROWSERS, 'one push per browser, never two');
});
