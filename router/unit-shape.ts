import type { TSchema } from '@sinclair/typebox';
import { checkerOf } from '../protocol/index.ts';
import { RAW, type AnyUnit } from './unit.ts';
import { isValidFilter } from './topic-filter.ts';

/** Lowercase kebab-case: the unit's client id, bundle, image, service and broker account. */
const UNIT_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/**
 * Long enough for any unit, short enough that `modt-<name>-out`, its second client id, stays
 * within the 64 characters MODT_CLIENT_ID allows.
 */
export const MAX_UNIT_NAME_CHARS = 50;

/**
 * What keeps a unit's definition from running, in words that name the key; undefined for
 * one the runtime can run. Checked where a unit is loaded and where a runner is made, so a
 * filter the broker would refuse, say, stops start-up instead of failing each subscribe.
 */
export function unitShapeProblem(unit: AnyUnit): string | undefined {
  const { name, subscribe, publishes, records, settings, handle } = unit;
  if (typeof name !== 'string' || !UNIT_NAME.test(name) || name.length > MAX_UNIT_NAME_CHARS) {
    const limit = `at most ${MAX_UNIT_NAME_CHARS} characters`;
    return `name: expected lowercase kebab-case of ${limit}, got ${JSON.stringify(name)}`;
  }
  if (typeof handle !== 'function') return 'handle: expected a function';

  if (typeof subscribe !== 'object' || subscribe === null || Array.isArray(subscribe)) {
    return 'subscribe: expected an object of topic filters';
  }
  const filters = Object.entries(subscribe);
  if (filters.length === 0) return 'subscribe: expected at least one topic filter';
  for (const [filter, schema] of filters) {
    if (!isValidFilter(filter)) return `subscribe: '${filter}' is no MQTT topic filter`;
    // The runner finds a message's schema by matching its topic against the filter, which a
    // topic never matches with the `$share/<group>/` prefix kept: each would be acknowledged
    // unhandled.
    if (filter.startsWith('$share/')) {
      return `subscribe: '${filter}' is a shared subscription, which the runtime does not take`;
    }
    if (schema === RAW) continue;
    if (typeof schema !== 'object' || schema === null) {
      return `subscribe: '${filter}' expected a schema or RAW`;
    }
    const compiled = compileProblem(schema as TSchema);
    if (compiled !== undefined) {
      return `subscribe: '${filter}' expected a TypeBox schema or RAW: ${compiled}`;
    }
  }

  if (!Array.isArray(publishes)) return 'publishes: expected a list of topics or filters';
  for (const topic of publishes) {
    if (typeof topic !== 'string' || !isValidFilter(topic)) {
      return `publishes: ${JSON.stringify(topic)} is no MQTT topic or filter`;
    }
  }

  if (records !== undefined && typeof records !== 'boolean') {
    return 'records: expected true or false';
  }
  if (settings === undefined) return undefined;
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    return 'settings: expected an object of default strings';
  }
  for (const [key, value] of Object.entries(settings)) {
    if (typeof value !== 'string') return `settings: '${key}' expected a default string`;
  }
  return undefined;
}

/**
 * Why a schema cannot be compiled, or undefined. Compiled here, once, rather than at its first
 * message: a plain JSON Schema or an unknown kind throws there, and the message would be
 * failed and delivered again for ever.
 */
function compileProblem(schema: TSchema): string | undefined {
  try {
    checkerOf(schema);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
