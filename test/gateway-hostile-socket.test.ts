import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import pino from 'pino';
import WebSocket from 'ws';
import { ErrorCodes, type ErrorCode } from '../protocol/index.ts';
import {
  readGatewayOptions,
  startGateway,
  type Gateway,
  type GatewayRefusal,
} from '../gateway/index.ts';
import {
  BrowserClient,
  freePort,
  queueEvents,
  startMosquitto,
  startTestGateway,
  testUsers,
  type Mosquitto,
} from './support/index.ts';
import type { AsyncQueue } from './support/async-queue.ts';

describe('a frame the login page never sends leaves a refusal on record', () => {
  let broker: Mosquitto;
  let gateway: Gateway;
  let refusals: AsyncQueue<GatewayRefusal>;

  before(async () => {
    broker = await startMosquitto();
    gateway = await startTestGateway(broker.url);
    refusals = queueEvents<GatewayRefusal>(gateway, 'refused');
  });
  after(async () => {
    await gateway?.stop();
    await broker?.stop();
  });

  const frames: { name: string; send: (socket: WebSocket) => void; code: ErrorCode }[] = [
    {
      name: 'a text message over 1024 bytes',
      send: (socket) => socket.send('x'.repeat(4096)),
      code: ErrorCodes.PAYLOAD_TOO_LARGE,
    },
    {
      name: 'a message over 1024 bytes in fragments',
      send: (socket) => {
        socket.send('x'.repeat(600), { fin: false });
        socket.send('x'.repeat(600), { fin: true });
      },
      code: ErrorCodes.PAYLOAD_TOO_LARGE,
    },
    {
      name: 'a text message that is no UTF-8',
      send: (socket) => socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }),
      code: ErrorCodes.PAYLOAD_NOT_UTF8,
    },
  ];
  for (const { name, send, code } of frames) {
    test(`${name} closes the socket and is refused with ${code}, counted`, async (t) => {
      const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
      t.after(() => browser.close());
      await browser.openLoginPage();
      const socket = await browser.openSocket();
      const counted = gateway.stats.refused[code] ?? 0;

      send(socket);
      await browser.closeOf(socket);
      const refusal = await refusals.next();
      assert.equal(refusal.code, code);
      assert.match(refusal.reason, /socket closed/);
      assert.equal(gateway.stats.refused[code], counted + 1);
    });
  }

  test('a tab that goes away without a word is no refusal', async () => {
    const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    await browser.openLoginPage();
    const socket = await browser.openSocket();
    socket.terminate();
    await browser.closeOf(socket);
    await refusals.expectNothing(300);
    const health = (await (await fetch(`${browser.base}healthz`)).json()) as { sockets: number };
    assert.equal(health.sockets, 0);
  });
});

describe('a session holds a bounded number of sockets', () => {
  const MAX = 3;
  let broker: Mosquitto;
  let gateway: Gateway;
  let base: string;
  const lines: Array<Record<string, unknown>> = [];

  before(async () => {
    broker = await startMosquitto();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = {
      PORT: String(port),
      MODT_HOST: '127.0.0.1',
      MODT_PUBLIC_URL: `${base}/`,
      MODT_MQTT_URL: broker.url,
      MODT_MAX_SOCKETS_PER_SESSION: String(MAX),
    };
    const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
    const log = pino({ level: 'info' }, destination);
    gateway = await startGateway(readGatewayOptions(env, await testUsers([])), log);
  });
  after(async () => {
    await gateway?.stop();
    await broker?.stop();
  });

  /** A browser with its session cookie, on the login page. */
  async function browserOn(t: TestContext): Promise<BrowserClient> {
    const browser = new BrowserClient(`${base}/`);
    t.after(() => browser.close());
    await browser.openLoginPage();
    return browser;
  }

  /** Opens one more socket of this browser's session: open, or the status that refused it. */
  function tab(t: TestContext, browser: BrowserClient): Promise<WebSocket | number> {
    const url = `${base.replace('http', 'ws')}/ws`;
    const socket = new WebSocket(url, { headers: { cookie: browser.cookie, origin: base } });
    t.after(() => socket.terminate());
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('error', reject);
    });
  }

  const refusedLines = () => lines.filter((line) => line.code === ErrorCodes.SOCKETS_EXCEEDED);

  test('one socket past the limit is refused with 429, logged with its code and counted',
    async (t) => {
      const browser = await browserOn(t);
      const open = [await tab(t, browser), await tab(t, browser), await tab(t, browser)];
      assert.ok(open.every((socket) => socket instanceof WebSocket));
      const counted = gateway.stats.refused[ErrorCodes.SOCKETS_EXCEEDED] ?? 0;

      assert.equal(await tab(t, browser), 429);
      assert.equal(gateway.stats.refused[ErrorCodes.SOCKETS_EXCEEDED], counted + 1);
      const line = refusedLines().at(-1);
      assert.equal(line?.msg, 'request refused');
      assert.equal(line?.level, 40);
      assert.equal(line?.address, '127.0.0.1');
      assert.match(String(line?.reason), new RegExp(`^a session with ${MAX} sockets open`));
      const metrics = await (await fetch(`${base}/metrics`)).text();
      const counter = `modt_gateway_refused_total{code="${ErrorCodes.SOCKETS_EXCEEDED}"}`;
      assert.ok(metrics.includes(`${counter} ${counted + 1}`), metrics);
    });

  test('a burst of upgrades of one session opens exactly the limit', async (t) => {
    const browser = await browserOn(t);
    const answers = await Promise.all(Array.from({ length: 12 }, () => tab(t, browser)));
    assert.equal(answers.filter((answer) => answer instanceof WebSocket).length, MAX);
    assert.equal(answers.filter((answer) => answer === 429).length, 12 - MAX);
  });

  test('a socket closed makes room for another, and other sessions are not held back',
    async (t) => {
      const browser = await browserOn(t);
      const [first] = [await tab(t, browser), await tab(t, browser), await tab(t, browser)];
      assert.equal(await tab(t, browser), 429);
      const other = await browserOn(t);
      assert.ok((await tab(t, other)) instanceof WebSocket);

      const closed = new Promise((resolve) => (first as WebSocket).once('close', resolve));
      (first as WebSocket).close(1000);
      await closed;
      // The close reaches the gateway a moment after the client saw its echo.
      let again = await tab(t, browser);
      for (let tries = 0; again === 429 && tries < 20; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        again = await tab(t, browser);
      }
      assert.ok(again instanceof WebSocket);
    });
});
