import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { Topics } from '../protocol/index.ts';
import { readGatewayOptions, startGateway, type Gateway } from '../gateway/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  freePort,
  publishJson,
  startMosquitto,
  testUsers,
} from './support/index.ts';

interface Line {
  level: number;
  msg: string;
  [field: string]: unknown;
}

const LEVELS = { debug: 20, info: 30, warn: 40 } as const;

/** The gateway as its process starts it, logging at `level` into the returned lines. */
async function loggedGateway(mqttUrl: string, level: string, env: Record<string, string> = {}) {
  const lines: Line[] = [];
  const destination = { write: (text: string) => void lines.push(JSON.parse(text)) };
  const log = pino({ level, base: { unit: 'gateway' } }, destination);
  const port = await freePort();
  const settings = {
    PORT: String(port),
    MODT_HOST: '127.0.0.1',
    MODT_PUBLIC_URL: `http://127.0.0.1:${port}/`,
    MODT_MQTT_URL: mqttUrl,
    ...env,
  };
  const users = await testUsers([{ username: 'demo', password: 'demo', role: 'user' }]);
  const gateway = await startGateway(readGatewayOptions(settings, users), log);
  await gateway.waitBus(10_000);
  return { gateway, lines };
}

/** Logs in as demo, answers the login from the bus, and waits for the redirect. */
async function loginAndPush(gateway: Gateway, mqttUrl: string): Promise<void> {
  const bus = await connectClient(mqttUrl);
  const logins = await collect(bus, Topics.authSuccess);
  const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
  try {
    await browser.openLoginPage();
    await browser.openSocket();
    assert.equal((await browser.login('demo', 'nope')).status, 401);
    assert.equal((await browser.login('demo', 'demo')).status, 200);
    const { session_id } = (await logins.nextJson()) as { session_id: string };
    const redirect_url = `http://127.0.0.1:${gateway.port}/apps/a/`;
    await publishJson(bus, Topics.appReady, { session_id, redirect_url, app_name: 'a' });
    await browser.nextFrame();
  } finally {
    browser.close();
    await bus.endAsync(true);
  }
}

describe('what the gateway logs at each level', () => {
  test('each login and each push is a debug line; a failed login stays a warning', async (t) => {
    const broker = await startMosquitto();
    t.after(() => broker.stop());
    const { gateway, lines } = await loggedGateway(broker.url, 'debug');
    t.after(() => gateway.stop());

    await loginAndPush(gateway, broker.url);
    const levelOf = (msg: string) => lines.find((line) => line.msg === msg)?.level;
    assert.equal(levelOf('login'), LEVELS.debug);
    assert.equal(levelOf('redirect pushed'), LEVELS.debug);
    assert.equal(levelOf('login failed'), LEVELS.warn);
    assert.equal(levelOf('gateway listening'), LEVELS.info);
  });

  test('at info, a login and its push leave no line', async (t) => {
    const broker = await startMosquitto();
    t.after(() => broker.stop());
    const { gateway, lines } = await loggedGateway(broker.url, 'info');
    t.after(() => gateway.stop());

    await loginAndPush(gateway, broker.url);
    const messages = lines.map((line) => line.msg);
    assert.ok(messages.includes('gateway listening'));
    assert.ok(messages.includes('login failed'));
    assert.ok(!messages.includes('login'), messages.join(', '));
    assert.ok(!messages.includes('redirect pushed'), messages.join(', '));
  });

  test('a socket from another origin is a warning that names the origin expected', async (t) => {
    const broker = await startMosquitto();
    t.after(() => broker.stop());
    const { gateway, lines } = await loggedGateway(broker.url, 'info');
    t.after(() => gateway.stop());

    const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    t.after(() => browser.close());
    await browser.openLoginPage();
    const otherName = `http://localhost:${gateway.port}`;
    await assert.rejects(browser.openSocket(otherName), /403/);
    const line = lines.find((l) => l.msg === 'socket refused: its Origin is not the public URL');
    assert.ok(line, lines.map((l) => l.msg).join(', '));
    assert.equal(line.level, LEVELS.warn);
    assert.equal(line.code, 'MODT_ERR_ORIGIN_NOT_ALLOWED');
    assert.equal(line.origin, otherName);
    assert.equal(line.expected, `http://127.0.0.1:${gateway.port}`);
    const hint = `open the page at http://127.0.0.1:${gateway.port}/, or set MODT_PUBLIC_URL`;
    assert.ok(String(line.hint).startsWith(hint), String(line.hint));
  });

  test('a login no app answered is a warning once its page was told', async (t) => {
    const broker = await startMosquitto();
    t.after(() => broker.stop());
    const env = { MODT_NO_ANSWER_NOTICE_MS: '200' };
    const { gateway, lines } = await loggedGateway(broker.url, 'info', env);
    t.after(() => gateway.stop());

    const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    t.after(() => browser.close());
    await browser.openLoginPage();
    await browser.openSocket();
    assert.equal((await browser.login('demo', 'demo')).status, 200);
    assert.equal((await browser.nextFrame()).type, 'no-answer');
    const line = lines.find((l) => l.msg === 'login unanswered, its page told');
    assert.equal(line?.level, LEVELS.warn);
    assert.equal(line?.user_id, 'demo');
    assert.equal(line?.sockets, 1);
  });
});
