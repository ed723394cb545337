import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Topics } from '../../protocol/index.ts';
import { startRedis } from '../../test/support/index.ts';
import { startBenchBroker } from '../support/broker.ts';
import { bundledServer } from '../support/bundles.ts';
import { BenchChild, pidOf, processCpuMs } from '../support/child.ts';
import { openLoop } from '../support/open-loop.ts';
import { authSuccess, connectBench, publishMany } from '../support/publisher.ts';
import { figure, type Figure } from '../support/report.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../support/scenario.ts';
import { monoMs } from '../support/clock.ts';
import { fmt, median } from '../support/stats.ts';
import {
  delayOfEntry,
  delaysByTenth,
  slopePerSecond,
  type Delay,
} from '../support/store-delay.ts';


interface Drain {
  ms: number;
  handled: number;
  /** The draining process's CPU time. */
  cpuMs: number;
  /** The broker's and Redis's CPU time while it drained: on a small machine they compete. */
  brokerCpuMs: number;
  redisCpuMs: number;
}

/** The pids of the servers a drain runs through. */
interface Servers {
  broker: number;
  redis: number;
}

function pidOfServer(fragment: string): number {
  const pid = pidOf(fragment);
  if (pid === undefined) throw new Error(`no process whose command line holds ${fragment}`);
  return pid;
}

/** A drain, with the broker's and Redis's CPU time while it ran. */
async function timed(servers: Servers, drain: () => Promise<unknown>): Promise<Drain> {
  const broker = processCpuMs(servers.broker);
  const redis = processCpuMs(servers.redis);
  const done = (await drain()) as Omit<Drain, 'brokerCpuMs' | 'redisCpuMs'>;
  const brokerCpuMs = processCpuMs(servers.broker) - broker;
  return { ...done, brokerCpuMs, redisCpuMs: processCpuMs(servers.redis) - redis };
}

interface Backlog {
  /** The rate asked of the generator, and the rate it reached. */
  offeredPerSecond: number;
  publishedPerSecond: number;
  generatorP99LagMs: number;
  /** The generator's own CPU time (this process), µs a message: it shares the machine. */
  generatorCpuMicros: number;
  /** Each tenth of the run, by publish time: the median time from publish to stored, ms. */
  delayMs: number[];
  /** The same, publish to the monitor's receive time (the record's received_at), ms. */
  receiveDelayMs: number[];
  /** How fast that delay grew over the run (least squares over the tenths), ms a second. */
  growthMsPerSecond: number;
  /** From the last publish until every message was stored, or the wait gave up. */
  tailMs: number;
  stored: number;
  published: number;
  growing: boolean;
}

/** A backlog grows when each second adds more than this to the delay: 2 % of the run. */
const GROWING_MS_PER_SECOND = 20;

const rate = (d: Drain) => (d.handled * 1000) / d.ms;

async function startWorker(kind: string, brokerUrl: string, redisUrl: string, tag: string) {
  const worker = BenchChild.start({
    name: `monitor ${kind}`,
    script: await bundledServer('unit-worker'),
    args: [
      '--kind',
      kind,
      '--unit',
      'monitor',
      '--broker',
      brokerUrl,
      '--prefix',
      `bench-${tag}`,
      '--redis',
      redisUrl,
      '--stream',
      `modt:bench:${tag}`,
    ],
  });
  await worker.next('ready');
  await worker.request('subscribe');
  return worker;
}

/** The monitor (or a bare subscriber) drains `count` queued messages. */
async function drainMonitor(
  kind: string,
  brokerUrl: string,
  redisUrl: string,
  count: number,
  tag: string,
  servers: Servers,
) {
  const worker = await startWorker(kind, brokerUrl, redisUrl, tag);
  try {
    const publisher = await connectBench(brokerUrl);
    await publishMany(publisher, Topics.authSuccess, count, authSuccess);
    await publisher.endAsync();
    const drain = await timed(servers, () =>
      worker.request('drain', { expected: count, timeoutMs: 90_000 }),
    );
    await worker.request('forget');
    return drain;
  } finally {
    await worker.stop();
  }
}

/** The same records written by ioredis alone, pipelined 100 at a time. */
async function drainXadd(
  redisUrl: string,
  count: number,
  tag: string,
  servers: Servers,
): Promise<Drain> {
  const worker = BenchChild.start({
    name: 'xadd baseline',
    script: await bundledServer('xadd-worker'),
    args: ['--redis', redisUrl, '--stream', `modt:bench:${tag}`],
  });
  try {
    await worker.next('ready');
    return await timed(servers, () =>
      worker.request('write', { count, payload: authSuccess(0) }),
    );
  } finally {
    await worker.stop();
  }
}

