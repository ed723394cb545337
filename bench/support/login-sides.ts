import type { BenchContext } from './scenario.ts';
import { buildAll } from './bundles.ts';
import { pidOf, processCpuMs, type BenchChild } from './child.ts';
import type { Trace } from './login-tap.ts';
import { startClient, startDummyApp, startFloor, startGateway, sourceBlock } from './stacks.ts';
import { BENCH_PASSWORD, writeUsersFile } from './users-file.ts';

/** What one open-loop run of the load generator reports. */
export interface Run {
  latencies: number[];
  responses: number[];
  sent: number;
  lost: number;
  exhausted: number;
  refused: number;
  failed: number;
  lag: { p99LagMs: number; maxLagMs: number };
  traces: Trace[];
}

/** One system under login load: its idle holder, its load generator, its processes. */
export interface Side {
  name: 'product' | 'floor';
  idle: BenchChild;
  load: BenchChild;
  /** The processes a login runs through, by name, whose CPU time each run reads. */
  processes: Record<string, number>;
}

/** CPU ms each process of a side used over runs, and the logins they carried. */
export type CpuTally = { logins: number; ms: Record<string, number> };

/** One open-loop run; with `cpu`, the CPU time of the side's processes is added to it. */
export async function runLoad(
  side: Side,
  rate: number,
  durationMs: number,
  trace = false,
  cpu?: CpuTally,
): Promise<Run> {
  const detail = { rate, durationMs, password: BENCH_PASSWORD, trace };
  const before = Object.entries(side.processes).map(
    ([name, pid]) => [name, processCpuMs(pid)] as const,
  );
  const run = (await side.load.request('run', detail, durationMs + 60_000)) as unknown as Run;
  if (cpu) {
    cpu.logins += run.sent;
    for (const [name, ms] of before)
      cpu.ms[name] = (cpu.ms[name] ?? 0) + processCpuMs(side.processes[name]!) - ms;
  }
  return run;
}

/** µs of CPU per login in each process. */
export function cpuPerLogin(tally: CpuTally): Record<string, number> {
  return Object.fromEntries(
    Object.entries(tally.ms).map(([name, ms]) => [name, Math.round((ms * 1000) / tally.logins)]),
  );
}

/** Starts both systems on one broker, each with an idle holder and a prepared load generator. */
export async function startSides(
  context: BenchContext,
  brokerDir: string,
  brokerUrl: string,
  pool: number,
  children: BenchChild[],
): Promise<Side[]> {
  const builds = await buildAll();
  const usersFile = await writeUsersFile(context.tmp, pool);
  const [gateway, floor] = await Promise.all([
    startGateway(builds, brokerUrl, usersFile),
    startFloor(brokerUrl),
  ]);
  children.push(gateway.child, floor.child, floor.relay);
  const dummyApp = await startDummyApp(builds, brokerUrl, gateway.base);
  children.push(dummyApp);
  const mosquitto = pidOf(brokerDir) ?? -1;
  const serversOf = {
    floor: { 'floor server': floor.child.pid, 'floor relay': floor.relay.pid, mosquitto },
    product: { gateway: gateway.child.pid, 'dummy-app': dummyApp.pid, mosquitto },
  };

  const pairs = [
    ['floor', 'floor', floor.base],
    ['product', 'modt', gateway.base],
  ] as const;
  return Promise.all(
    pairs.map(async ([name, target, base]) => {
      const [idle, load] = await Promise.all([
        startClient('holder', target, base, sourceBlock()),
        startClient('load', target, base, sourceBlock()),
      ]);
      children.push(idle, load);
      const prepared = await load.request('prepare', { count: pool });
      if (prepared.failed) {
        const why = `${prepared.failed} browsers did not open: ${prepared.firstError}`;
        throw new Error(`${name}: ${why}`);
      }
      return { name, idle, load, processes: { ...serversOf[name], 'load generator': load.pid } };
    }),
  );
}

/** Brings each side's idle sessions up to `idle`. */
export async function holdIdle(
  context: BenchContext,
  sides: Side[],
  idle: number,
  held: Map<string, number>,
) {
  for (const side of sides) {
    const count = idle - (held.get(side.name) ?? 0);
    const opened = await side.idle.request('open', { count }, 600_000);
    held.set(side.name, opened.held as number);
    if (opened.failed) {
      context.log(
        `${side.name}: ${opened.failed} idle sessions did not open: ${opened.firstError}`,
      );
    }
  }
}
