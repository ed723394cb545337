import { startBenchBroker } from '../support/broker.ts';
import { buildAll } from '../support/bundles.ts';
import { stopAll, type BenchChild } from '../support/child.ts';
import {
  kernelBytesPerConnection,
  kernelSockets,
  type KernelSockets,
} from '../support/kernel-memory.ts';
import { figure, type Figure } from '../support/report.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../support/scenario.ts';
import {
  startBaselineGateway,
  startClient,
  startGateway,
  sourceBlock,
  type Served,
} from '../support/stacks.ts';
import { writeUsersFile } from '../support/users-file.ts';

const GIB = 2 ** 30;
/**
 * Sessions opened before the first reading, so that what grows once (JIT code, maps and pools
 * sized up, the heap's first expansion) is not counted per session: each figure is what the
 * sessions between two readings added.
 */
const WARM_SESSIONS = { quick: 200, full: 2000 };
/** Files a server keeps for itself beside its sessions' sockets (broker, epoll, pipes). */
const SPARE_FILES = 1000;

interface Memory {
  rss: number;
  /** The V8 heap's resident pages, used or not. */
  heapResident: number;
  heapUsed: number;
}

/**
 * What a server holds, after a full GC: its native memory (resident less the V8 heap's
 * resident pages) plus the live V8 heap. Plain RSS moves by megabytes as V8 grows and
 * shrinks its heap, which made an RSS difference over 8,000 sessions come out negative here.
 */
const liveOf = (m: Memory) => m.rss - m.heapResident + m.heapUsed;

interface Reading {
  sessions: number;
  /** Server bytes per session added since the previous reading (the warm one first). */
  livePerSession: number;
  rssPerSession: number;
  heapPerSession: number;
  /** Kernel bytes per connection added (both ends: client and server are on this machine). */
  kernelPerConnection: number;
  openMs: number;
}

type Kind = 'modt' | 'ws' | 'socketio';

/** The client processes holding one server's sessions, at most `perHolder` each. */
class Holders {
  readonly children: BenchChild[] = [];
  #held: number[] = [];
  #kind: Kind;
  #base: string;
  #perHolder: number;

  constructor(kind: Kind, base: string, perHolder: number) {
    this.#kind = kind;
    this.#base = base;
    this.#perHolder = perHolder;
  }

  get held(): number {
    return this.#held.reduce((a, b) => a + b, 0);
  }

