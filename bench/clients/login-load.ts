import { parseArgs } from 'node:util';
import { monoMs } from '../support/clock.ts';
import { report, serveCommands } from '../support/ipc.ts';
import { openLoop } from '../support/open-loop.ts';
import { benchUser } from '../support/users-file.ts';
import type { SessionClient } from './bench-browser.ts';
import { ClientFactory, inParallel, type Target } from './clients.ts';

/**
 * The login load generator: a pool of browsers, each with its page and socket open, and an
 * open-loop schedule of logins. Each login takes a free browser and is timed from when it
 * was due to when its redirect frame reached the browser's socket. A browser has one login
 * in flight at most, so the next frame on its socket is that login's.
 */
const { values } = parseArgs({
  options: { target: { type: 'string' }, base: { type: 'string' }, block: { type: 'string' } },
});
const factory = new ClientFactory(values.target as Target, values.base!, Number(values.block));
const FRAME_TIMEOUT_MS = 5000;

interface Slot {
  index: number;
  client: SessionClient;
  /** The login in flight: when it was due, and what becomes of it. */
  pending?: { dueMs: number; done: (atMs: number) => void };
}

interface Trace {
  slot: number;
  /** monoMs(): when the login was due, answered, and redirected. */
  due: number;
  response: number;
  frame: number;
}

const free: Slot[] = [];
let strays = 0;

async function prepare(count: number) {
  const began = performance.now();
  const result = await inParallel(count, 32, async (index) => {
    const slot: Slot = { index, client: await factory.make() };
    slot.client.onFrame = (_text, atMs) => {
      if (slot.pending === undefined) strays += 1;
      else slot.pending.done(atMs);
    };
    await slot.client.open();
    free.push(slot);
  });
  free.sort((a, b) => a.index - b.index);
  return { prepared: free.length, ms: performance.now() - began, ...result };
}

async function run(ratePerSecond: number, durationMs: number, password: string, trace: boolean) {
  const latencies: number[] = [];
  const responses: number[] = [];
  const traces: Trace[] = [];
  const counts = { sent: 0, lost: 0, exhausted: 0, refused: 0, failed: 0 };
  const inFlight = new Set<Promise<void>>();

  const login = async (slot: Slot, dueMs: number) => {
    let responseAt = Number.NaN;
    let timer: NodeJS.Timeout | undefined;
    const framed = new Promise<number>((resolve) => {
      slot.pending = { dueMs, done: resolve };
      timer = setTimeout(() => resolve(Number.NaN), FRAME_TIMEOUT_MS);
    });
    const user = benchUser(slot.index);
    try {
      const status = await slot.client.login(user, password);
      responseAt = monoMs();
      if (status !== 200) counts.refused += 1;
    } catch {
      counts.failed += 1;
    }
    const frameAt = await framed;
    clearTimeout(timer);
    slot.pending = undefined;
    if (Number.isNaN(frameAt)) {
      // A frame that comes later would be taken for the next login's: the browser retires.
      counts.lost += 1;
      return;
    }
    latencies.push(frameAt - dueMs);
    responses.push(responseAt - dueMs);
    if (trace) traces.push({ slot: slot.index, due: dueMs, response: responseAt, frame: frameAt });
    free.push(slot);
  };

  const lag = await openLoop({
    ratePerSecond,
    durationMs,
    fire: (_i, dueMs) => {
      const slot = free.shift();
      if (slot === undefined) {
        counts.exhausted += 1;
        return;
      }
      counts.sent += 1;
      const work = login(slot, dueMs).finally(() => inFlight.delete(work));
      inFlight.add(work);
    },
  });
  await Promise.all(inFlight);
  return { latencies, responses, ...counts, strays, lag, traces };
}

serveCommands(async (command) => {
  if (command.cmd === 'prepare') return prepare(command.count as number);
  if (command.cmd === 'run') {
    const { rate, durationMs, password, trace } = command as unknown as {
      rate: number;
      durationMs: number;
      password: string;
      trace?: boolean;
    };
    return run(rate, durationMs, password, trace === true);
  }
  throw new Error(`unknown command ${command.cmd}`);
});
report('ready');
