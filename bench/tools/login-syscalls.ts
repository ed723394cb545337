import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchBroker } from '../support/broker.ts';
import { stopAll, type BenchChild } from '../support/child.ts';
import { runLoad, startSides, type Side } from '../support/login-sides.ts';

/**
 * System calls per login in each process of the login path, MoDT's and the floor's, counted
 * by `strace -c -f` attached to each for one open-loop run. strace slows what it watches, so
 * the counts are the figures, not its times. On a virtual machine where a system call or a
 * wake-up costs tens of µs, these counts are most of what sets the CPU per login.
 *
 *   node --import tsx bench/tools/login-syscalls.ts [--rate 1000] [--ms 4000]
 */
const { values } = parseArgs({
  options: { rate: { type: 'string', default: '1000' }, ms: { type: 'string', default: '4000' } },
});
const rate = Number(values.rate);
const durationMs = Number(values.ms);

/** `strace -c` output as calls by system call name. */
function callsOf(summary: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const line of summary.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const name = fields.at(-1)!;
    if (fields.length < 5 || !/^\d/.test(fields[0]!) || name === 'total') continue;
    calls.set(name, Number(fields[3]));
  }
  return calls;
}

async function countSide(side: Side, dir: string): Promise<Record<string, Map<string, number>>> {
  const watched: [string, ChildProcess, string][] = [];
  for (const [name, pid] of Object.entries(side.processes)) {
    if (name === 'load generator') continue;
    const out = join(dir, `${side.name}-${name.replace(/\W+/g, '-')}.txt`);
    const strace = spawn('strace', ['-c', '-f', '-o', out, '-p', String(pid)], {
      stdio: 'ignore',
    });
    watched.push([name, strace, out]);
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const run = await runLoad(side, rate, durationMs);
  const counts: Record<string, Map<string, number>> = {};
  for (const [name, strace, out] of watched) {
    const exited = new Promise((resolve) => strace.once('exit', resolve));
    strace.kill('SIGINT');
    await exited;
    const perLogin = new Map<string, number>();
    for (const [call, n] of callsOf(readFileSync(out, 'utf8'))) perLogin.set(call, n / run.sent);
    counts[name] = perLogin;
  }
  return counts;
}

function print(sideName: string, counts: Record<string, Map<string, number>>): void {
  for (const [name, calls] of Object.entries(counts)) {
    const total = [...calls.values()].reduce((a, b) => a + b, 0);
    const top = [...calls]
      .sort((a, b) => b[1] - a[1])
      .filter(([, n]) => n >= 0.05)
      .map(([call, n]) => `${call} ${n.toFixed(2)}`);
    console.log(`${sideName} / ${name}: ${total.toFixed(1)} a login: ${top.join(', ')}`);
  }
}

const broker = await startBenchBroker();
const children: BenchChild[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'modt-syscalls-'));
const context = { quick: false, tmp, fileLimit: 20_000, log: (line: string) => console.log(line) };
try {
  const sides = await startSides(context, broker.dir, broker.url, 1500, children);
  for (const side of sides) await runLoad(side, rate, 2000);
  for (const side of sides) print(side.name, await countSide(side, tmp));
} finally {
  await stopAll(children);
  await broker.stop();
  rmSync(tmp, { recursive: true, force: true });
}
