import { fmt, fmtRatio, ratio } from './stats.ts';

/**
 * One figure of a scenario: the product's value and its baseline's from the same run, and
 * their ratio (product over baseline, in the measure's own unit). `target` says what the
 * issue asks of it; `met` is left out where the figure is context only.
 */
export interface Figure {
  scenario: string;
  measure: string;
  unit: string;
  product: number;
  baseline?: number;
  baselineName?: string;
  ratio?: number;
  target?: string;
  met?: boolean;
  note?: string;
}

export interface FigureInput extends Omit<Figure, 'ratio' | 'met'> {
  /** Whether the figure meets its target, given the ratio and the product's value. */
  meets?: (ratio: number, product: number) => boolean;
}

export function figure(input: FigureInput): Figure {
  const { meets, ...rest } = input;
  const r = rest.baseline === undefined ? undefined : ratio(rest.product, rest.baseline);
  const out: Figure = { ...rest };
  if (r !== undefined) out.ratio = r;
  if (meets !== undefined) out.met = meets(r ?? Number.NaN, rest.product);
  return out;
}

/** The figures as one Markdown table, the way BENCHMARKS.md shows them. */
export function markdownTable(figures: readonly Figure[]): string {
  const head = '| scenario | measure | product | baseline | ratio | target | met |';
  const rule = '| --- | --- | --- | --- | --- | --- | --- |';
  const rows = figures.map((f) => {
    const product = `${fmt(f.product)} ${f.unit}`;
    const baseline =
      f.baseline === undefined ? '' : `${fmt(f.baseline)} ${f.unit} (${f.baselineName})`;
    const met = f.met === undefined ? '' : f.met ? 'yes' : '**no**';
    const measure = f.note ? `${f.measure} (${f.note})` : f.measure;
    const r = f.ratio === undefined ? '' : fmtRatio(f.ratio);
    const cells = [f.scenario, measure, product, baseline, r, f.target ?? '', met];
    return `| ${cells.join(' | ')} |`;
  });
  return [head, rule, ...rows].join('\n');
}
