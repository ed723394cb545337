import type { TestContext } from 'node:test';
import type { MqttClient } from 'mqtt';
import type { WebSocket } from 'ws';
import { Topics } from '../../protocol/index.ts';
import type { Gateway, GatewayOptions } from '../../gateway/index.ts';
import { BrowserClient } from './browser-client.ts';
import { startTestGateway } from './gateway.ts';
import { startMosquitto, type Mosquitto } from './mosquitto.ts';
import { collect, connectClient, publishJson, type Collector } from './mqtt-client.ts';

/**
 * A real Mosquitto, a gateway on it, and a bus client that sees every login: the stage of
 * most gateway tests. Everything is stopped after the test.
 */
export interface GatewayScene {
  broker: Mosquitto;
  gateway: Gateway;
  bus: MqttClient;
  logins: Collector;
  base: string;
  /** A browser with the login page and an open socket, logged in as demo. */
  login(options?: {
    acknowledge?: boolean;
  }): Promise<{ browser: BrowserClient; socket: WebSocket; sessionId: string }>;
  /** Publishes a valid ready for a login, to `/apps/<app>/` on the gateway. */
  answer(sessionId: string, app: string): Promise<string>;
}

export async function gatewayScene(
  t: TestContext,
  overrides: Partial<GatewayOptions> = {},
): Promise<GatewayScene> {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const gateway = await startTestGateway(broker.url, overrides);
  t.after(() => gateway.stop());
  const bus = await connectClient(broker.url);
  t.after(() => bus.endAsync(true));
  const logins = await collect(bus, Topics.authSuccess);
  const base = `http://127.0.0.1:${gateway.port}`;

  return {
    broker,
    gateway,
    bus,
    logins,
    base,
    async login(options = {}) {
      const browser = new BrowserClient(`${base}/`);
      t.after(() => browser.close());
      browser.acknowledge = options.acknowledge ?? true;
      await browser.openLoginPage();
      const socket = await browser.openSocket();
      await browser.login('demo', 'demo');
      const { session_id } = (await logins.nextJson()) as { session_id: string };
      return { browser, socket, sessionId: session_id };
    },
    async answer(sessionId, app) {
      const url = `${base}/apps/${app}/`;
      await publishJson(bus, Topics.appReady, {
        session_id: sessionId,
        redirect_url: url,
        app_name: app,
      });
      return url;
    },
  };
}
