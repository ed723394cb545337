import { RedisStreamStore, type HistoryEntry } from '../../router/index.ts';

/** Every record of a stream, oldest first. */
export async function allRecords(url: string, stream = 'modt:history'): Promise<HistoryEntry[]> {
  const store = new RedisStreamStore({ url, stream });
  try {
    return await store.recent(1_000_000);
  } finally {
    await store.close();
  }
}

/** Polls a stream until `done(records)` holds; rejects with what it had after `timeoutMs`. */
export async function recordsUntil(
  url: string,
  done: (records: HistoryEntry[]) => boolean,
  timeoutMs = 30_000,
): Promise<HistoryEntry[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await allRecords(url).catch(() => []);
    if (done(records)) return records;
    if (Date.now() > deadline)
      throw new Error(`stream held ${records.length} records after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
