import { ErrorCodes, ModtFailure, Topics } from '../protocol/index.ts';
import {
  isValidFilter,
  topicMatches,
  type HistoryEntry,
  type HistoryStore,
} from '../router/index.ts';
import { positiveInt, text, type Options, type Parsed } from './command.ts';

/** Which records `modt history` and `modt replay` take. */
export interface HistoryQuery {
  /** Received at or after, in ms since the epoch. */
  since?: number;
  /** Received at or before. */
  until?: number;
  /** An MQTT topic filter, wildcards allowed. */
  topic?: string;
  /** Records that carry this `session_id`: a dead letter in its excerpt, text anywhere. */
  session?: string;
  /** Records of this `user_id`, and of the sessions of this user's logins. */
  user?: string;
  /** The newest this many of those that match. */
  limit: number;
}

/** The options of a query, shared by the commands that read the history. */
export const QUERY_OPTIONS: Options = {
  since: { type: 'string' },
  until: { type: 'string' },
  topic: { type: 'string' },
  session: { type: 'string' },
  user: { type: 'string' },
  limit: { type: 'string' },
};

/** The lines of `--help` that say the query options. */
export const QUERY_HELP = [
  '      --since TIME, --until TIME   received in that span (ISO 8601: 2026-12-03T10:00Z)',
  '      --topic FILTER               on topics that match an MQTT filter (modt/app/+)',
  '      --session ID                 carrying that session_id',
  "      --user ID                    of that user_id, with the sessions of that user's logins",
  '      --limit N                    the newest N of those that match',
].join('\n');

/**
 * How far back a query looks: the newest records of the store (the file store also reads at
 * most its last 4 MiB). TODO(perf): page back through the store past this, for old spans.
 */
export const SCAN_LIMIT = 100_000;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/** The query a command's options describe, or the message of the first bad one. */
export function readQuery(parsed: Parsed, defaultLimit: number): HistoryQuery | string {
  const query: HistoryQuery = { limit: defaultLimit };
  for (const name of ['since', 'until'] as const) {
    const raw = text(parsed, name);
    if (raw === undefined) continue;
    const ms = Date.parse(raw);
    if (!ISO_TIME.test(raw) || Number.isNaN(ms) || !isCalendarDay(raw)) {
      return `--${name}: expected an ISO 8601 time such as 2026-12-03T10:00:00Z, got '${raw}'`;
    }
    query[name] = ms;
  }

  const topic = text(parsed, 'topic');
  if (topic !== undefined && !isValidFilter(topic)) {
    return `--topic: expected an MQTT topic filter such as modt/app/+, got '${topic}'`;
  }
  for (const name of ['session', 'user'] as const) {
    if (text(parsed, name) === '') return `--${name}: expected an id, got ''`;
  }
  const limit = text(parsed, 'limit');
  if (limit !== undefined) {
    const value = positiveInt('--limit', limit);
    if (typeof value === 'string') return value;
    query.limit = value;
  }
  return { ...query, topic, session: text(parsed, 'session'), user: text(parsed, 'user') };
}

/** Whether the date of an ISO 8601 time is a day of its month: Date.parse takes 02-30. */
function isCalendarDay(raw: string): boolean {
  const [year, month, day] = raw.slice(0, 10).split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
}

/**
 * The records of a store that a query takes, oldest first. A store that cannot be read
 * (a Redis away, a file that is a folder) rejects with MODT_ERR_STORE_FAILED naming it.
 */
export async function queryHistory(
  store: HistoryStore,
  query: HistoryQuery,
): Promise<HistoryEntry[]> {
  const entries = await store.recent(SCAN_LIMIT).catch((err: Error) => {
    const message = `cannot read the history in ${store.location}: ${err.message}`;
    throw new ModtFailure(ErrorCodes.STORE_FAILED, message);
  });
  const sessions = query.user === undefined ? new Set<string>() : sessionsOf(entries, query.user);
  const matching = entries.filter((entry) => matches(entry, query, sessions));
  return matching.slice(-query.limit);
}

function matches(entry: HistoryEntry, query: HistoryQuery, userSessions: Set<string>): boolean {
  const at = Date.parse(entry.received_at);
  if (query.since !== undefined && !(at >= query.since)) return false;
  if (query.until !== undefined && !(at <= query.until)) return false;
  if (query.topic !== undefined && !topicMatches(query.topic, entry.topic)) return false;

  const fields = fieldsOf(entry);
  if (query.session !== undefined && !carries(entry, fields, query.session)) return false;
  if (query.user === undefined) return true;
  if (fields?.user_id === query.user) return true;
  return [...userSessions].some((session) => carries(entry, fields, session));
}

/** The session_ids of a user's logins, as the gateway announced them. */
function sessionsOf(entries: readonly HistoryEntry[], user: string): Set<string> {
  const sessions = new Set<string>();
  for (const entry of entries) {
    if (entry.topic !== Topics.authSuccess) continue;
    const fields = fieldsOf(entry);
    if (fields?.user_id === user && typeof fields.session_id === 'string') {
      sessions.add(fields.session_id);
    }
  }
  return sessions;
}

type Fields = Record<string, unknown>;

function carries(entry: HistoryEntry, fields: Fields | undefined, session: string): boolean {
  // A payload that is not JSON is searched as text: it may be why a login got no answer.
  if (fields === undefined) return entry.encoding === 'utf8' && entry.payload.includes(session);
  if (fields.session_id === session) return true;
  // The gateway announces the redirects it pushed in one message per window, a list.
  if (entry.topic === Topics.redirectPushed && Array.isArray(fields.pushes)) {
    return fields.pushes.some((push) => (push as Fields | null)?.session_id === session);
  }
  // A dead letter holds the refused message as an excerpt of its text.
  return entry.topic.startsWith('modt/dead/') && typeof fields.excerpt === 'string'
    && fields.excerpt.includes(session);
}

function fieldsOf(entry: HistoryEntry): Record<string, unknown> | undefined {
  if (!entry.json || entry.encoding !== 'utf8') return undefined;
  try {
    const value: unknown = JSON.parse(entry.payload);
    const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
    return isObject ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The bytes of a record's payload, as the monitor received them. */
export function bytesOf(entry: HistoryEntry): Buffer {
  return Buffer.from(entry.payload, entry.encoding === 'base64' ? 'base64' : 'utf8');
}
