import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ErrorCodes, type ErrorCode } from '../protocol/index.ts';
import type { Gateway, GatewayRefusal } from '../gateway/index.ts';
import type { WebSocket } from 'ws';
import {
  BrowserClient,
  queueEvents,
  startMosquitto,
  startTestGateway,
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
