import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchChild } from '../support/child.ts';
import { startBenchBroker } from '../support/broker.ts';
import { monoMs } from '../support/clock.ts';
import { buildAll, type Bundle } from '../support/bundles.ts';
import { figure, type Figure } from '../support/report.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../support/scenario.ts';
import { median } from '../support/stats.ts';
import { writeUsersFile } from '../support/users-file.ts';

const READY = {
  unit: /"msg":"unit ready"/,
  gateway: /"msg":"gateway on the bus"/,
};

const START_CLOCK = join(import.meta.dirname, '../servers/start-clock.cjs');

/**
 * One start: ms from spawn to subscribed, split at node booted and bundle evaluated; and the
 * CPU time the process had by then, which a loaded machine stretches far less than the rest.
 */
interface StartTime {
  totalMs: number;
  bootMs: number;
  loadMs: number;
  connectMs: number;
  cpuMs: number;
}

/**
 * A process's time on a CPU so far, all its threads, in ms: from each thread's
 * /proc/<pid>/task/<tid>/schedstat, in ns; where there is none, /proc/<pid>/stat's 10 ms ticks.
 */
function onCpuMs(child: BenchChild): number {
  const tasks = `/proc/${child.pid}/task`;
  try {
    const ns = readdirSync(tasks).map((tid) => {
      return Number(readFileSync(`${tasks}/${tid}/schedstat`, 'utf8').split(' ')[0]);
    });
    return ns.reduce((sum, n) => sum + n, 0) / 1e6;
  } catch {
    return child.cpuMs();
  }
}

async function startTime(
  name: string,
  file: string,
  env: Record<string, string>,
): Promise<StartTime> {
  const began = monoMs();
  const child = BenchChild.start({ name, script: file, env, nodeFlags: ['-r', START_CLOCK] });
  try {
    await child.line(name === 'gateway' ? READY.gateway : READY.unit, 20_000);
    const ready = monoMs();
    const cpuMs = onCpuMs(child);
    const clock = await child.next('clock', 5000);
    const booted = clock.booted as number;
    const loaded = clock.loaded as number;
    return {
      totalMs: ready - began,
      bootMs: booted - began,
      loadMs: loaded - booted,
      connectMs: ready - loaded,
      cpuMs,
    };
  } finally {
    await child.stop();
  }
}

/** The packages a unit's bundle carries, each loaded alone in a fresh process from node_modules. */
const PACKAGES = ['mqtt', 'ioredis', 'pino', '@sinclair/typebox/compiler', 'mqtt-packet'];

function packageLoadMs(runs: number): Record<string, number> {
  const script = join(import.meta.dirname, '../servers/require-time.cjs');
  return Object.fromEntries(
    PACKAGES.map((name) => {
      const times = Array.from({ length: runs }, () => {
        const line = execFileSync(process.execPath, [script, name], { encoding: 'utf8' });
        return (JSON.parse(line) as { ms: number }).ms;
      });
      return [name, Math.round(median(times))];
    }),
  );
}

async function nodeItself(): Promise<number> {
  const began = performance.now();
  const child = BenchChild.start({
    name: 'node',
    script: join(import.meta.dirname, '../servers/empty.cjs'),
  });
  await child.line(/ready/);
  await child.stop();
  return performance.now() - began;
}

/**
 * Time from process start to subscribed, for every unit and the gateway as bundled by
 * build.mjs, against the same entry with its packages required from node_modules; and
 * each bundle's size, with what fills it (esbuild's metafile).
 */
