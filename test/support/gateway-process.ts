import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { putUser } from '../../gateway/index.ts';
import { freePort } from './free-port.ts';
import { TEST_COST } from './gateway.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 20_000;

/** The gateway in a process of its own, so that its memory is its own to measure. */
export interface GatewayProcess {
  pid: number;
  port: number;
  /** `http://127.0.0.1:PORT` */
  base: string;
  /** Resident memory now (VmRSS) and at its peak so far (VmHWM), in bytes. */
  memory(): { rssBytes: number; peakBytes: number };
  /** Makes the peak the resident memory of now (proc(5), clear_refs 5), and returns it. */
  resetPeak(): number;
  output(): string;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

export interface GatewayUser {
  username: string;
  password: string;
  role: string;
}

/**
 * Runs `gateway/main.ts` as production does, on a free port of 127.0.0.1, with a users file
 * of `users` and the environment given (the broker, the history store, limits); resolves
 * once `/healthz` says it is on the bus.
 */
export async function startGatewayProcess(
  users: readonly GatewayUser[],
  env: Record<string, string>,
): Promise<GatewayProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'modt-gateway-'));
  const usersFile = join(dir, 'users.json');
  for (const user of users) await putUser(usersFile, user, TEST_COST);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      MODT_HOST: '127.0.0.1',
      MODT_PUBLIC_URL: base,
      MODT_USERS_FILE: usersFile,
      MODT_GATEWAY_CLIENT_ID: `modt-gateway-test-${port}`,
      MODT_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // A test file that fails hard must not leave the gateway behind.
  const orphaned = () => child.kill('SIGKILL');
  process.once('exit', orphaned);
  const stopped = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const code = await exited;
    process.off('exit', orphaned);
    await rm(dir, { recursive: true, force: true });
    return code;
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await onBus(base))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stopped();
      throw new Error(`the gateway process did not come up on ${base}:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    pid: child.pid!,
    port,
    base,
    memory: () => memoryOf(child.pid!),
    resetPeak() {
      writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
      return memoryOf(child.pid!).peakBytes;
    },
    output: () => output,
    stop: stopped,
  };
}

async function onBus(base: string): Promise<boolean> {
  try {
    const health = (await (await fetch(`${base}/healthz`)).json()) as { bus?: boolean };
    return health.bus === true;
  } catch {
    return false;
  }
}

/** VmRSS and VmHWM of a process, from /proc (proc(5)): kB there, bytes here. */
function memoryOf(pid: number): { rssBytes: number; peakBytes: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const bytes = (field: string) => {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return Number(kb) * 1024;
  };
  return { rssBytes: bytes('VmRSS'), peakBytes: bytes('VmHWM') };
}
