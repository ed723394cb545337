import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { ErrorCodes, Topics, appDisplayTopic } from '../protocol/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  publishJson,
  startMosquitto,
  startTestGateway,
} from './support/index.ts';

/**
 * A TCP relay between the gateway and the broker whose gateway-to-broker direction can be
 * held: what the gateway sends meanwhile (its `modt/auth/success`) waits in the relay, and
 * reaches the broker, late, once it is let go, as it would over a link that stalled.
 */
async function stallableRelay(t: TestContext, brokerPort: number) {
  let holding = false;
  const held: { upstream: net.Socket; chunk: Buffer }[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(brokerPort, '127.0.0.1');
    client.on('data', (chunk) => {
      if (holding) held.push({ upstream, chunk });
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      for (const { upstream, chunk } of held.splice(0)) upstream.write(chunk);
    },
  };
}

describe('a login the gateway answered 503 is over, whatever comes on the bus after', () => {
  test('its late modt/auth/success pushes nothing and shows no page under the old cookie',
    async (t) => {
      const broker = await startMosquitto();
      t.after(() => broker.stop());
      const relay = await stallableRelay(t, broker.port);
      const gateway = await startTestGateway(relay.url, { publishTimeoutMs: 300 });
      t.after(() => gateway.stop());
      const bus = await connectClient(broker.url);
      t.after(() => bus.endAsync(true));
      const logins = await collect(bus, Topics.authSuccess);
      const base = `http://127.0.0.1:${gateway.port}`;

      const browser = new BrowserClient(`${base}/`);
      t.after(() => browser.close());
      await browser.openLoginPage();
      await browser.openSocket();
      const cookieBefore = browser.cookie;
      relay.hold();
      const answer = await browser.login('demo', 'demo');
      assert.equal(answer.status, 503);
      assert.equal(answer.body.code, ErrorCodes.BROKER_UNAVAILABLE);
      assert.equal(browser.cookie, cookieBefore, 'no renewed cookie for a refused login');

      // The stalled message reaches the broker after all, and an app answers it.
      relay.release();
      const { session_id } = (await logins.nextJson()) as { session_id: string };
      const app = 'late-app';
      const display = { session_id, app_name: app, title: 'Late', items: [] };
      await publishJson(bus, appDisplayTopic(app), display);
      const ready = { session_id, redirect_url: `${base}/apps/${app}/`, app_name: app };
      await publishJson(bus, Topics.appReady, ready);

      await browser.expectNoFrame(500);
      const page = await browser.get(`${base}/apps/${app}/`);
      assert.equal(page.status, 404, 'the page of a refused login is no one\'s');
      const dropped = gateway.stats.dropped[ErrorCodes.SESSION_UNKNOWN] ?? 0;
      assert.equal(dropped, 2, 'the display and the ready, each refused and counted');

      // The browser signs in again, as it was told to, and this login is answered.
      const again = await browser.login('demo', 'demo');
      assert.equal(again.status, 200);
      const next = (await logins.nextJson()) as { session_id: string };
      await publishJson(bus, Topics.appReady, { ...ready, session_id: next.session_id });
      assert.equal((await browser.nextFrame()).app_name, app);
    });
});
