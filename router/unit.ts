import type { Static, TSchema } from '@sinclair/typebox';
import type { HistoryRecord } from './history/record.ts';

/** A subscription that takes payloads as they came, bytes and all (the monitor's kind). */
export const RAW = 'raw' as const;

/** What a unit reads: each topic filter (MQTT wildcards allowed) with its schema, or RAW. */
export type Subscriptions = Readonly<Record<string, TSchema | typeof RAW>>;

type PayloadOf<S extends Subscriptions> = {
  [K in keyof S]: S[K] extends TSchema ? Static<S[K]> : Uint8Array;
}[keyof S];

/** Everything a pure handler may depend on, so that it is deterministic under test. */
export interface UnitContext<Settings extends Record<string, string> = Record<string, string>> {
  /** The unit's name. */
  unit: string;
  /** When the router received the message. */
  now: Date;
  /** The unit's settings, read once at start from the environment. */
  settings: Readonly<Settings>;
  /**
   * Whether the broker marked this delivery as a possible repeat (the MQTT DUP flag): a
   * message not acknowledged before a reconnect comes again (at-least-once).
   */
  redelivered: boolean;
}

/** A message for the router to publish: topic, a JSON-serialisable payload, QoS, retain. */
export interface PublishOutput {
  kind: 'publish';
  topic: string;
  payload: unknown;
  qos: 0 | 1 | 2;
  retain: boolean;
}

/** A record for the router to append to the history store. */
export interface RecordOutput {
  kind: 'record';
  record: HistoryRecord;
}

export type Output = PublishOutput | RecordOutput;

export interface UnitDefinition<
  S extends Subscriptions = Subscriptions,
  Settings extends Record<string, string> = Record<string, string>,
> {
  /** Lowercase kebab-case; names the unit's client id, bundle, service and log lines. */
  name: string;
  subscribe: S;
  /** The topics the unit may publish to; an output to any other is refused. */
  publishes: readonly string[];
  /** Whether the unit returns records, and so needs the history store. */
  records?: boolean;
  /** Defaults of the unit's settings; each is read from `MODT_<NAME_IN_SNAKE_CASE>`. */
  settings?: Settings;
  handle(topic: string, payload: PayloadOf<S>, context: UnitContext<Settings>): Output[];
}

/**
 * Any unit, whatever its subscriptions and settings: what the runtime takes. (A unit's
 * handler is typed by its own schemas, so no one narrower type fits them all.)
 */
export type AnyUnit = UnitDefinition<any, any>;

/** Declares a unit. The default export of each file in `functions/` is one. */
export function defineUnit<S extends Subscriptions, Settings extends Record<string, string>>(
  unit: UnitDefinition<S, Settings>,
): UnitDefinition<S, Settings> {
  return unit;
}

export function publish(
  topic: string,
  payload: unknown,
  options: { qos?: 0 | 1 | 2; retain?: boolean } = {},
): PublishOutput {
  return { kind: 'publish', topic, payload, qos: options.qos ?? 1, retain: options.retain ?? false };
}

export function record(entry: HistoryRecord): RecordOutput {
  return { kind: 'record', record: entry };
}
