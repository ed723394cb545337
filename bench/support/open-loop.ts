import { setTimeout as sleep } from 'node:timers/promises';
import { monoMs } from './clock.ts';

export interface OpenLoop {
  ratePerSecond: number;
  durationMs: number;
  /** Starts event `i`, due at `dueMs` (a monoMs() time); never awaited. */
  fire(i: number, dueMs: number): void;
}

/** How far behind its schedule the generator itself ran: it must stay small for a fair run. */
export interface GeneratorLag {
  fired: number;
  p99LagMs: number;
  maxLagMs: number;
}

/**
 * Fires events at a fixed rate whatever becomes of them: a slow system shows as latency
 * measured from each event's due time, not as a quietly lower rate (no coordinated
 * omission). Bounded by `durationMs`.
 */
export async function openLoop(loop: OpenLoop): Promise<GeneratorLag> {
  const total = Math.round((loop.ratePerSecond * loop.durationMs) / 1000);
  const intervalMs = 1000 / loop.ratePerSecond;
  const start = monoMs();
  const lags: number[] = [];
  let next = 0;
  while (next < total) {
    const now = monoMs();
    const due = Math.min(total, Math.floor((now - start) / intervalMs) + 1);
    for (; next < due; next++) {
      const dueMs = start + next * intervalMs;
      lags.push(now - dueMs);
      loop.fire(next, dueMs);
    }
    await sleep(Math.max(0, Math.min(1, start + next * intervalMs - monoMs())));
  }
  lags.sort((a, b) => a - b);
  const p99 = lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))] ?? 0;
  return { fired: total, p99LagMs: p99, maxLagMs: lags[lags.length - 1] ?? 0 };
}
