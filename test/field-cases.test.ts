import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import dummyApp from '../functions/dummy-app.ts';
import monitor from '../functions/monitor.ts';
import { Topics } from '../protocol/index.ts';
import { FileStore, UnitRunner, type LinkProblem } from '../router/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  freePort,
  publishJson,
  startBundle,
  startMosquitto,
  startTestGateway,
  testUsers,
} from './support/index.ts';

const until = async (condition: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  return condition();
};

test('C01 a unit that cannot reach the broker says why within seconds and is not ready', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'modt-c01-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const readyFile = join(dir, 'ready');
  const refusing = await startMosquitto({ allowAnonymous: false, users: { someone: 'secret' } });
  t.after(() => refusing.stop());

  const cases = [
    { url: `mqtt://127.0.0.1:${await freePort()}`, reason: /ECONNREFUSED/ },
    { url: refusing.url, reason: /Not authorized|Connection refused/ },
  ];
  for (const { url, reason } of cases) {
    const unit = await startBundle(['dummy-app.cjs'], {
      MODT_MQTT_URL: url,
      MODT_READY_FILE: readyFile,
    });
    t.after(() => unit.stop());
    await unit.waitFor('"msg":"broker problem"', 8000);
    const line = unit
      .output()
      .split('\n')
      .find((l) => l.includes('"msg":"broker problem"'))!;
    assert.match(JSON.parse(line).reason, reason);
    assert.equal(JSON.parse(line).ready, false);
    assert.equal(existsSync(readyFile), false, 'no ready file while not connected');
    await unit.stop();
  }

  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const unit = await startBundle(['dummy-app.cjs'], {
    MODT_MQTT_URL: broker.url,
    MODT_READY_FILE: readyFile,
  });
  t.after(() => unit.stop());
  await unit.waitFor('"msg":"unit ready"');
  assert.ok(await until(() => existsSync(readyFile), 2000), 'the ready file while connected');
  await broker.kill();
  assert.ok(await until(() => !existsSync(readyFile), 5000), 'and gone when the broker is');
});

test('C03 two processes with one client id: the conflict is reported, loudly', async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const problems: string[] = [];
  const settings = { publicUrl: 'http://gw.test/' };
  for (let i = 0; i < 2; i++) {
    const runner = new UnitRunner(dummyApp, {
      mqttUrl: new URL(broker.url),
      settings,
      clientId: 'c03-twin',
    });
    t.after(() => runner.stop());
    runner.on('problem', (p: LinkProblem) => problems.push(p.reason));
  }
  assert.ok(
    await until(() => problems.some((p) => /client id 'c03-twin/.test(p)), 20_000),
    problems.join('; '),
  );
});

test("C04 an answer older than the login's useful life pushes no redirect, and is on record", async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const dir = await mkdtemp(join(tmpdir(), 'modt-c04-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new FileStore(join(dir, 'history.jsonl'));
  const recorder = new UnitRunner(monitor, {
    mqttUrl: new URL(broker.url),
    settings: {},
    store,
    clientId: 'c04-monitor',
  });
  t.after(() => recorder.stop());
  const gateway = await startTestGateway(broker.url, { answerTtlMs: 500 });
  t.after(() => gateway.stop());
  await recorder.waitReady(10_000);
  const bus = await connectClient(broker.url);
  t.after(() => bus.endAsync(true));
  const logins = await collect(bus, Topics.authSuccess);

  const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
  t.after(() => browser.close());
  await browser.openLoginPage();
  await browser.openSocket();
  await browser.login('demo', 'demo');
  const { session_id } = (await logins.nextJson()) as { session_id: string };
  await new Promise((resolve) => setTimeout(resolve, 800));
  const url = `http://127.0.0.1:${gateway.port}/apps/late/`;
  await publishJson(bus, Topics.appReady, { session_id, redirect_url: url, app_name: 'late' });

  await browser.expectNoFrame(500);
  assert.equal(gateway.stats.dropped.MODT_ERR_ANSWER_TOO_LATE, 1);
  assert.ok(await until(() => recorder.stats.recorded >= 2, 5000));
  const records = await store.recent(10);
  assert.ok(records.some((r) => r.topic === Topics.appReady && r.payload.includes(session_id)));
});

test('C05 an aborted login and a redirect for a just-closed socket leave the gateway serving', async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const users = await testUsers([
    { username: 'demo', password: 'demo', role: 'user' },
    { username: 'quitter', password: 'quitter', role: 'user' },
  ]);
  const gateway = await startTestGateway(broker.url, { users });
  t.after(() => gateway.stop());
  const failures: unknown[] = [];
  gateway.on('failure', (failure) => failures.push(failure));
  const base = `http://127.0.0.1:${gateway.port}`;
  const bus = await connectClient(broker.url);
  t.after(() => bus.endAsync(true));
  const logins = await collect(bus, Topics.authSuccess);

  // A client sends a whole, correct login and goes away while the password is checked.
  const quitter = new BrowserClient(`${base}/`);
  await quitter.openLoginPage();
  for (let i = 0; i < 20; i++) {
    const body = new URLSearchParams({
      csrf: quitter.csrf,
      username: 'quitter',
      password: 'quitter',
    });
    const socket = net.connect(gateway.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(
      `POST /login HTTP/1.1\r\nHost: 127.0.0.1:${gateway.port}\r\nOrigin: ${base}\r\n` +
        `Cookie: ${quitter.cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
        `Content-Length: ${Buffer.byteLength(body.toString())}\r\n\r\n${body}`,
    );
    socket.destroy();
  }

  // A browser whose socket closes just before its redirect arrives.
  const browser = new BrowserClient(`${base}/`);
  t.after(() => browser.close());
  await browser.openLoginPage();
  const socket = await browser.openSocket();
  await browser.login('demo', 'demo');
  let sessionId = '';
  while (!sessionId) {
    const login = (await logins.nextJson()) as { session_id: string; user_id: string };
    if (login.user_id === 'demo') sessionId = login.session_id;
  }
  socket.terminate();
  const url = `${base}/apps/after-close/`;
  await publishJson(bus, Topics.appReady, {
    session_id: sessionId,
    redirect_url: url,
    app_name: 'c05',
  });

  assert.equal((await fetch(`${base}/healthz`)).status, 200);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await browser.openSocket();
  const frame = await browser.nextFrame();
  assert.equal(frame.url, url, 'the redirect waited for the next socket of the session');
  assert.deepEqual(failures, []);
});