  /** Opens sessions until `total` are held, each process filled in turn. */
  async openTo(total: number) {
    const began = performance.now();
    const per = this.#perHolder;
    while (this.children.length * per < total) {
      this.children.push(await startClient('holder', this.#kind, this.#base, sourceBlock()));
      this.#held.push(0);
    }
    let failed = 0;
    await Promise.all(
      this.children.map(async (holder, i) => {
        const want = Math.min(per, Math.max(0, total - i * per)) - this.#held[i]!;
        if (want <= 0) return;
        const result = await holder.request('open', { count: want, concurrency: 16 }, 900_000);
        this.#held[i] = result.held as number;
        failed += result.failed as number;
      }),
    );
    return { ms: performance.now() - began, failed };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.children.map((h) => h.request('close', {}, 60_000)));
    await stopAll(this.children);
  }
}

async function memoryOf(server: BenchChild): Promise<Memory> {
  const m = await server.request('memory');
  const heapResident = m.heapResident as number;
  return { rss: m.rss as number, heapResident, heapUsed: m.heapUsed as number };
}

/** One server: warm, then each session count, reading its memory after GC each time. */
async function measure(
  kind: Kind,
  server: Served,
  [warm, ...counts]: readonly number[],
  perHolder: number,
  log: (line: string) => void,
) {
  const holders = new Holders(kind, server.base, perHolder);
  const readings: Reading[] = [];
  try {
    await holders.openTo(warm!);
    let before = {
      held: holders.held,
      memory: await memoryOf(server.child),
      kernel: kernelSockets(),
    };
    for (const count of counts) {
      const opened = await holders.openTo(count);
      if (opened.failed > 0) log(`${kind}: ${opened.failed} sessions did not open`);
      const after = {
        held: holders.held,
        memory: await memoryOf(server.child),
        kernel: kernelSockets(),
      };
      const added = after.held - before.held;
      const per = (f: (m: Memory) => number) => (f(after.memory) - f(before.memory)) / added;
      const r: Reading = {
        sessions: after.held,
        livePerSession: per(liveOf),
        rssPerSession: per((m) => m.rss),
        heapPerSession: per((m) => m.heapUsed),
        kernelPerConnection: kernelBytesPerConnection(before.kernel, after.kernel, added),
        openMs: opened.ms,
      };
      readings.push(r);
      before = after;
      const kib = (bytes: number) => (bytes / 1024).toFixed(2);
      const memory = `${kib(r.rssPerSession)} RSS, ${kib(r.heapPerSession)} heap`;
      log(
        `${kind} at ${r.sessions}: ${kib(r.livePerSession)} KiB live (${memory}), ` +
          `${kib(r.kernelPerConnection)} KiB kernel per connection; ` +
          `opened in ${(opened.ms / 1000).toFixed(1)} s`,
      );
    }
  } finally {
    await holders.close();
  }
  return readings;
}

/**
 * Gateway memory per idle browser session (cookie, session, open socket), after a full GC,
 * at growing session counts: MoDT's gateway (uWebSockets.js) against the same session logic
 * on `ws` + node:http and on Socket.IO; plus the kernel's memory per socket.
 */
export const sessionsHeld: Scenario = {
  name: 'sessions held',
  async run(context: BenchContext): Promise<ScenarioResult> {
    // One process holds one file per socket, and the open-file limit cannot be raised past
    // its hard limit without CAP_SYS_RESOURCE: the server's share bounds the largest count.
    const most = Math.min(context.quick ? 1000 : 50_000, context.fileLimit - SPARE_FILES);
    const counts = context.quick ? [most] : [...new Set([Math.min(10_000, most), most])];
    const perHolder = Math.floor(context.fileLimit / 2);
    const warm = context.quick ? WARM_SESSIONS.quick : WARM_SESSIONS.full;
    const builds = await buildAll();
    const broker = await startBenchBroker();
    const usersFile = await writeUsersFile(context.tmp, 1);
    const readings: Partial<Record<Kind, Reading[]>> = {};
    try {
      // --quick leaves Socket.IO out: it is context, and the slowest to open.
      const kinds = context.quick
        ? (['ws', 'modt'] as const)
        : (['ws', 'modt', 'socketio'] as const);
      for (const kind of kinds) {
        const server =
          kind === 'modt'
            ? await startGateway(builds, broker.url, usersFile)
            : await startBaselineGateway(kind, broker.url);
        // Socket.IO, the slowest to open, is context only: measured at the first count.
        const upTo = kind === 'socketio' ? counts.slice(0, 1) : counts;
        try {
          readings[kind] = await measure(kind, server, [warm, ...upTo], perHolder, context.log);
        } finally {
          await server.child.stop();
        }
      }
    } finally {
      await broker.stop();
    }

    const figures: Figure[] = [];
    const perGiB = (r: Reading) => GIB / r.livePerSession;
    const withKernel = (r: Reading) => GIB / (r.livePerSession + r.kernelPerConnection / 2);
    for (const [i, count] of counts.entries()) {
      const at = (kind: Kind) => readings[kind]?.[i];
      const modt = at('modt')!;
      const ws = at('ws')!;
      const socketIo = at('socketio');
      const span = i === 0 ? `${warm} → ${count}` : `${counts[i - 1]} → ${count}`;
      const common = {
        scenario: 'sessions held',
        unit: 'sessions',
        baselineName: 'ws + node:http',
      };
      figures.push(
        figure({
          ...common,
          measure: `sessions per GiB of gateway memory, ${span} sessions`,
          product: perGiB(modt),
          baseline: perGiB(ws),
          target: '≥ 3×',
          meets: (r) => r >= 3,
        }),
        figure({
          ...common,
          measure: `sessions per GiB with the server's kernel socket memory, ${span}`,
          product: withKernel(modt),
          baseline: withKernel(ws),
        }),
        figure({
          ...common,
          unit: 'KiB',
          measure: `gateway memory per session, ${span}`,
          product: modt.livePerSession / 1024,
          baseline: ws.livePerSession / 1024,
        }),
      );
      if (socketIo === undefined) continue;
      figures.push(
        figure({
          ...common,
          measure: `sessions per GiB of gateway memory, ${span} sessions`,
          product: perGiB(modt),
          baseline: perGiB(socketIo),
          baselineName: 'Socket.IO',
        }),
      );
    }
    return { figures, details: { counts, fileLimit: context.fileLimit, readings } };
  },
};
