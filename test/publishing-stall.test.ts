import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import mqttPacket from 'mqtt-packet';
import { RAW, UnitRunner, defineUnit, publish } from '../router/index.ts';
import { connectClient, startMosquitto } from './support/index.ts';

/** Longer than the link's keepalive (30 s) and the 1.5 of it mqtt.js waits for a PINGRESP. */
const STALL_MS = 50_000;

/**
 * A proxy before the broker that, while `holding`, keeps back the PUBACKs the broker sends
 * on the unit's sending connection (`-out`): the broker has taken the unit's outputs and
 * does not say so. Everything else, its PINGRESPs too, goes through.
 */
async function ackHoldingProxy(brokerPort: number) {
  const state = { holding: false };
  const sends: (() => void)[] = [];
  const server = net.createServer((client) => {
    const broker = net.connect({ host: '127.0.0.1', port: brokerPort });
    let outbox: boolean | undefined;
    client.on('data', (chunk) => {
      outbox ??= chunk.includes('-out');
      broker.write(chunk);
    });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (packet) => {
      const bytes = mqttPacket.generate(packet);
      if (outbox && state.holding && packet.cmd === 'puback') sends.push(() => client.write(bytes));
      else client.write(bytes);
    });
    broker.on('data', (chunk) => parser.parse(chunk));
    for (const socket of [client, broker]) {
      socket.on('error', () => undefined);
      socket.on('close', () => (client.destroy(), broker.destroy()));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    hold: () => (state.holding = true),
    release: () => {
      state.holding = false;
      for (const send of sends.splice(0)) send();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('a unit that only publishes stays connected while the broker holds back the ' +
  'acknowledgements of its outputs past the keepalive, and handles each message once',
  { timeout: 120_000 },
  async (t) => {
    const broker = await startMosquitto({
      extraConfig: ['max_inflight_messages 256', 'max_queued_messages 100000'],
    });
    t.after(() => broker.stop());
    const proxy = await ackHoldingProxy(broker.port);
    t.after(() => proxy.close());

    const id = randomUUID().slice(0, 8);
    const unit = defineUnit({
      name: 'stall-echo',
      subscribe: { [`stall/${id}/in`]: RAW },
      publishes: [`stall/${id}/out`],
      handle: (_topic, bytes) => [publish(`stall/${id}/out`, Buffer.from(bytes).toString())],
    });
    const runner = new UnitRunner(unit, {
      mqttUrl: new URL(`mqtt://127.0.0.1:${proxy.port}`),
      clientId: `stall-${id}`,
      settings: {},
      reconnectMaxMs: 500,
    });
    t.after(() => runner.stop());
    const downs: number[] = [];
    runner.on('down', () => downs.push(Date.now()));
    await runner.waitReady(10_000);

    const outputs: string[] = [];
    const reader = await connectClient(broker.url);
    t.after(() => reader.endAsync(true));
    reader.on('message', (_topic, payload) => outputs.push(JSON.parse(payload.toString())));
    await reader.subscribeAsync(`stall/${id}/out`, { qos: 1 });

    // More messages than the broker's window, so the unit has a full window in hand.
    const publisher = await connectClient(broker.url);
    t.after(() => publisher.endAsync(true));
    proxy.hold();
    const names = Array.from({ length: 300 }, (_, i) => `m${i}`);
    await Promise.all(names.map((n) => publisher.publishAsync(`stall/${id}/in`, n, { qos: 1 })));
    await sleep(STALL_MS);
    proxy.release();

    const deadline = Date.now() + 20_000;
    while (new Set(outputs).size < names.length && Date.now() < deadline) await sleep(100);
    assert.deepEqual(downs, [], 'the receiving connection stayed up');
    assert.equal(runner.stats.received, names.length, 'each message came once');
    assert.deepEqual([...new Set(outputs)].sort(), [...names].sort());
    assert.equal(outputs.length, names.length, 'each output went out once');
  });
