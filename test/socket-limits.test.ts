import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { ErrorCodes, Topics } from '../protocol/index.ts';
import type { Gateway } from '../gateway/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  publishJson,
  startMosquitto,
  startTestGateway,
  type Collector,
  type Mosquitto,
} from './support/index.ts';

describe('what a browser socket may send', () => {
  let broker: Mosquitto;
  let gateway: Gateway;
  let bus: MqttClient;
  let logins: Collector;
  // A clock that stands still: every message falls in one window, whatever the machine's pace.
  const clock = { now: Date.now() };

  before(async () => {
    broker = await startMosquitto();
    gateway = await startTestGateway(broker.url, { clock: () => clock.now });
    bus = await connectClient(broker.url);
    logins = await collect(bus, Topics.authSuccess);
  });
  after(async () => {
    await bus?.endAsync(true);
    await gateway?.stop();
    await broker?.stop();
  });

  async function browserWithSocket() {
    const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    await browser.openLoginPage();
    const socket = await browser.openSocket();
    return { browser, socket };
  }

  test('a socket that sends more than 20 messages in 10 s is closed with 1008', async (t) => {
    const { browser, socket } = await browserWithSocket();
    t.after(() => browser.close());
    const flooded = gateway.stats.refused[ErrorCodes.SOCKET_FLOODED] ?? 0;

    for (let i = 0; i < 21; i += 1) socket.send(`{"n":${i}}`);
    assert.deepEqual(await browser.closeOf(socket), { code: 1008, reason: 'too many messages' });
    assert.equal(gateway.stats.refused[ErrorCodes.SOCKET_FLOODED], flooded + 1);
  });

  test('a message larger than 1024 bytes closes the socket', async (t) => {
    const { browser, socket } = await browserWithSocket();
    t.after(() => browser.close());
    socket.send('x'.repeat(4096));
    const { code } = await browser.closeOf(socket);
    assert.ok(code === 1006 || code === 1009, `closed with ${code}`);
  });

  test('a socket within its budget stays open and gets its redirect', async (t) => {
    const { browser, socket } = await browserWithSocket();
    t.after(() => browser.close());
    for (let i = 0; i < 20; i += 1) socket.send('x'.repeat(1024));
    assert.equal((await browser.login('demo', 'demo')).status, 200);

    const { session_id } = (await logins.nextJson()) as { session_id: string };
    const url = `http://127.0.0.1:${gateway.port}/apps/quiet/`;
    await publishJson(bus, Topics.appReady, { session_id, redirect_url: url, app_name: 'quiet' });
    assert.equal((await browser.nextFrame()).url, url);
  });

  test('a socket with a cookie the gateway never issued is refused', async () => {
    const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    browser.cookie = `modt_sid=${'A'.repeat(43)}`;
    await assert.rejects(browser.openSocket(), /401/);
  });
});
