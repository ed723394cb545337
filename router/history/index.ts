import type { Env } from '../settings.ts';
import { FileStore } from './file-store.ts';
import { RedisStreamStore } from './redis-stream-store.ts';
import type { HistoryStore } from './store.ts';

export type { HistoryEntry, HistoryRecord } from './record.ts';
export type { HistoryFollow, HistoryListener, HistoryStore } from './store.ts';
export { FIRST_ID, compareIds, isHistoryId } from './store.ts';
export { FileStore } from './file-store.ts';
export { RedisStreamStore, DEFAULT_STREAM } from './redis-stream-store.ts';

export const DEFAULT_HISTORY_FILE = '.modt/history.jsonl';

/** The store the environment names: Redis when `MODT_REDIS_URL` is set, else the file. */
export function openHistoryStore(env: Env): HistoryStore {
  const redisUrl = env.MODT_REDIS_URL;
  if (redisUrl) return new RedisStreamStore({ url: redisUrl, stream: env.MODT_HISTORY_STREAM });
  return new FileStore(env.MODT_HISTORY_FILE || DEFAULT_HISTORY_FILE);
}
