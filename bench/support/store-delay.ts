import { median } from './stats.ts';

/** One stored record of a login: when it was published, and how long until received, stored. */
export interface Delay {
  publishedAt: number;
  receivedMs: number;
  storedMs: number;
}

/**
 * The delays of one stream entry of the monitor's: its id is when Redis stored it, its
 * `received_at` when the monitor took it, the login's `timestamp` when it was published.
 * Undefined for an entry that is not a login (the broker's drop count, say).
 */
export function delayOfEntry(id: string, fields: readonly string[], topic: string) {
  const field = (name: string) => fields[fields.indexOf(name) + 1];
  if (field('topic') !== topic) return undefined;
  const publishedAt = Date.parse(JSON.parse(field('payload')!).timestamp);
  const receivedMs = Date.parse(field('received_at')!) - publishedAt;
  const storedMs = Number(id.split('-')[0]) - publishedAt;
  return { publishedAt, receivedMs, storedMs } satisfies Delay;
}

/**
 * The median delay of each tenth of a run, by publish time. The times come from two
 * processes' wall clocks on one machine: a delay below -5 ms means the clock stepped under
 * the run, and then the run says nothing and every tenth is NaN.
 */
export function delaysByTenth(delays: readonly Delay[], ms: (d: Delay) => number): number[] {
  if (delays.length === 0 || delays.some((d) => ms(d) < -5)) return Array(10).fill(Number.NaN);
  const first = delays[0]!.publishedAt;
  const span = Math.max(1, delays.at(-1)!.publishedAt - first + 1);
  const tenths: number[][] = Array.from({ length: 10 }, () => []);
  for (const d of delays) tenths[Math.floor(((d.publishedAt - first) * 10) / span)]!.push(ms(d));
  return tenths.map(median);
}

/** The least-squares slope of evenly spaced values, per second; NaN if any is missing. */
export function slopePerSecond(values: readonly number[], stepMs: number): number {
  if (values.length < 2 || values.some((v) => !Number.isFinite(v))) return Number.NaN;
  const n = values.length;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - meanX) * (values[i]! - meanY);
    den += (i - meanX) ** 2;
  }
  return (num / den) * (1000 / stepMs);
}
