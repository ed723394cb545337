import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onFreePort } from './free-port.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

export const REDIS_SERVER = '/usr/bin/redis-server';

/** A real redis-server on a free port of 127.0.0.1, keeping nothing on disk. */
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
  /** Stops the server if it runs, then starts it again, empty, on the same port. */
  restart(): Promise<void>;
}

/** Starts `redis-server --save '' --appendonly no` in a fresh temporary folder. */
export async function startRedis(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'modt-redis-'));
  try {
    return await onFreePort((port) => launch(dir, port));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function launch(dir: string, port: number): Promise<RedisServer> {
  const start = () =>
    startServerProcess({
      name: 'redis-server',
      command: REDIS_SERVER,
      args: [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--save', '',
        '--appendonly', 'no',
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
    async restart() {
      await server.stop();
      server = await start();
    },
  };
}