export const unitStart: Scenario = {
  name: 'unit start',
  async run(context: BenchContext): Promise<ScenarioResult> {
    // Nine, not five: on a shared machine a start now and then waits long for a core.
    const runs = context.quick ? 1 : 9;
    const builds = await buildAll();
    const broker = await startBenchBroker();
    const usersFile = await writeUsersFile(context.tmp, 1);
    const figures: Figure[] = [];
    const details: Record<string, unknown> = {};
    try {
      const nodeMs: number[] = [];
      for (let i = 0; i < runs; i++) nodeMs.push(await nodeItself());
      details.nodeStartMs = median(nodeMs);
      details.packageLoadMs = packageLoadMs(context.quick ? 1 : 3);

      for (const bundled of builds.bundled) {
        const unbundled = builds.unbundled.find((b) => b.name === bundled.name)!;
        const times = { bundled: [] as StartTime[], unbundled: [] as StartTime[] };
        for (let i = 0; i < runs; i++) {
          for (const [kind, bundle] of order(i, bundled, unbundled)) {
            const env = {
              MODT_MQTT_URL: broker.url,
              MODT_CLIENT_ID: `bench-start-${bundle.name}-${i}-${kind}`,
              MODT_GATEWAY_CLIENT_ID: `bench-start-gateway-${i}-${kind}`,
              MODT_HISTORY_FILE: join(context.tmp, `start-${i}.jsonl`),
              MODT_USERS_FILE: usersFile,
              MODT_HOST: '127.0.0.1',
              PORT: '0',
            };
            times[kind].push(await startTime(bundle.name, bundle.file, env));
          }
        }
        const product = median(times.bundled.map((t) => t.totalMs));
        const baseline = median(times.unbundled.map((t) => t.totalMs));
        const shown = `${product.toFixed(0)} ms bundled, ${baseline.toFixed(0)} ms unbundled`;
        context.log(`unit start ${bundled.name}: ${shown}`);
        figures.push(
          figure({
            scenario: 'unit start',
            measure: `${bundled.name}: process start to subscribed, median of ${runs}`,
            unit: 'ms',
            product,
            baseline,
            baselineName: 'same entry, packages from node_modules',
            target: bundled.name === 'gateway' ? undefined : '≤ 150 ms',
            meets: bundled.name === 'gateway' ? undefined : (_r, p) => p <= 150,
          }),
        );
        figures.push(
          figure({
            scenario: 'unit start',
            measure: `${bundled.name}: CPU time, process start to subscribed, median of ${runs}`,
            unit: 'ms',
            product: median(times.bundled.map((t) => t.cpuMs)),
            baseline: median(times.unbundled.map((t) => t.cpuMs)),
            baselineName: 'same entry, packages from node_modules',
          }),
        );
        figures.push(
          figure({
            scenario: 'unit start',
            measure: `${bundled.name}: bundle size`,
            unit: 'KB',
            product: bundled.bytes / 1000,
            target: bundled.name === 'gateway' ? undefined : '≤ 400 KB',
            meets: bundled.name === 'gateway' ? undefined : (_r, p) => p <= 400,
          }),
        );
        details[bundled.name] = {
          startMs: { bundled: medians(times.bundled), unbundled: medians(times.unbundled) },
          bundleBytes: bundled.bytes,
          ownCodeBytesUnbundled: unbundled.bytes,
          bytesBySource: topSources(bundled),
        };
      }
    } finally {
      await broker.stop();
    }
    return { figures, details };
  },
};

/** Bundled first on even runs, unbundled first on odd ones, so drift falls on both. */
function order(i: number, bundled: Bundle, unbundled: Bundle) {
  const pairs = [
    ['bundled', bundled],
    ['unbundled', unbundled],
  ] as const;
  return i % 2 === 0 ? pairs : [...pairs].reverse();
}

function medians(times: StartTime[]): StartTime {
  const of = (key: keyof StartTime) => Math.round(median(times.map((t) => t[key])));
  return {
    totalMs: of('totalMs'),
    bootMs: of('bootMs'),
    loadMs: of('loadMs'),
    connectMs: of('connectMs'),
    cpuMs: of('cpuMs'),
  };
}

function topSources(bundle: Bundle): Record<string, number> {
  const sorted = [...bundle.bySource].sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(sorted);
}
