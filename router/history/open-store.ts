import { readPositiveInt, readUrl, type Env } from '../settings.ts';
import { DEFAULT_FILE_MAX_BYTES, FileStore } from './file-store.ts';
import { RedisStreamStore } from './redis-stream-store.ts';
import { DEFAULT_HISTORY_FILE, type HistoryStore } from './store.ts';

/** The store the environment names: Redis when `MODT_REDIS_URL` is set, else the file. */
export function openHistoryStore(env: Env): HistoryStore {
  if (env.MODT_REDIS_URL) {
    // Checked here, at start: ioredis would otherwise take a bad URL for a host name and
    // retry it for ever, with the unit looking healthy and storing nothing.
    const url = readUrl(env, 'MODT_REDIS_URL', '', ['redis', 'rediss']).href;
    return new RedisStreamStore({ url, stream: env.MODT_HISTORY_STREAM });
  }
  const maxBytes = readPositiveInt(env, 'MODT_HISTORY_FILE_MAX_BYTES', DEFAULT_FILE_MAX_BYTES);
  return new FileStore(env.MODT_HISTORY_FILE || DEFAULT_HISTORY_FILE, maxBytes);
}
