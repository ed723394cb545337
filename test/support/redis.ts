import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onFreePort } from './free-port.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

export const REDIS_SERVER = '/usr/bin/redis-server';

/** A real redis-server on a free port of 127.0.0.1; it keeps nothing on disk unless asked. */
export interface RedisServer {
  port: number;
  /** `redis://127.0.0.1:PORT` */
  url: string;
  dir: string;
  /** What the server logged since its last start. */
  output(): string;
  /** SIGTERM, waits for the exit, and removes the folder: the clean-up at the end of a test. */
  stop(): Promise<void>;
  /** SIGKILL, waits for the exit; `restart()` can follow. */
  kill(): Promise<void>;
  /** SIGTERM, waits for the exit, keeps the folder: an outage that `restart()` ends. */
  halt(): Promise<void>;
  /**
   * Stops the server if it runs, then starts it again on the same port: empty, or with what
   * it had when started with `persistence` (an append-only file synced at every write).
   */
  restart(): Promise<void>;
}

export interface RedisOptions {
  persistence?: boolean;
}

/** Starts `redis-server` in a fresh temporary folder, with `--save ''`. */
export async function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'modt-redis-'));
  try {
    return await onFreePort((port) => launch(dir, port, options.persistence === true));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function launch(dir: string, port: number, persistence: boolean): Promise<RedisServer> {
  const aof = persistence ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const start = () =>
    startServerProcess({
      name: 'redis-server',
      command: REDIS_SERVER,
      args: [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--save', '',
        ...aof,
        '--dir', dir,
      ],
      port,
      readyLine: /Ready to accept connections/,
    });
  let server: ServerProcess = await start();

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    output: () => server.output(),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
    kill: () => server.kill(),
    halt: () => server.stop(),
    async restart() {
      await server.stop();
      server = await start();
    },
  };
}
