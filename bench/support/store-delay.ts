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
 * the run, and then the run says nothing and every tenth is NaN. Both delays are looked at,
 * whichever is asked for: Redis makes each entry id above the last, so after a step back its
 * stored times stand still until the clock catches up, and only the receive times go below
 * zero. A tenth in which nothing was published is NaN too. The tenths span the earliest and
 * the latest publish, not the stream's first and last entry: a copy delivered again comes
 * after entries published later.
 */
export function delaysByTenth(delays: readonly Delay[], ms: (d: Delay) => number): number[] {
  const stepped = (d: Delay) => d.receivedMs < -5 || d.storedMs < -5 || ms(d) < -5;
  if (delays.length === 0 || delays.some(stepped)) return Array(10).fill(Number.NaN);
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const d of delays) {
    first = Math.min(first, d.publishedAt);
    last = Math.max(last, d.publishedAt);
  }
  const span = last - first + 1;
  const tenths: number[][] = Array.from({ length: 10 }, () => []);
  for (const d of delays) tenths[Math.floor(((d.publishedAt - first) * 10) / span)]!.push(ms(d));
  return tenths.map(median);
}

/**
 * The least-squares slope of evenly spaced values, per second, over those that are known (a
 * tenth with no publish says nothing of the others); NaN with fewer than two known.
 */
export function slopePerSecond(values: readonly number[], stepMs: number): number {
  const known = values.flatMap((v, i) => (Number.isFinite(v) ? [[i, v] as const] : []));
  if (known.length < 2) return Number.NaN;
  const n = known.length;
  const meanX = known.reduce((a, [x]) => a + x, 0) / n;
  const meanY = known.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of known) {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  }
  return (num / den) * (1000 / stepMs);
}
