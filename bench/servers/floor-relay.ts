import net from 'node:net';
import { parseArgs } from 'node:util';
import { MqttClient } from 'mqtt';
import { report } from '../support/ipc.ts';

/**
 * The app's place in the floor: a raw mqtt.js subscriber that publishes what it receives
 * straight back, so a login crosses the broker twice, as it does through the dummy app.
 */
const { values } = parseArgs({ options: { broker: { type: 'string' } } });
const broker = new URL(values.broker!);
const stream = () =>
  net.createConnection({ host: broker.hostname, port: Number(broker.port), noDelay: true });
const bus = new MqttClient(stream, {
  clientId: `bench-relay-${process.pid}`,
  clean: true,
  protocolVersion: 4,
});

bus.on('message', (_topic, payload) => void bus.publish('bench/floor/out', payload, { qos: 1 }));
bus.on('connect', () => bus.subscribe('bench/floor/in', { qos: 1 }, () => report('ready')));
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
