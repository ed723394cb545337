import net from 'node:net';
import { parseArgs } from 'node:util';
import { MqttClient } from 'mqtt';
import dummyApp from '../../functions/dummy-app.ts';
import monitor from '../../functions/monitor.ts';
import { Topics } from '../../protocol/index.ts';
import { RedisStreamStore, UnitRunner, type AnyUnit } from '../../router/index.ts';
import { report, serveCommands } from '../support/ipc.ts';
import { rawLoop, type RawLoop } from './raw-loop.ts';

/**
 * Runs N units in one process, as the router runs them (`product`), as a hand-written
 * mqtt.js loop (`baseline`), or as bare subscribers that only count (`sink`), and drains
 * what the broker queued for them while they were away: the rate at saturation and the CPU
 * time per message, with no publisher competing.
 */
const { values } = parseArgs({
  options: {
    kind: { type: 'string' },
    unit: { type: 'string', default: 'dummy-app' },
    units: { type: 'string', default: '1' },
    broker: { type: 'string' },
    prefix: { type: 'string' },
    redis: { type: 'string' },
    stream: { type: 'string', default: 'modt:bench' },
  },
});
const kind = values.kind as 'product' | 'baseline' | 'sink';
const count = Number(values.units);
const url = new URL(values.broker!);
const clientIds = Array.from({ length: count }, (_, i) => `${values.prefix}-${i}`);
const unit: AnyUnit = values.unit === 'monitor' ? monitor : dummyApp;
const settings = { publicUrl: 'http://127.0.0.1:8080' };

interface Running {
  handled(): number;
  stop(): Promise<void>;
}

function startProduct(clientId: string): Running {
  const store = unit.records
    ? new RedisStreamStore({ url: values.redis!, stream: values.stream })
    : undefined;
  const runner = new UnitRunner(unit, { mqttUrl: url, clientId, settings, store });
  return { handled: () => runner.stats.handled, stop: () => runner.stop() };
}

function startBaseline(clientId: string): Running {
  if (unit !== dummyApp) throw new Error("the hand-written loop is the dummy app's baseline only");
  const loop: RawLoop = rawLoop(url, clientId, settings.publicUrl);
  return { handled: () => loop.handled, stop: () => loop.stop() };
}

/** The broker's own pace: a client that takes each message and does nothing with it. */
function startSink(clientId: string): Running {
  const client = new MqttClient(
    () => net.createConnection({ host: url.hostname, port: Number(url.port), noDelay: true }),
    { clientId, clean: false, protocolVersion: 4, resubscribe: false },
  );
  let handled = 0;
  client.on('message', () => (handled += 1));
  return { handled: () => handled, stop: async () => void (await client.endAsync()) };
}

const starts = { product: startProduct, baseline: startBaseline, sink: startSink };
const start = starts[kind];
const filter = unit.name === 'monitor' ? Topics.all : Topics.authSuccess;

/** Connects each client id once, holding a persistent session subscribed at QoS 1, then leaves. */
async function subscribe(): Promise<void> {
  await Promise.all(
    clientIds.map(async (clientId) => {
      const client = await connect(clientId, false);
      await client.subscribeAsync(filter, { qos: 1 });
      await client.endAsync();
    }),
  );
}

/** Reconnects every unit and times until each has handled `expected` messages. */
async function drain(expected: number, timeoutMs: number) {
  // The store loads its client at its first command, once a process (unit start): not here.
  if (unit.records) {
    const store = new RedisStreamStore({ url: values.redis!, stream: values.stream });
    await store.open();
    await store.close();
  }
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  const running = clientIds.map(start);
  const total = expected * count;
  const deadline = began + timeoutMs;
  let handled = 0;
  while (handled < total && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    handled = running.reduce((sum, r) => sum + r.handled(), 0);
  }
  const ms = performance.now() - began;
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(running.map((r) => r.stop()));
  return { ms, handled, cpuMs: (cpu.user + cpu.system) / 1000 };
}

let live: Running[] = [];

/** Starts every unit and leaves them running until `halt`: the open-loop runs. */
async function startLive(): Promise<void> {
  live = clientIds.map(start);
}

async function halt() {
  const handled = live.reduce((sum, r) => sum + r.handled(), 0);
  await Promise.all(live.map((r) => r.stop()));
  live = [];
  return { handled };
}

/** Ends every session this worker made, so no later round's messages queue for it. */
async function forget(): Promise<void> {
  await Promise.all(clientIds.map(async (clientId) => (await connect(clientId, true)).endAsync()));
}

function connect(clientId: string, clean: boolean): Promise<MqttClient> {
  const stream = () =>
    net.createConnection({ host: url.hostname, port: Number(url.port), noDelay: true });
  const client = new MqttClient(stream, {
    clientId,
    clean,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

serveCommands(async (command) => {
  if (command.cmd === 'subscribe') return subscribe();
  if (command.cmd === 'drain')
    return drain(command.expected as number, command.timeoutMs as number);
  if (command.cmd === 'forget') return forget();
  if (command.cmd === 'start') return startLive();
  if (command.cmd === 'halt') return halt();
  throw new Error(`unknown command ${command.cmd}`);
});
report('ready');
