/** Summaries of samples: nearest-rank percentiles, medians and the ratios the bench reports. */

/** The p-th percentile (0–100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export function summarize(samples: readonly number[]): LatencySummary {
  let max = Number.NaN;
  for (const s of samples) if (!(s <= max)) max = s;
  return { count: samples.length, p50: percentile(samples, 50), p99: percentile(samples, 99), max };
}

/** Product over baseline, rounded for a table; `—` when either side is missing. */
export function ratio(product: number, baseline: number): number {
  if (!Number.isFinite(product) || !Number.isFinite(baseline) || baseline === 0) return Number.NaN;
  return product / baseline;
}

/** A number for a table: three significant digits, thousands separated. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 10 ** digits) return Math.round(value).toLocaleString('en-US');
  return Number(value.toPrecision(digits)).toLocaleString('en-US', { maximumFractionDigits: 6 });
}

export function fmtRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '—';
}
