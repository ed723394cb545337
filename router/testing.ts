import type { TSchema } from '@sinclair/typebox';
import { DEFAULT_MAX_PAYLOAD_BYTES, decodePayload, type ModtError } from '../protocol/index.ts';
import { topicMatches } from './topic-filter.ts';
import { RAW, type AnyUnit, type Output, type Subscriptions, type UnitContext } from './unit.ts';

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

/**
 * Gives a unit a message the way the router does, bytes and all: refused by the unit's
 * schema like on the bus, or handed to the handler with a fixed context. For unit authors'
 * tests: `deliver(unit, topic, payload)` and assert on `outputs` or `refused.code`.
 */
export function deliver(
  unit: AnyUnit,
  topic: string,
  payload: Uint8Array | string | object,
  overrides: Partial<UnitContext> = {},
): { outputs: Output[]; refused?: undefined } | { outputs?: undefined; refused: ModtError } {
  const bytes = payload instanceof Uint8Array ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const entry = Object.entries(unit.subscribe as Subscriptions).find(([filter]) => topicMatches(filter, topic));
  if (entry === undefined) throw new Error(`${unit.name} does not subscribe to ${topic}`);

  const schema = entry[1];
  let value: unknown = bytes;
  if (schema !== RAW) {
    const decoded = decodePayload(bytes, schema as TSchema, DEFAULT_MAX_PAYLOAD_BYTES);
    if (!decoded.ok) return { refused: decoded.error };
    value = decoded.value;
  }
  return { outputs: unit.handle(topic, value as never, contextFor(unit, overrides)) };
}
