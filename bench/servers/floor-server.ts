import net from 'node:net';
import { parseArgs } from 'node:util';
import { MqttClient } from 'mqtt';
import type { WebSocket } from 'uWebSockets.js';
import { loadUws } from '../../gateway/index.ts';
import { report } from '../support/ipc.ts';

/**
 * The login path's floor, on the parts MoDT is built from and nothing else: a raw
 * uWebSockets.js HTTP round trip (POST /login publishes the login's id), and, when that id
 * comes back on the bus, one raw WebSocket send of a redirect frame to the socket it names.
 * The native binding is loaded as the gateway loads it, never the package's `ws` fallback.
 */
const { values } = parseArgs({ options: { broker: { type: 'string' }, port: { type: 'string' } } });
const IN = 'bench/floor/in';
const OUT = 'bench/floor/out';
const frameOf = (url: string) => JSON.stringify({ type: 'redirect', url, app_name: 'dummy-app' });

const uws = loadUws();
const broker = new URL(values.broker!);
const stream = () =>
  net.createConnection({ host: broker.hostname, port: Number(broker.port), noDelay: true });
const bus = new MqttClient(stream, {
  clientId: `bench-floor-${process.pid}`,
  clean: true,
  protocolVersion: 4,
});
const sockets = new Map<string, WebSocket<{ id: string; open: boolean }>>();
let redirectUrl = '';

bus.on('message', (_topic, payload) => {
  const socket = sockets.get(payload.toString('latin1'));
  if (socket?.getUserData().open) socket.send(frameOf(redirectUrl), false);
});

const app = uws
  .App()
  .post('/login', (res) => {
    let aborted = false;
    res.onAborted(() => (aborted = true));
    const chunks: Buffer[] = [];
    res.onData((chunk, isLast) => {
      chunks.push(Buffer.from(chunk.slice(0)));
      if (!isLast) return;
      const id = new URLSearchParams(Buffer.concat(chunks).toString('latin1')).get('id') ?? '';
      bus.publish(IN, id, { qos: 1 }, () => {
        if (!aborted)
          res.cork(() => res.writeHeader('content-type', 'application/json').end('{"ok":true}'));
      });
    });
  })
  .ws<{ id: string; open: boolean }>('/ws', {
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const data = { id: req.getQuery('id') ?? '', open: true };
      res.upgrade(
        data,
        req.getHeader('sec-websocket-key'),
        req.getHeader('sec-websocket-protocol'),
        req.getHeader('sec-websocket-extensions'),
        context,
      );
    },
    open: (ws) => void sockets.set(ws.getUserData().id, ws),
    close: (ws) => {
      ws.getUserData().open = false;
      if (sockets.get(ws.getUserData().id) === ws) sockets.delete(ws.getUserData().id);
    },
  });

bus.on('connect', () => {
  bus.subscribe(OUT, { qos: 1 }, () => {
    app.listen('127.0.0.1', Number(values.port ?? 0), (listen) => {
      if (!listen) return report('error', { reason: 'floor server could not listen' });
      const port = uws.us_socket_local_port(listen);
      redirectUrl = `http://127.0.0.1:${port}/apps/dummy-app/`;
      report('ready', { port });
    });
  });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
