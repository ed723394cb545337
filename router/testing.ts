import type { TSchema } from '@sinclair/typebox';
import { DEFAULT_MAX_PAYLOAD_BYTES, decodePayload, type ModtError } from '../protocol/index.ts';
import { callHandler } from './call-handler.ts';
import { prepareOutput } from './prepare-output.ts';
import { topicMatches } from './topic-filter.ts';
import { RAW, type AnyUnit, type Output, type Subscriptions, type UnitContext } from './unit.ts';
import { DEFAULT_MAX_PACKET_BYTES } from './unit-runner.ts';

/** A fixed context for calling a handler in a test: the clock stands still. */
export function contextFor<Settings extends Record<string, string>>(
  unit: { name: string; settings?: Settings },
  overrides: Partial<UnitContext<Settings>> = {},
): UnitContext<Settings> {
  return {
    unit: unit.name,
    now: new Date('2026-01-01T00:00:00.000Z'),
    settings: { ...(unit.settings ?? ({} as Settings)) },
    redelivered: false,
    ...overrides,
  };
}

/** An output the router would not send, and why. */
export interface DroppedOutput {
  output: Output;
  error: ModtError;
}

/** What `deliver` found: what the router would do with one message. */
export type Delivery =
  | { outputs: Output[]; dropped: DroppedOutput[]; refused?: undefined }
  | { outputs?: undefined; dropped?: undefined; refused: ModtError };

/**
 * Gives a unit a message the way the router does, bytes and all, without a broker: refused
 * by the unit's schema like on the bus (or because its handler threw or returned no list of
 * outputs), or handled with a fixed context (`contextFor`, changed by `overrides`). Of what
 * the handler returned, `outputs` is what the router would publish and record, and
 * `dropped` what it would drop (an undeclared topic, a packet over the limit). Throws when
 * the unit does not subscribe to the topic: that is a mistake in the test.
 */
export function deliver(
  unit: AnyUnit,
  topic: string,
  payload: Uint8Array | string | object,
  overrides: Partial<UnitContext> = {},
): Delivery {
  const schema = subscriptionOf(unit, topic);
  if (schema === undefined) throw new Error(`${unit.name} does not subscribe to ${topic}`);

  const bytes = bytesOf(payload);
  let value: unknown = bytes;
  if (schema !== RAW) {
    const decoded = decodePayload(bytes, schema, DEFAULT_MAX_PAYLOAD_BYTES);
    if (!decoded.ok) return { refused: decoded.error };
    value = decoded.value;
  }

  const returned = callHandler(unit, topic, value, contextFor(unit, overrides));
  if (!Array.isArray(returned)) return { refused: returned };

  const outputs: Output[] = [];
  const dropped: DroppedOutput[] = [];
  for (const output of returned) {
    const prepared = output.kind === 'publish'
      ? prepareOutput(unit, output, DEFAULT_MAX_PACKET_BYTES)
      : undefined;
    if (prepared !== undefined && 'code' in prepared) dropped.push({ output, error: prepared });
    else outputs.push(output);
  }
  return { outputs, dropped };
}

/** The schema (or RAW) of the first subscription of `unit` that matches `topic`. */
export function subscriptionOf(unit: AnyUnit, topic: string): TSchema | typeof RAW | undefined {
  const entries = Object.entries(unit.subscribe as Subscriptions);
  return entries.find(([filter]) => topicMatches(filter, topic))?.[1];
}

function bytesOf(payload: Uint8Array | string | object): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  return Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
}
