import { ErrorCodes, ModtFailure } from '../../protocol/index.ts';
import { readPositiveInt, readUrl, type Env } from '../settings.ts';
import { DEFAULT_FILE_MAX_BYTES, FileStore } from './file-store.ts';
import { RedisStreamStore } from './redis-stream-store.ts';
import { DEFAULT_HISTORY_FILE, type HistoryStore } from './store.ts';

/** The store the environment names: Redis when `MODT_REDIS_URL` is set, else the file. */
export function openHistoryStore(env: Env): HistoryStore {
  if (env.MODT_REDIS_URL) {
    const url = readRedisUrl(env);
    return new RedisStreamStore({ url, stream: env.MODT_HISTORY_STREAM });
  }
  const maxBytes = readPositiveInt(env, 'MODT_HISTORY_FILE_MAX_BYTES', DEFAULT_FILE_MAX_BYTES);
  return new FileStore(env.MODT_HISTORY_FILE || DEFAULT_HISTORY_FILE, maxBytes);
}

/**
 * `MODT_REDIS_URL`, checked here, at start: ioredis would take a bad URL for a host name and
 * retry it for ever, the unit looking healthy and storing nothing. It decodes the user and
 * password only when the store makes its client, once the unit is on the bus; one that does
 * not decode is refused here too.
 */
function readRedisUrl(env: Env): string {
  const url = readUrl(env, 'MODT_REDIS_URL', '', ['redis', 'rediss']);
  try {
    decodeURIComponent(url.username);
    decodeURIComponent(url.password);
  } catch {
    // The value is not repeated: it holds the password.
    const message = 'MODT_REDIS_URL: expected a user and password percent-encoded (%25 for %)';
    throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
  }
  return url.href;
}
