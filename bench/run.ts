import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './support/child.ts';
import { describeMachine, raiseFileLimit } from './support/machine.ts';
import { markdownTable, type Figure } from './support/report.ts';
import type { BenchContext, Scenario } from './support/scenario.ts';
import { loginRedirect } from './scenarios/login-redirect.ts';
import { monitorIngest } from './scenarios/monitor-ingest.ts';
import { nagleGuard } from './scenarios/nagle-guard.ts';
import { routerThroughput } from './scenarios/router-throughput.ts';
import { sessionsHeld } from './scenarios/sessions-held.ts';
import { strictInput } from './scenarios/strict-input.ts';
import { targetedPushes } from './scenarios/targeted-pushes.ts';
import { unitStart } from './scenarios/unit-start.ts';

/** Cheapest and most telling first, so an interrupted run still says the most. */
const SCENARIOS: Scenario[] = [
  strictInput,
  unitStart,
  routerThroughput,
  monitorIngest,
  nagleGuard,
  loginRedirect,
  sessionsHeld,
  targetedPushes,
];

const FILE_LIMIT = 400_000;

/**
 * `npm run bench [-- --quick] [-- --only "router throughput,unit start"]`: every scenario
 * runs the product and its baseline in the same run and reports the ratio. It reports; it
 * never fails on a figure. It exits non-zero only when a scenario could not run at all.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } },
  });
  const only = values.only?.split(',').map((s) => s.trim());
  const chosen = only ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  if (chosen.length === 0) {
    const names = SCENARIOS.map((s) => `"${s.name}"`).join(', ');
    throw new Error(`--only: no scenario named ${values.only}; the scenarios are ${names}`);
  }

  const fileLimit = raiseFileLimit(FILE_LIMIT);
  const tmp = mkdtempSync(join(tmpdir(), 'modt-bench-'));
  const started = Date.now();
  const context: BenchContext = {
    quick: values.quick,
    tmp,
    fileLimit,
    log: (line) =>
      process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${line}\n`),
  };
  const machine = describeMachine();
  context.log(`bench on ${machine.cores} × ${machine.cpu}, load ${machine.loadAverage}`);

  const figures: Figure[] = [];
  const details: Record<string, unknown> = {};
  const failures: string[] = [];
  try {
    for (const scenario of chosen) {
      context.log(`— ${scenario.name}`);
      const began = Date.now();
      try {
        const result = await scenario.run(context);
        figures.push(...result.figures);
        details[scenario.name] = { ...result.details, seconds: (Date.now() - began) / 1000 };
      } catch (err) {
        failures.push(`${scenario.name}: ${(err as Error).stack ?? err}`);
        context.log(`${scenario.name} could not run: ${(err as Error).message}`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  const command = `npm run bench${values.quick ? ' -- --quick' : ''}`;
  const seconds = (Date.now() - started) / 1000;
  const result = {
    command,
    at: new Date().toISOString(),
    seconds,
    machine,
    loadAfter: describeMachine().loadAverage,
    figures,
    details,
    failures,
  };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const name = values.quick ? 'latest-quick' : only ? 'latest-partial' : 'latest';
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(result, null, 2)}\n`);

  console.log(`\n${command}: ${seconds.toFixed(0)} s on ${machine.cores} × ${machine.cpu}\n`);
  console.log(markdownTable(figures));
  for (const failure of failures) console.log(`\nnot run: ${failure}`);
  // Exiting, not waiting for the loop to empty: a scenario that failed half way may hold
  // sockets, and the exit handlers end every child the bench started.
  process.exit(failures.length > 0 ? 1 : 0);
}

await main();
