import net from 'node:net';
import { MqttClient } from 'mqtt';
import { Topics, appDisplayTopic } from '../../protocol/index.ts';

export interface RawLoop {
  readonly handled: number;
  stop(): Promise<void>;
}

/**
 * The router's baseline: what one would write by hand for the dummy app with mqtt.js alone.
 * Subscribe, `JSON.parse`, publish the same two answers at QoS 1; no validation, no output
 * checks, and the broker's message acknowledged on arrival, before it is handled.
 */
export function rawLoop(url: URL, clientId: string, publicUrl: string): RawLoop {
  const stream = () =>
    net.createConnection({ host: url.hostname, port: Number(url.port), noDelay: true });
  const client = new MqttClient(stream, {
    clientId,
    clean: false,
    protocolVersion: 4,
    resubscribe: false,
  });
  const redirectUrl = new URL('/apps/dummy-app/', publicUrl).href;
  const state = { handled: 0 };

  client.on('connect', () => void client.subscribe(Topics.authSuccess, { qos: 1 }));
  client.on('message', (_topic, payload) => {
    const login = JSON.parse(payload.toString('utf8'));
    const display = {
      session_id: login.session_id,
      app_name: 'dummy-app',
      title: `Welcome, ${login.user_id}`,
      items: [
        { label: 'User', value: login.user_id },
        { label: 'Role', value: login.role },
        { label: 'Logged in at', value: login.timestamp },
        { label: 'Ready at', value: new Date().toISOString() },
      ],
    };
    const ready = {
      session_id: login.session_id,
      redirect_url: redirectUrl,
      app_name: 'dummy-app',
    };
    // Counted once the broker has both answers, as the router counts a message: work that
    // only sits in the client's outgoing queue is not done yet.
    let acked = 0;
    const onAck = () => {
      acked += 1;
      if (acked === 2) state.handled += 1;
    };
    client.publish(appDisplayTopic('dummy-app'), JSON.stringify(display), { qos: 1 }, onAck);
    client.publish(Topics.appReady, JSON.stringify(ready), { qos: 1 }, onAck);
  });

  return {
    get handled() {
      return state.handled;
    },
    stop: async () => {
      await client.endAsync();
    },
  };
}
