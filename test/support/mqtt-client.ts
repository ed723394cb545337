import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { topicMatches } from '../../router/index.ts';
import { AsyncQueue, DEFAULT_WAIT_MS } from './async-queue.ts';

export interface Message {
  topic: string;
  payload: Buffer;
}

/** The messages of one topic filter as they arrive, for a test to take in order. */
export interface Collector {
  readonly filter: string;
  /** Every message collected so far, taken or not. */
  readonly all: readonly Message[];
  /** The next message not yet taken; rejects if none comes within `timeoutMs`. */
  next(timeoutMs?: number): Promise<Message>;
  /** The next message's payload parsed as JSON. */
  nextJson(timeoutMs?: number): Promise<unknown>;
  /** Resolves after `ms` if no message came meanwhile; rejects, naming it, if one did. */
  expectNothing(ms: number): Promise<void>;
  /** Stops collecting and unsubscribes. */
  close(): Promise<void>;
}

/**
 * A test's own MQTT client: MQTT 3.1.1, a unique client id, a clean session and fast
 * reconnects. Close it with `client.endAsync(true)`.
 */
export function connectClient(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, {
    clientId: `modt-test-${randomUUID().slice(0, 8)}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 100,
    connectTimeout: 5000,
    ...options,
  });
}

/** Publishes a value as JSON text at QoS 1 and resolves once the broker acknowledged it. */
export async function publishJson(client: MqttClient, topic: string, value: unknown) {
  await client.publishAsync(topic, JSON.stringify(value), { qos: 1 });
}

/** Publishes bytes or text exactly as given, at QoS 1. */
export async function publishRaw(client: MqttClient, topic: string, payload: Buffer | string) {
  await client.publishAsync(topic, payload, { qos: 1 });
}

/** Subscribes `client` to `filter` at QoS 1 and collects what arrives on it from then on. */
export async function collect(client: MqttClient, filter: string): Promise<Collector> {
  const show = (m: Message) => `${m.topic}: ${m.payload.toString('utf8').slice(0, 200)}`;
  const queue = new AsyncQueue<Message>(`message on '${filter}'`, show);
  const onMessage = (topic: string, payload: Buffer) => {
    if (topicMatches(filter, topic)) queue.push({ topic, payload });
  };
  client.on('message', onMessage);
  await client.subscribeAsync(filter, { qos: 1 });

  const next = (timeoutMs = DEFAULT_WAIT_MS) => queue.next(timeoutMs);
  return {
    filter,
    all: queue.all,
    next,
    nextJson: async (timeoutMs) => JSON.parse((await next(timeoutMs)).payload.toString('utf8')),
    expectNothing: (ms) => queue.expectNothing(ms),
    async close() {
      client.off('message', onMessage);
      if (client.connected) await client.unsubscribeAsync(filter);
    },
  };
}
