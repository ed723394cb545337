import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { canConnect } from './free-port.ts';

/** How long a server may take to listen before its start counts as failed. */
export const LISTEN_TIMEOUT_MS = 5000;
const STOP_TIMEOUT_MS = 10_000;
const KEPT_OUTPUT_CHARS = 64 * 1024;

/** A real server process (Mosquitto, Redis) that a test started and must end. */
export interface ServerProcess {
  readonly pid: number;
  /** Whether the process is still running. */
  readonly running: boolean;
  /** What the process wrote to stdout and stderr so far (its last 64 KiB). */
  output(): string;
  /** SIGTERM, then waits for the exit (SIGKILL if it takes over 10 s). */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

// A test file that fails hard, or is interrupted, must not leave servers behind.
const live = new Set<ChildProcess>();
const killAll = () => {
  for (const child of live) child.kill('SIGKILL');
};
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.kill(process.pid, signal);
  });
}

export interface ServerCommand {
  /** Names the server in errors. */
  name: string;
  command: string;
  args: readonly string[];
  port: number;
  /** A line the server writes once its listeners are open, so a port that another process
   * holds is not taken for ours. */
  readyLine: RegExp;
}

/**
 * Spawns a server and resolves once it has said it is ready and accepts TCP connections on
 * 127.0.0.1:port. If it exits first, or is not listening within 5 s, rejects with an Error
 * that carries the server's own output, which names the real cause (field case C10).
 */
export async function startServerProcess(server: ServerCommand): Promise<ServerProcess> {
  const { name, command, args, port, readyLine } = server;
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-KEPT_OUTPUT_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let exit: string | undefined;
  const closed = new Promise<void>((resolve) => {
    // 'close' comes after the output pipes are drained, so the last lines are kept.
    child.once('close', (code, signal) => {
      exit ??= signal ? `was killed by ${signal}` : `exited with code ${code}`;
      live.delete(child);
      resolve();
    });
    child.once('error', (err) => {
      exit = `could not be started: ${err.message}`;
      live.delete(child);
      resolve();
    });
  });
  live.add(child);

  const handle: ServerProcess = {
    pid: child.pid ?? -1,
    get running() {
      return exit === undefined;
    },
    output: () => output,
    async stop() {
      if (exit !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await closed;
      clearTimeout(timer);
    },
    async kill() {
      if (exit !== undefined) return;
      child.kill('SIGKILL');
      await closed;
    },
  };

  const deadline = Date.now() + LISTEN_TIMEOUT_MS;
  for (;;) {
    if (exit === undefined && readyLine.test(output) && (await canConnect(port))) return handle;
    if (exit !== undefined) {
      await closed;
      const early = `${name} ${exit} before listening on 127.0.0.1:${port}`;
      throw new Error(`${early}; its output:\n${output}`);
    }
    if (Date.now() > deadline) {
      await handle.kill();
      const waited = `${name} did not listen on 127.0.0.1:${port} within ${LISTEN_TIMEOUT_MS} ms`;
      throw new Error(`${waited}; its output:\n${output}`);
    }
    await sleep(50);
  }
}
