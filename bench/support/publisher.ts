import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { MqttClient } from 'mqtt';

/** A bench's own MQTT client, Nagle off like every MoDT socket, clean session. */
export function connectBench(
  url: string,
  clientId = `bench-${randomUUID().slice(0, 8)}`,
): Promise<MqttClient> {
  const { hostname, port } = new URL(url);
  const stream = () => net.createConnection({ host: hostname, port: Number(port), noDelay: true });
  const client = new MqttClient(stream, {
    clientId,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

/** Publishes `count` messages at QoS 1 as fast as the broker takes them, `window` at a time. */
export async function publishMany(
  client: MqttClient,
  topic: string,
  count: number,
  payload: (i: number) => string,
  window = 500,
): Promise<void> {
  for (let from = 0; from < count; from += window) {
    const batch: Promise<unknown>[] = [];
    for (let i = from; i < Math.min(count, from + window); i++) {
      batch.push(client.publishAsync(topic, payload(i), { qos: 1 }));
    }
    await Promise.all(batch);
  }
}

/** A valid `modt/auth/success`, a fresh session_id each. */
export function authSuccess(i: number): string {
  return JSON.stringify({
    user_id: `bench-${i % 1000}`,
    session_id: randomUUID(),
    role: 'user',
    timestamp: new Date().toISOString(),
  });
}
