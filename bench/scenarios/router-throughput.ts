import { bundledServer } from '../support/bundles.ts';
import { BenchChild } from '../support/child.ts';
import { startBenchBroker } from '../support/broker.ts';
import { authSuccess, connectBench, publishMany } from '../support/publisher.ts';
import { figure, type Figure } from '../support/report.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../support/scenario.ts';
import { median } from '../support/stats.ts';
import { Topics } from '../../protocol/index.ts';


interface Drain {
  ms: number;
  handled: number;
  cpuMs: number;
}

/** One drain: a worker subscribes, the broker queues `perUnit` logins for each unit, it drains. */
async function drainOnce(
  brokerUrl: string,
  kind: string,
  units: number,
  perUnit: number,
  tag: string,
) {
  const worker = BenchChild.start({
    name: `unit-worker ${kind}`,
    script: await bundledServer('unit-worker'),
    args: [
      '--kind',
      kind,
      '--units',
      String(units),
      '--broker',
      brokerUrl,
      '--prefix',
      `bench-${tag}`,
    ],
  });
  try {
    await worker.next('ready');
    await worker.request('subscribe');
    const publisher = await connectBench(brokerUrl);
    // A first drain, not counted, so that the one measured runs on code the JIT has
    // compiled: from a fresh process a drain of 12,000 was mostly warm-up, and more so for
    // the side with more code (MoDT's), where its cost belongs to unit start.
    for (const measured of [false, true]) {
      await publishMany(publisher, Topics.authSuccess, perUnit, authSuccess);
      const drain = (await worker.request('drain', {
        expected: perUnit,
        timeoutMs: 60_000,
      })) as unknown as Drain;
      if (measured) {
        await publisher.endAsync();
        await worker.request('forget');
        return drain;
      }
    }
    throw new Error('unreachable');
  } finally {
    await worker.stop();
  }
}

/**
 * Messages a second through the dummy app (receive, strict decode, schema, handler, two
 * checked publishes, acknowledge) against a hand-written mqtt.js loop doing the same
 * publishes, at saturation: the broker holds a backlog and the units drain it. Also the
 * CPU time per message, and how both grow with the number of units in one process.
 */
export const routerThroughput: Scenario = {
  name: 'router throughput',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const unitCounts = context.quick ? [1] : [1, 4];
    const rounds = context.quick ? 1 : 2;
    const totalPerRun = context.quick ? 2000 : 12_000;
    const broker = await startBenchBroker();
    const figures: Figure[] = [];
    const details: Record<string, unknown> = {};
    try {
      for (const units of unitCounts) {
        const perUnit = Math.floor(totalPerRun / units);
        const drains: Record<string, Drain[]> = { product: [], baseline: [] };
        for (let round = 0; round < rounds; round++) {
          const kinds = round % 2 === 0 ? ['baseline', 'product'] : ['product', 'baseline'];
          for (const kind of kinds) {
            const drain = await drainOnce(
              broker.url,
              kind,
              units,
              perUnit,
              `${units}-${round}-${kind}`,
            );
            const { handled, ms, cpuMs } = drain;
            const took = `${ms.toFixed(0)} ms, cpu ${cpuMs.toFixed(0)} ms`;
            context.log(`router ${kind} ×${units}: ${handled} in ${took}`);
            drains[kind]!.push(drain);
          }
        }
        const rate = (d: Drain) => (d.handled * 1000) / d.ms;
        const cpuUs = (d: Drain) => (d.cpuMs * 1000) / d.handled;
        const of = (kind: string, f: (d: Drain) => number) => median(drains[kind]!.map(f));
        const where = `${units} unit${units > 1 ? 's' : ''} in one process`;
        figures.push(
          figure({
            scenario: 'router throughput',
            measure: `messages/s, ${where}`,
            unit: 'msg/s',
            product: of('product', rate),
            baseline: of('baseline', rate),
            baselineName: 'mqtt.js subscribe → JSON.parse → publish',
            target: units === 1 ? '≥ 0.9×' : undefined,
            meets: units === 1 ? (r) => r >= 0.9 : undefined,
          }),
        );
        figures.push(
          figure({
            scenario: 'router throughput',
            measure: `CPU per message, ${where}`,
            unit: 'µs',
            product: of('product', cpuUs),
            baseline: of('baseline', cpuUs),
            baselineName: 'the same loop',
            target: units === 1 ? '≤ 1.15×' : undefined,
            meets: units === 1 ? (r) => r <= 1.15 : undefined,
          }),
        );
        details[`units=${units}`] = drains;
      }
    } finally {
      await broker.stop();
    }
    return { figures, details };
  },
};
