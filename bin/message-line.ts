import {
  decodeJson,
  decodePayload,
  schemaByTopic,
  type ModtError,
} from '../protocol/index.ts';
import { topicMatches } from '../router/index.ts';

/** The keys that say what a message is about, in the order a line shows them. */
const KEY_FIELDS = [
  'user_id',
  'session_id',
  'role',
  'app_name',
  'redirect_url',
  'title',
  'latency_ms',
  'unit',
  'topic',
  'code',
  'reason',
];
const MAX_VALUE_CHARS = 120;
/** The pushes of one announcement (`modt/gateway/pushed`) a line names; the rest are counted. */
const MAX_LISTED_ITEMS = 3;
const MAX_EXCERPT_CHARS = 100;
const TOPIC_WIDTH = 20;

/**
 * A message checked as its readers would check it: the protocol's strict decoding and the
 * schema of its topic (`schemaByTopic`), or strict JSON alone on a topic without a schema.
 */
export function checkMessage(
  topic: string,
  bytes: Uint8Array,
): { value: unknown } | { refused: ModtError } {
  const schema = Object.entries(schemaByTopic).find(([filter]) => topicMatches(filter, topic))?.[1];
  const decoded = schema === undefined ? decodeJson(bytes) : decodePayload(bytes, schema);
  return decoded.ok ? { value: decoded.value } : { refused: decoded.error };
}

/**
 * One readable line for a message: time, topic, then its key fields (`user_id`,
 * `session_id`, `app_name`, `redirect_url`...) or, when a reader would drop it, why:
 * `refused MODT_ERR_...: reason`.
 */
export function messageLine(at: string, topic: string, bytes: Uint8Array, redelivered = false) {
  const checked = checkMessage(topic, bytes);
  const what = 'refused' in checked
    ? `refused ${checked.refused.code}: ${checked.refused.message}`
    : summarize(checked.value);
  return line(at, topic, what, redelivered);
}

/** A line of what a message says, unchecked: key fields if it is JSON, else its text. */
export function contentLine(at: string, topic: string, bytes: Uint8Array, redelivered = false) {
  const json = decodeJson(bytes, Number.POSITIVE_INFINITY);
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  return line(at, topic, json.ok ? summarize(json.value) : summarize(text), redelivered);
}

function line(at: string, topic: string, what: string, redelivered: boolean): string {
  const again = redelivered ? ' (redelivered)' : '';
  return `${at}  ${topic.padEnd(TOPIC_WIDTH)} ${what}${again}`;
}

/**
 * The key fields of a value as `key=value` pairs, or a short excerpt when it has none. A
 * list of pushes (`modt/gateway/pushed`) is counted, and its first few summed up each.
 */
export function summarize(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const fields = value as Record<string, unknown>;
    if (Array.isArray(fields.pushes)) return listed('pushes', fields.pushes);
    const keys = KEY_FIELDS.filter((key) => key in fields);
    const pairs = keys.map((key) => `${key}=${show(fields[key])}`);
    if (pairs.length > 0) return pairs.join(' ');
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_EXCERPT_CHARS ? `${text.slice(0, MAX_EXCERPT_CHARS - 3)}...` : text;
}

function listed(key: string, items: unknown[]): string {
  const shown = items.slice(0, MAX_LISTED_ITEMS).map((item) => `[${summarize(item)}]`);
  const more = items.length > MAX_LISTED_ITEMS ? ` +${items.length - MAX_LISTED_ITEMS} more` : '';
  return `${key}=${items.length} ${shown.join(' ')}${more}`;
}

function show(value: unknown): string {
  const raw = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  const cut = raw.length > MAX_VALUE_CHARS ? `${raw.slice(0, MAX_VALUE_CHARS - 3)}...` : raw;
  return /^[^\s"=]+$/.test(cut) ? cut : JSON.stringify(cut);
}
