import { median } from './stats.ts';

/** A loop body the timer calls many times; it returns something so nothing is optimised away. */
export type Body = () => unknown;

let sink: unknown;

/** ns per call of `body`, timed over `iterations` calls. */
function timeOnce(body: Body, iterations: number): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) sink = body();
  return Number(process.hrtime.bigint() - start) / iterations;
}

/** How many calls take about `ms`, found by doubling. */
function calibrate(body: Body, ms: number): number {
  let iterations = 1000;
  for (;;) {
    const ns = timeOnce(body, iterations) * iterations;
    if (ns > (ms * 1e6) / 4 || iterations > 1e8) return Math.ceil(iterations * ((ms * 1e6) / ns));
    iterations *= 2;
  }
}

/**
 * ns per call of each body, measured in alternating rounds (A, B, A, B, …) so that noise on
 * a shared machine falls on all of them; each is the median of its rounds.
 */
export function alternate(bodies: Record<string, Body>, rounds: number, msPerRound: number) {
  const names = Object.keys(bodies);
  const iterations = new Map(names.map((n) => [n, calibrate(bodies[n]!, msPerRound)]));
  const samples = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order)
      samples.get(name)!.push(timeOnce(bodies[name]!, iterations.get(name)!));
  }
  if (sink === Symbol.for('never')) console.log(sink);
  return Object.fromEntries(names.map((n) => [n, median(samples.get(n)!)])) as Record<
    string,
    number
  >;
}
