import type { HistoryEntry, HistoryRecord } from './record.ts';

/**
 * Where the monitor's records go. Both implementations (Redis Stream, embedded file) keep
 * the same records and pass the same contract suite (`test/history-store.test.ts`).
 */
export interface HistoryStore {
  /** Stores records in order; resolves once all are stored, rejects if any is not. */
  append(records: readonly HistoryRecord[]): Promise<void>;
  /** The newest records, newest last, at most `limit`. */
  recent(limit: number): Promise<HistoryEntry[]>;
  /** The records stored before the one with id `beforeId`, newest last, at most `limit`. */
  older(beforeId: string, limit: number): Promise<HistoryEntry[]>;
  /**
   * Tells `listener` of every record stored after the one with id `afterId`, in order and
   * in batches, as they come, until stopped; `'0-0'` follows from the first record.
   */
  follow(afterId: string, listener: HistoryListener): HistoryFollow;
  close(): Promise<void>;
  /**
   * Loads and connects what the store needs ahead of its first command, for a store that
   * has such a step (Redis); without it the first command does it.
   */
  open?(): Promise<void>;
  /** Names where the records are, for log lines and the reader command. */
  readonly location: string;
}

/** What a follower of the store is told. */
export interface HistoryListener {
  /** Records stored since the last batch, oldest first; never empty. */
  entries(entries: HistoryEntry[]): void;
  /** The store could not be read; the follow goes on trying by itself. */
  problem?(reason: string): void;
}

/** A follow in progress. */
export interface HistoryFollow {
  /** Ends the follow; no batch is delivered once it resolves. */
  stop(): Promise<void>;
}

/** The embedded store's file unless `MODT_HISTORY_FILE` names another. */
export const DEFAULT_HISTORY_FILE = '.modt/history.jsonl';

/** The id before every record: following from it delivers them all. */
export const FIRST_ID = '0-0';

/** Orders store ids, `<ms>-<seq>` as in Redis Streams, as that pair of numbers. */
export function compareIds(a: string, b: string): number {
  const [msA = 0, seqA = 0] = a.split('-').map(Number);
  const [msB = 0, seqB = 0] = b.split('-').map(Number);
  return msA - msB || seqA - seqB;
}

/** Whether a text is a store id, as the stores make them. */
export function isHistoryId(text: string): boolean {
  return /^\d{1,15}-\d{1,15}$/.test(text);
}

/** A record from the flat field list a store kept, or null when it is not one of ours. */
export function recordFromFields(id: string, fields: Record<string, string>): HistoryEntry | null {
  const { received_at, topic, payload, encoding, json, error, redelivered } = fields;
  if (received_at === undefined || topic === undefined || payload === undefined) return null;
  const entry: HistoryEntry = {
    id,
    received_at,
    topic,
    payload,
    encoding: encoding === 'base64' ? 'base64' : 'utf8',
    json: json === '1' || json === 'true',
  };
  if (error) entry.error = error;
  if (redelivered === '1' || redelivered === 'true') entry.redelivered = true;
  return entry;
}