/**
 * Offers messages at a fixed rate to a live monitor, then reads back from the stream how long
 * each took from publish to stored: a monitor that keeps up stores each within a steady few
 * milliseconds; one that falls behind stores each later than the one before. Each record's
 * stored time is its entry id (Redis's clock), its publish time the login's own timestamp
 * (the generator's clock, the same machine's). Counting published against stored while the
 * run goes was tried first: the generator's own turns put the two counts some 100 ms apart
 * at 30,000/s, and one run's samples swung between +2,300 and -4,300 records.
 */
async function backlogAt(
  perSecond: number,
  durationMs: number,
  brokerUrl: string,
  redisUrl: string,
  tag: string,
): Promise<Backlog> {
  const stream = `modt:bench:${tag}`;
  const worker = await startWorker('product', brokerUrl, redisUrl, tag);
  const redis = new Redis(redisUrl);
  const publisher = await connectBench(brokerUrl);
  try {
    await worker.request('start');
    const began = monoMs();
    const cpuBefore = process.cpuUsage();
    const generator = await openLoop({
      ratePerSecond: perSecond,
      durationMs,
      fire: (i) => void publisher.publish(Topics.authSuccess, authSuccess(i), { qos: 1 }),
    });
    const publishedMs = monoMs() - began;
    const cpu = process.cpuUsage(cpuBefore);
    const lastPublish = monoMs();
    let stored = await redis.xlen(stream);
    while (stored < generator.fired && monoMs() - lastPublish < 10_000) {
      await sleep(20);
      stored = await redis.xlen(stream);
    }
    const tailMs = monoMs() - lastPublish;
    await worker.request('halt');
    await worker.request('forget');

    const delays = await storeDelays(redis, stream);
    const delayMs = delaysByTenth(delays, (d) => d.storedMs);
    const receiveDelayMs = delaysByTenth(delays, (d) => d.receivedMs);
    const growthMsPerSecond = slopePerSecond(delayMs, durationMs / 10);
    return {
      offeredPerSecond: perSecond,
      publishedPerSecond: (generator.fired * 1000) / publishedMs,
      generatorP99LagMs: generator.p99LagMs,
      generatorCpuMicros: (cpu.user + cpu.system) / generator.fired,
      delayMs,
      receiveDelayMs,
      growthMsPerSecond,
      tailMs,
      stored,
      published: generator.fired,
      growing: !(growthMsPerSecond <= GROWING_MS_PER_SECOND) || stored < generator.fired,
    };
  } finally {
    await publisher.endAsync();
    redis.disconnect();
    await worker.stop();
  }
}

/** Each stored login's publish time and how long it took to be received and stored. */
async function storeDelays(redis: Redis, stream: string): Promise<Delay[]> {
  const delays: Delay[] = [];
  for (let from = '-'; ; ) {
    const entries = await redis.xrange(stream, from, '+', 'COUNT', 5000);
    for (const [id, fields] of entries) {
      const delay = delayOfEntry(id, fields, Topics.authSuccess);
      if (delay !== undefined) delays.push(delay);
    }
    if (entries.length < 5000) return delays;
    from = `(${entries.at(-1)![0]}`;
  }
}

/**
 * Records a second the monitor stores in a Redis Stream, against raw pipelined XADDs of the
 * same records; then whether its backlog grows when offered 80 % of that rate, and at the
 * broker's full rate (a bare subscriber draining the same backlog).
 */
