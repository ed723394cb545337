import type { HistoryEntry } from './record.ts';
import { recordFromFields } from './store.ts';

/** A stream entry as Redis answers XRANGE, XREVRANGE and XREAD: its id and flat fields. */
export type StreamRow = [id: string, fields: string[]];

/** The history entries of stream rows, in their order; rows that are not ours are left out. */
export function entriesOfRows(rows: readonly StreamRow[]): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const [id, flat] of rows) {
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    const entry = recordFromFields(id, fields);
    if (entry) entries.push(entry);
  }
  return entries;
}
