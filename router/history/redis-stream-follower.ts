import type { Redis } from 'ioredis';
import { entriesOfRows, type StreamRow } from './redis-stream-rows.ts';
import type { HistoryFollow, HistoryListener } from './store.ts';

/** Entries one XREAD takes at most. */
const BATCH = 1000;
/** How long one XREAD blocks before it is made again. */
const BLOCK_MS = 5000;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

/**
 * Follows a Redis Stream with XREAD BLOCK on a connection of its own: a blocked connection
 * serves nothing else, so the store's writes and reads never wait behind it. After a failure
 * it reports once and tries again, backing off, from the last id it delivered.
 */
export class RedisStreamFollower implements HistoryFollow {
  #redis: Redis;
  #stream: string;
  #lastId: string;
  #listener: HistoryListener;
  #stopped = false;
  #loop: Promise<void>;

  /** `redis` is the follower's own connection; `stop()` ends it. */
  constructor(redis: Redis, stream: string, afterId: string, listener: HistoryListener) {
    this.#redis = redis;
    // Its failures reach the loop as rejected commands; this keeps ioredis from printing them.
    this.#redis.on('error', () => undefined);
    this.#stream = stream;
    this.#lastId = afterId;
    this.#listener = listener;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    // A blocked XREAD rejects at once when its connection goes; the loop then ends.
    this.#redis.disconnect();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let retryMs = RETRY_FIRST_MS;
    let failing = false;
    while (!this.#stopped) {
      try {
        await this.#readOnce();
        retryMs = RETRY_FIRST_MS;
        failing = false;
      } catch (err) {
        if (this.#stopped) return;
        if (!failing) this.#listener.problem?.((err as Error).message);
        failing = true;
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      }
    }
  }

  async #readOnce(): Promise<void> {
    const reply = await this.#redis.xread(
      'COUNT', BATCH, 'BLOCK', BLOCK_MS, 'STREAMS', this.#stream, this.#lastId,
    );
    const rows = (reply?.[0]?.[1] ?? []) as StreamRow[];
    const last = rows.at(-1);
    if (this.#stopped || last === undefined) return;
    this.#lastId = last[0];
    const entries = entriesOfRows(rows);
    if (entries.length > 0) this.#listener.entries(entries);
  }
}
