import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Topics } from '../../protocol/index.ts';
import { startRedis } from '../../test/support/index.ts';
import { startBenchBroker } from '../support/broker.ts';
import { bundledServer } from '../support/bundles.ts';
import { BenchChild } from '../support/child.ts';
import { openLoop } from '../support/open-loop.ts';
import { authSuccess, connectBench, publishMany } from '../support/publisher.ts';
import { figure, type Figure } from '../support/report.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../support/scenario.ts';
import { median } from '../support/stats.ts';


interface Drain {
  ms: number;
  handled: number;
  cpuMs: number;
}

interface Backlog {
  offeredPerSecond: number;
  /** Published minus stored, sampled every half second. */
  lag: number[];
  /** How fast the lag grew over the second half of the run, records/s. */
  growthPerSecond: number;
  growing: boolean;
}

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
) {
  const worker = await startWorker(kind, brokerUrl, redisUrl, tag);
  try {
    const publisher = await connectBench(brokerUrl);
    await publishMany(publisher, Topics.authSuccess, count, authSuccess);
    await publisher.endAsync();
    const drain = (await worker.request('drain', {
      expected: count,
      timeoutMs: 90_000,
    })) as unknown as Drain;
    await worker.request('forget');
    return drain;
  } finally {
    await worker.stop();
  }
}

/** The same records written by ioredis alone, pipelined 100 at a time. */
async function drainXadd(redisUrl: string, count: number, tag: string): Promise<Drain> {
  const worker = BenchChild.start({
    name: 'xadd baseline',
    script: await bundledServer('xadd-worker'),
    args: ['--redis', redisUrl, '--stream', `modt:bench:${tag}`],
  });
  try {
    await worker.next('ready');
    return (await worker.request('write', { count, payload: authSuccess(0) })) as unknown as Drain;
  } finally {
    await worker.stop();
  }
}

/** Offers messages at a fixed rate to a live monitor and samples how far storing lags. */
async function backlogAt(
  perSecond: number,
  durationMs: number,
  brokerUrl: string,
  redisUrl: string,
  tag: string,
): Promise<Backlog> {
  const worker = await startWorker('product', brokerUrl, redisUrl, tag);
  const redis = new Redis(redisUrl);
  const publisher = await connectBench(brokerUrl);
  try {
    await worker.request('start');
    let acked = 0;
    const lag: number[] = [];
    const sampling = (async () => {
      for (let t = 0; t < durationMs; t += 500) {
        await sleep(500);
        lag.push(acked - (await redis.xlen(`modt:bench:${tag}`)));
      }
    })();
    await openLoop({
      ratePerSecond: perSecond,
      durationMs,
      fire: (i) =>
        void publisher
          .publishAsync(Topics.authSuccess, authSuccess(i), { qos: 1 })
          .then(() => acked++),
    });
    await sampling;
    await worker.request('halt');
    await worker.request('forget');
    const half = lag.slice(Math.floor(lag.length / 2));
    const growthPerSecond =
      ((half[half.length - 1]! - half[0]!) * 2) / Math.max(1, half.length - 1);
    return {
      offeredPerSecond: perSecond,
      lag,
      growthPerSecond,
      growing: growthPerSecond > 0.02 * perSecond,
    };
  } finally {
    await publisher.endAsync();
    redis.disconnect();
    await worker.stop();
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
    const drains: Record<string, Drain[]> = { product: [], baseline: [], broker: [] };
    try {
      for (let round = 0; round < rounds; round++) {
        drains.baseline!.push(await drainXadd(redis.url, count, `xadd-${round}`));
        drains.product!.push(
          await drainMonitor('product', broker.url, redis.url, count, `monitor-${round}`),
        );
        drains.broker!.push(
          await drainMonitor('sink', broker.url, redis.url, count, `sink-${round}`),
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
      context.log(`monitor backlog at 80 %: ${at80.lag.join(' ')}`);
      context.log(`monitor backlog at the broker's rate: ${atBroker.lag.join(' ')}`);

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
        figure({
          scenario: 'monitor ingest',
          measure: `backlog growth offered 80 % (${at80.offeredPerSecond}/s)`,
          unit: 'rec/s',
          product: at80.growthPerSecond,
          target: 'no growing lag',
          meets: () => !at80.growing,
        }),
        figure({
          scenario: 'monitor ingest',
          measure: `backlog growth at the broker's full rate (${atBroker.offeredPerSecond}/s)`,
          unit: 'rec/s',
          product: atBroker.growthPerSecond,
          baseline: brokerRate,
          baselineName: 'broker → bare subscriber rate',
          target: 'keeps up',
          meets: () => !atBroker.growing,
        }),
      ];
      return { figures, details: { drains, backlogAt80: at80, backlogAtBrokerRate: atBroker } };
    } finally {
      await Promise.allSettled([broker.stop(), redis.stop()]);
    }
  },
};
