import type { Env } from '../settings.ts';
import { FileStore } from './file-store.ts';
import { RedisStreamStore } from './redis-stream-store.ts';
import { DEFAULT_HISTORY_FILE, type HistoryStore } from './store.ts';

/** The store the environment names: Redis when `MODT_REDIS_URL` is set, else the file. */
export function openHistoryStore(env: Env): HistoryStore {
  const redisUrl = env.MODT_REDIS_URL;
  if (redisUrl) return new RedisStreamStore({ url: redisUrl, stream: env.MODT_HISTORY_STREAM });
  return new FileStore(env.MODT_HISTORY_FILE || DEFAULT_HISTORY_FILE);
}
