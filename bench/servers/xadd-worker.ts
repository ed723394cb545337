import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { report, serveCommands } from '../support/ipc.ts';

/**
 * The monitor's baseline: the records it would write, sent by ioredis straight to the
 * stream as XADDs in pipelined batches of 100, with nothing before them.
 */
const { values } = parseArgs({
  options: { redis: { type: 'string' }, stream: { type: 'string' } },
});
const redis = new Redis(values.redis!);
const BATCH = 100;
const MAX_LENGTH = 1_000_000;

function fields(i: number, payload: string): string[] {
  return [
    'received_at',
    new Date().toISOString(),
    'topic',
    'modt/auth/success',
    'payload',
    payload.replace('"user_id":"', `"user_id":"${i}-`),
    'encoding',
    'utf8',
    'json',
    '1',
  ];
}

async function write(count: number, payload: string) {
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  for (let from = 0; from < count; from += BATCH) {
    const pipeline = redis.pipeline();
    for (let i = from; i < Math.min(count, from + BATCH); i++) {
      pipeline.xadd(values.stream!, 'MAXLEN', '~', MAX_LENGTH, '*', ...fields(i, payload));
    }
    await pipeline.exec();
  }
  const ms = performance.now() - began;
  const cpu = process.cpuUsage(cpuBefore);
  return { ms, handled: count, cpuMs: (cpu.user + cpu.system) / 1000 };
}

serveCommands(async (command) => {
  if (command.cmd === 'write') return write(command.count as number, command.payload as string);
  throw new Error(`unknown command ${command.cmd}`);
});
redis.once('ready', () => report('ready'));
