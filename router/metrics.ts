/** Label names and values of one sample, such as `{ unit: 'dummy-app', code: '...' }`. */
export type Labels = Readonly<Record<string, string>>;

type Kind = 'counter' | 'gauge' | 'histogram';

/** Handler times, in seconds: a pure handler takes microseconds, a slow one milliseconds. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

interface Sample {
  labels: Labels;
  value: number;
}

abstract class Family {
  readonly name: string;
  readonly help: string;
  abstract readonly kind: Kind;
  protected samples = new Map<string, Sample>();

  constructor(name: string, help: string) {
    this.name = name;
    this.help = help;
  }

  protected sample(labels: Labels): Sample {
    const key = keyOf(labels);
    let sample = this.samples.get(key);
    if (sample === undefined) {
      sample = { labels, value: 0 };
      this.samples.set(key, sample);
    }
    return sample;
  }

  /** This family's lines of the text format, without its HELP and TYPE. */
  lines(): string[] {
    const line = (s: Sample) => `${this.name}${labelText(s.labels)} ${num(s.value)}`;
    return [...this.samples.values()].map(line);
  }
}

/** A count that only goes up: messages received, dropped, published. */
export class Counter extends Family {
  readonly kind = 'counter';

  inc(labels: Labels = {}, by = 1): void {
    this.sample(labels).value += by;
  }

  /** Copies in a total that another object keeps (a `stats` field), at scrape time. */
  mirror(labels: Labels, total: number): void {
    this.sample(labels).value = total;
  }
}

/** A value that goes up and down: sessions held, whether a unit is connected. */
export class Gauge extends Family {
  readonly kind = 'gauge';

  set(labels: Labels, value: number): void {
    this.sample(labels).value = value;
  }
}

interface Observations {
  labels: Labels;
  buckets: number[];
  sum: number;
  count: number;
}

/** Observations counted into buckets, with their sum: handler time. */
export class Histogram extends Family {
  readonly kind = 'histogram';
  readonly bounds: readonly number[];
  #observed = new Map<string, Observations>();

  constructor(name: string, help: string, bounds: readonly number[]) {
    super(name, help);
    this.bounds = [...bounds].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    const key = keyOf(labels);
    let seen = this.#observed.get(key);
    if (seen === undefined) {
      seen = { labels, buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.#observed.set(key, seen);
    }
    this.bounds.forEach((bound, i) => {
      if (value <= bound) seen.buckets[i]! += 1;
    });
    seen.sum += value;
    seen.count += 1;
  }

  override lines(): string[] {
    const lines: string[] = [];
    for (const { labels, buckets, sum, count } of this.#observed.values()) {
      this.bounds.forEach((bound, i) => {
        lines.push(`${this.name}_bucket${labelText({ ...labels, le: num(bound) })} ${buckets[i]}`);
      });
      lines.push(`${this.name}_bucket${labelText({ ...labels, le: '+Inf' })} ${count}`);
      lines.push(`${this.name}_sum${labelText(labels)} ${num(sum)}`);
      lines.push(`${this.name}_count${labelText(labels)} ${count}`);
    }
    return lines;
  }
}

/**
 * The metrics of one process, rendered in Prometheus' text exposition format (version
 * 0.0.4). Asking twice for one name gives the same family, so every unit of a stack counts
 * into one `modt_messages_received_total`, told apart by its `unit` label.
 */
export class MetricsRegistry {
  #families = new Map<string, Family>();
  #collectors: (() => void)[] = [];

  counter(name: string, help: string): Counter {
    return this.#family(name, 'counter', () => new Counter(name, help)) as Counter;
  }

  gauge(name: string, help: string): Gauge {
    return this.#family(name, 'gauge', () => new Gauge(name, help)) as Gauge;
  }

  histogram(name: string, help: string, bounds = DEFAULT_BUCKETS): Histogram {
    return this.#family(name, 'histogram', () => new Histogram(name, help, bounds)) as Histogram;
  }

  /** Runs `collect` before each render: for values kept elsewhere, copied in when scraped. */
  onCollect(collect: () => void): void {
    this.#collectors.push(collect);
  }

  /** The text a scrape of `/metrics` gets. */
  render(): string {
    for (const collect of this.#collectors) collect();
    const blocks: string[] = [];
    const families = [...this.#families.values()].sort((a, b) => a.name.localeCompare(b.name));
    for (const family of families) {
      const help = family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
      blocks.push(`# HELP ${family.name} ${help}`, `# TYPE ${family.name} ${family.kind}`);
      blocks.push(...family.lines());
    }
    return `${blocks.join('\n')}\n`;
  }

  #family(name: string, kind: Kind, make: () => Family): Family {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) {
      throw new Error(`metric name '${name}' is not valid`);
    }
    const known = this.#families.get(name);
    if (known !== undefined && known.kind !== kind) {
      throw new Error(`metric ${name} is a ${known.kind}, asked for as a ${kind}`);
    }
    if (known !== undefined) return known;
    const family = make();
    this.#families.set(name, family);
    return family;
  }
}

/** The content type of `render()`'s text, for the HTTP answer. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

function keyOf(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
}

function labelText(labels: Labels): string {
  const entries = Object.entries(labels);
  if (entries.length === 0) return '';
  const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${entries.map(([key, value]) => `${key}="${escape(value)}"`).join(',')}}`;
}

function num(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
