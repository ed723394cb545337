import type { Figure } from './report.ts';

/** What every scenario is given: the run's mode and a place for its files. */
export interface BenchContext {
  /** `--quick`: small counts and short runs, to keep the bench from rotting in CI. */
  quick: boolean;
  /** A temporary folder of this run, removed at the end. */
  tmp: string;
  /** The open-file limit every child inherits; session counts are scaled to it. */
  fileLimit: number;
  /** Progress lines on stderr; the figures go to the report. */
  log(line: string): void;
}

export interface ScenarioResult {
  figures: Figure[];
  /** What the figures say about where time goes, for BENCHMARKS.md. */
  details: Record<string, unknown>;
}

export interface Scenario {
  name: string;
  run(context: BenchContext): Promise<ScenarioResult>;
}
