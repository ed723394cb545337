import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { freePort } from '../../test/support/index.ts';
import { BenchChild, ROOT } from './child.ts';
import type { Builds } from './bundles.ts';

const MEMORY_HOOK = join(ROOT, 'bench/servers/memory-hook.cjs');
const SERVERS = join(ROOT, 'bench/servers');
const CLIENTS = join(ROOT, 'bench/clients');

/** A server under load: its process, and the address browsers reach it at. */
export interface Served {
  child: BenchChild;
  base: string;
}

const fileOf = (builds: Builds, name: string) => builds.bundled.find((b) => b.name === name)!.file;

/**
 * The gateway as shipped (its bundle, its settings from the environment), with the
 * bench's memory hook preloaded. Only the limits that would refuse a benchmark's honest
 * load are raised: login attempts per address and user, sessions held, answer age.
 */
export async function startGateway(
  builds: Builds,
  brokerUrl: string,
  usersFile: string,
  env: Record<string, string> = {},
): Promise<Served> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/`;
  const child = BenchChild.start({
    name: 'gateway',
    script: fileOf(builds, 'gateway'),
    nodeFlags: ['--expose-gc', '-r', MEMORY_HOOK],
    env: {
      PORT: String(port),
      MODT_HOST: '127.0.0.1',
      MODT_PUBLIC_URL: base,
      MODT_MQTT_URL: brokerUrl,
      MODT_USERS_FILE: usersFile,
      MODT_GATEWAY_CLIENT_ID: `bench-gateway-${randomUUID().slice(0, 8)}`,
      MODT_LOGIN_MAX_PER_IP: '1000000000',
      MODT_LOGIN_MAX_PER_USER: '1000000000',
      MODT_MAX_SESSIONS: '1000000',
      MODT_ANSWER_TTL_MS: '3600000',
      ...env,
    },
  });
  await healthy(child, base);
  return { child, base };
}

/**
 * Waits for the gateway's /healthz to answer 200 (listening, and on the bus): log lines
 * would not do, since a gateway logging at warn prints none at start.
 */
async function healthy(child: BenchChild, base: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(new URL('/healthz', base)).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (!child.running) throw new Error(`gateway exited before it was healthy:\n${child.output()}`);
    if (Date.now() > deadline)
      throw new Error(`gateway not healthy within ${timeoutMs} ms:\n${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The dummy app's bundle, answering logins for the gateway at `publicUrl`. */
export async function startDummyApp(builds: Builds, brokerUrl: string, publicUrl: string) {
  const child = BenchChild.start({
    name: 'dummy-app',
    script: fileOf(builds, 'dummy-app'),
    env: {
      MODT_MQTT_URL: brokerUrl,
      MODT_PUBLIC_URL: publicUrl,
      MODT_CLIENT_ID: `bench-dummy-app-${randomUUID().slice(0, 8)}`,
    },
  });
  await child.line(/"msg":"unit ready"/);
  return child;
}

/** The floor: the raw uWebSockets.js server and the raw mqtt.js relay. */
export async function startFloor(brokerUrl: string): Promise<Served & { relay: BenchChild }> {
  const relay = BenchChild.start({
    name: 'floor relay',
    script: join(SERVERS, 'floor-relay.ts'),
    args: ['--broker', brokerUrl],
  });
  await relay.next('ready');
  const child = BenchChild.start({
    name: 'floor server',
    script: join(SERVERS, 'floor-server.ts'),
    args: ['--broker', brokerUrl],
  });
  const { port } = await child.next('ready');
  return { child, relay, base: `http://127.0.0.1:${port}/` };
}

/**
 * A baseline gateway of the bench's own (`ws` + node:http, or Socket.IO) with the memory
 * hook, on the given broker.
 */
export async function startBaselineGateway(
  kind: 'ws' | 'socketio',
  brokerUrl: string,
): Promise<Served> {
  const script = join(SERVERS, kind === 'ws' ? 'ws-gateway.ts' : 'socket-io-gateway.ts');
  const child = BenchChild.start({
    name: `${kind} gateway`,
    script,
    args: ['--broker', brokerUrl],
    nodeFlags: ['--expose-gc', '-r', MEMORY_HOOK],
  });
  const { port } = await child.next('ready');
  return { child, base: `http://127.0.0.1:${port}/` };
}

/** A client process: `holder` keeps sessions open, `load` generates logins. */
export async function startClient(
  kind: 'holder' | 'load',
  target: string,
  base: string,
  block: number,
) {
  const script = join(CLIENTS, kind === 'holder' ? 'session-holder.ts' : 'login-load.ts');
  const child = BenchChild.start({
    name: `${kind} → ${target}`,
    script,
    args: ['--target', target, '--base', base, '--block', String(block)],
    nodeFlags: ['--max-old-space-size=8192'],
  });
  await child.next('ready');
  return child;
}

/** Blocks of loopback source addresses, fresh for each client, so runs never share ports. */
let nextBlock = 10 + Math.floor(Math.random() * 100);
export function sourceBlock(): number {
  nextBlock = nextBlock >= 250 ? 10 : nextBlock + 1;
  return nextBlock;
}
