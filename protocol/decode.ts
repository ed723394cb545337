import type { Static, TSchema } from '@sinclair/typebox';
import { Errors } from '@sinclair/typebox/errors';
import { ErrorCodes, modtError, type ModtError } from './errors.ts';
import { checkJsonShape } from './json-shape.ts';
import { checkerOf } from './schemas.ts';

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: ModtError };

/** The default limit on one payload, in bytes; a unit may set its own. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

// Decodes and checks the UTF-8 in one native call: malformed bytes throw instead of becoming
// U+FFFD, and a byte-order mark would stay in the text instead of being dropped.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads bytes as MoDT's strict JSON (PROTOCOL.md, "Rules every unit keeps"): UTF-8 without
 * a byte-order mark, text that `JSON.parse` takes, no key twice in one object, no
 * `__proto__`/`constructor`/`prototype` key, nesting at most MAX_DEPTH deep, and no lone
 * surrogate in any string.
 * One rule for every unit: anything else is refused, never repaired.
 */
export function decodeJson(
  bytes: Uint8Array,
  maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): Decoded<unknown> {
  // `length`, not `byteLength`: the same for bytes, and on a Buffer some 15 ns cheaper to read.
  if (bytes.length > maxPayloadBytes) {
    const message = `payload of ${bytes.length} bytes, expected at most ${maxPayloadBytes}`;
    return fail(ErrorCodes.PAYLOAD_TOO_LARGE, message);
  }

  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return fail(ErrorCodes.PAYLOAD_BOM, 'payload starts with a UTF-8 byte-order mark');
  }

  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return fail(ErrorCodes.PAYLOAD_NOT_UTF8, 'payload is not valid UTF-8');
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(
      ErrorCodes.PAYLOAD_NOT_JSON,
      `payload is not strict JSON: ${(err as Error).message}`,
    );
  }

  const shape = checkJsonShape(text, value);
  if (shape) return { ok: false, error: shape };

  return { ok: true, value };
}

/** Strict JSON that also meets a schema; the message names the first key that does not. */
export function decodePayload<T extends TSchema>(
  bytes: Uint8Array,
  schema: T,
  maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): Decoded<Static<T>> {
  // TODO(perf): app/ready is still about 1.3-1.4x JSON.parse alone, over strict input's 1.3x
  // (BENCHMARKS.md). Past the parse, about half of it is the check's two patterns, UUID and URL,
  // some 35-40 ns each on a fresh string (8 of them V8 recording the last match), the rest the
  // shape walk (~20 ns) and the strict decoding (~10 ns): no cheaper equivalent was found.
  const json = decodeJson(bytes, maxPayloadBytes);
  if (!json.ok || checkerOf(schema).Check(json.value)) return json as Decoded<Static<T>>;
  return { ok: false, error: schemaError(json.value, schema) };
}

/** Checks an already parsed value against a schema. */
export function checkValue<T extends TSchema>(value: unknown, schema: T): Decoded<Static<T>> {
  if (checkerOf(schema).Check(value)) return { ok: true, value };
  return { ok: false, error: schemaError(value, schema) };
}

/** What the schema itself says of a value its check refused: the first key it does not meet. */
function schemaError(value: unknown, schema: TSchema): ModtError {
  const first = Errors(schema, value).First();
  const where = first?.path ? first.path.slice(1) : 'payload';
  const got = first === undefined ? '' : `, got ${describe(first.value)}`;
  const message = `${where}: ${first?.message ?? 'does not match the schema'}${got}`;
  return modtError(ErrorCodes.PAYLOAD_INVALID, message);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fail(code: ModtError['code'], message: string): { ok: false; error: ModtError } {
  return { ok: false, error: modtError(code, message) };
}
