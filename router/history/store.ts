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
  close(): Promise<void>;
  /** Names where the records are, for log lines and the reader command. */
  readonly location: string;
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
