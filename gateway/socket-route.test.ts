import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import {
  BrowserClient,
  startMosquitto,
  startTestGateway,
  type Mosquitto,
} from '../test/support/index.ts';

const MAX_MS = 120_000;

describe('the gateway finds every open browser socket through its session', () => {
  let broker: Mosquitto;

  before(async () => {
    broker = await startMosquitto();
  });
  after(async () => {
    await broker?.stop();
  });

  /** A gateway of its own for one test, on a clock the test moves. */
  async function gatewayOn(t: TestContext) {
    const clock = { now: Date.now() };
    const gateway = await startTestGateway(broker.url, {
      sessionMaxMs: MAX_MS,
      clock: () => clock.now,
    });
    t.after(() => gateway.stop());
    const base = `http://127.0.0.1:${gateway.port}`;
    return { gateway, clock, base };
  }

  async function browserOn(t: TestContext, base: string): Promise<BrowserClient> {
    const browser = new BrowserClient(`${base}/`);
    t.after(() => browser.close());
    await browser.openLoginPage();
    return browser;
  }

  async function openSockets(base: string): Promise<number> {
    const health = (await (await fetch(`${base}/healthz`)).json()) as { sockets: number };
    return health.sockets;
  }

  test('a socket whose session ended at a lookup is closed at the sweep', async (t) => {
    const { gateway, clock, base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    const socket = await browser.openSocket();
    clock.now += MAX_MS;
    // The page asked for again: its expired session is forgotten there and then.
    await browser.openLoginPage();
    gateway.sweep();

    assert.deepEqual(await browser.closeOf(socket), { code: 4401, reason: 'session expired' });
  });

  test('stopping the gateway closes every socket, both tabs of a browser too', async (t) => {
    const { gateway, base } = await gatewayOn(t);
    const [browser, other] = [await browserOn(t, base), await browserOn(t, base)];
    const tabs = [await browser.openSocket(), await browser.openSocket()];
    const third = await other.openSocket();
    await gateway.stop();

    const stopping = { code: 1001, reason: 'gateway stopping' };
    for (const tab of tabs) assert.deepEqual(await browser.closeOf(tab), stopping);
    assert.deepEqual(await other.closeOf(third), stopping);
  });

  test('the count of open sockets follows sockets opening and closing', async (t) => {
    const { base } = await gatewayOn(t);
    const browser = await browserOn(t, base);
    const first = await browser.openSocket();
    await browser.openSocket();
    assert.equal(await openSockets(base), 2);

    first.close();
    await browser.closeOf(first);
    assert.equal(await openSockets(base), 1);
  });
});