export const monitorIngest: Scenario = {
  name: 'monitor ingest',
  async run(context: BenchContext): Promise<ScenarioResult> {
    // A drain of 8,000 took some 0.2 s from a fresh process, most of it before the JIT had
    // the hot paths, for either side: 40,000 reads the rate each keeps up (0.68× and 0.87×
    // in the same quarter hour here, BENCHMARKS.md).
    const count = context.quick ? 1000 : 40_000;
    const rounds = context.quick ? 1 : 2;
    const backlogMs = context.quick ? 1000 : 5000;
    const broker = await startBenchBroker();
    const redis = await startRedis();
    const servers = {
      broker: pidOfServer(broker.dir),
      redis: pidOfServer(`redis-server 127.0.0.1:${redis.port}`),
    };
    const drains: Record<string, Drain[]> = { product: [], baseline: [], broker: [] };
    try {
      for (let round = 0; round < rounds; round++) {
        drains.baseline!.push(await drainXadd(redis.url, count, `xadd-${round}`, servers));
        drains.product!.push(
          await drainMonitor('product', broker.url, redis.url, count, `monitor-${round}`, servers),
        );
        drains.broker!.push(
          await drainMonitor('sink', broker.url, redis.url, count, `sink-${round}`, servers),
        );
        context.log(
          `monitor round ${round}: ${['baseline', 'product', 'broker']
            .map((k) => `${k} ${rate(drains[k]!.at(-1)!).toFixed(0)}/s`)
            .join(', ')}`,
        );
      }
      const product = median(drains.product!.map(rate));
      const baseline = median(drains.baseline!.map(rate));
      const brokerRate = median(drains.broker!.map(rate));
      const at80 = await backlogAt(
        Math.round(product * 0.8),
        backlogMs,
        broker.url,
        redis.url,
        'lag-80',
      );
      const atBroker = await backlogAt(
        Math.round(brokerRate),
        backlogMs,
        broker.url,
        redis.url,
        'lag-full',
      );
      for (const [name, run] of [['80 %', at80], ["the broker's rate", atBroker]] as const) {
        const delays = run.delayMs.map((ms) => ms.toFixed(0)).join(' ');
        const received = run.receiveDelayMs.map((ms) => ms.toFixed(0)).join(' ');
        const generatorCpu = `generator ${run.generatorCpuMicros.toFixed(1)} µs a message`;
        const reached = `${run.publishedPerSecond.toFixed(0)}/s reached, ${generatorCpu}`;
        context.log(`monitor backlog at ${name}: ${reached}; by tenth, ms to stored: ${delays}`);
        context.log(`monitor backlog at ${name}: by tenth, ms to received: ${received}`);
      }

      const perRecord = (d: Drain, ms: number) => (ms * 1000) / d.handled;
      const cpuFigure = (whose: string, ms: (d: Drain) => number) =>
        figure({
          scenario: 'monitor ingest',
          measure: `CPU per record, ${whose}`,
          unit: 'µs',
          product: median(drains.product!.map((d) => perRecord(d, ms(d)))),
          baseline: median(drains.baseline!.map((d) => perRecord(d, ms(d)))),
          baselineName: 'the XADD writer',
        });
      const backlogFigure = (run: Backlog, offered: string, target: string) => {
        const first = fmt(run.delayMs[0]!);
        const last = fmt(run.delayMs.at(-1)!);
        const late = run.published - run.stored;
        const lost = late > 0 ? `, ${late} not stored 10 s after the last publish` : '';
        return figure({
          scenario: 'monitor ingest',
          measure: `store delay growth, offered ${offered}`,
          unit: 'ms/s',
          product: run.growthMsPerSecond,
          target,
          // Unknown is not kept up: a run whose clock stepped shows no slope, and is not met.
          meets: () => !run.growing,
          note: Number.isNaN(run.growthMsPerSecond)
            ? `${fmt(run.publishedPerSecond)}/s reached; the wall clock stepped: unreadable`
            : `${fmt(run.publishedPerSecond)}/s reached, delay ${first} → ${last} ms${lost}`,
        });
      };
      const figures: Figure[] = [
        figure({
          scenario: 'monitor ingest',
          measure: 'records/s stored in Redis',
          unit: 'rec/s',
          product,
          baseline,
          baselineName: 'ioredis XADD, pipelined batches of 100',
          target: '≥ 0.8×',
          meets: (r) => r >= 0.8,
        }),
        cpuFigure('the draining process', (d) => d.cpuMs),
        cpuFigure('all processes: the drain, the broker, Redis', (d) => {
          return d.cpuMs + d.brokerCpuMs + d.redisCpuMs;
        }),
        cpuFigure('Redis', (d) => d.redisCpuMs),
        figure({
          scenario: 'monitor ingest',
          measure: 'CPU per message taken, the monitor',
          unit: 'µs',
          product: median(drains.product!.map((d) => perRecord(d, d.cpuMs))),
          baseline: median(drains.broker!.map((d) => perRecord(d, d.cpuMs))),
          baselineName: 'a bare mqtt.js subscriber',
        }),
        figure({
          scenario: 'monitor ingest',
          measure: 'broker CPU per message delivered, to the monitor',
          unit: 'µs',
          product: median(drains.product!.map((d) => perRecord(d, d.brokerCpuMs))),
          baseline: median(drains.broker!.map((d) => perRecord(d, d.brokerCpuMs))),
          baselineName: 'to a bare subscriber',
        }),
        backlogFigure(at80, `80 % (${at80.offeredPerSecond}/s)`, 'no growing lag'),
        backlogFigure(
          atBroker,
          `the broker's full rate (${atBroker.offeredPerSecond}/s, a bare subscriber's)`,
          'keeps up',
        ),
      ];
      return { figures, details: { drains, backlogAt80: at80, backlogAtBrokerRate: atBroker } };
    } finally {
      await Promise.allSettled([broker.stop(), redis.stop()]);
    }
  },
};
