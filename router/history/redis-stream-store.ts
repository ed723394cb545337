import { Redis } from 'ioredis';
import type { HistoryEntry, HistoryRecord } from './record.ts';
import { RedisStreamFollower } from './redis-stream-follower.ts';
import { entriesOfRows } from './redis-stream-rows.ts';
import type { HistoryFollow, HistoryListener, HistoryStore } from './store.ts';

export interface RedisStreamStoreOptions {
  url: string;
  stream?: string;
  /** The stream is capped near this many entries (XADD MAXLEN ~), so it cannot grow forever. */
  maxLength?: number;
}

export const DEFAULT_STREAM = 'modt:history';
export const DEFAULT_MAX_LENGTH = 1_000_000;

/** The production history: one Redis Stream, written in pipelined batches. */
export class RedisStreamStore implements HistoryStore {
  readonly location: string;
  #redis: Redis;
  #stream: string;
  #maxLength: number;
  #followers = new Set<HistoryFollow>();

  constructor(options: RedisStreamStoreOptions) {
    this.#stream = options.stream ?? DEFAULT_STREAM;
    this.#maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    this.#redis = new Redis(options.url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    this.#redis.on('error', () => {
      // Connection errors surface as rejected commands to the caller; this listener only
      // keeps ioredis from printing them as unhandled.
    });
    const url = new URL(options.url);
    url.password = url.password ? '***' : '';
    this.location = `${url.href} stream ${this.#stream}`;
  }

  async append(records: readonly HistoryRecord[]): Promise<void> {
    if (records.length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const r of records) {
      const fields = [
        'received_at', r.received_at,
        'topic', r.topic,
        'payload', r.payload,
        'encoding', r.encoding,
        'json', r.json ? '1' : '0',
      ];
      if (r.error) fields.push('error', r.error);
      if (r.redelivered) fields.push('redelivered', '1');
      pipeline.xadd(this.#stream, 'MAXLEN', '~', this.#maxLength, '*', ...fields);
    }
    const results = (await pipeline.exec()) ?? [];
    const failed = results.find(([err]) => err !== null);
    if (failed?.[0]) throw failed[0];
  }

  async recent(limit: number): Promise<HistoryEntry[]> {
    // XREVRANGE with COUNT 0 answers nil, not an empty list.
    if (limit < 1) return [];
    const rows = await this.#redis.xrevrange(this.#stream, '+', '-', 'COUNT', limit);
    return entriesOfRows(rows.reverse());
  }

  async older(beforeId: string, limit: number): Promise<HistoryEntry[]> {
    if (limit < 1) return [];
    // `(` makes the range exclusive (Redis 6.2 and later).
    const rows = await this.#redis.xrevrange(this.#stream, `(${beforeId}`, '-', 'COUNT', limit);
    return entriesOfRows(rows.reverse());
  }

  follow(afterId: string, listener: HistoryListener): HistoryFollow {
    const connection = this.#redis.duplicate();
    const follower = new RedisStreamFollower(connection, this.#stream, afterId, listener);
    this.#followers.add(follower);
    return {
      stop: async () => {
        this.#followers.delete(follower);
        await follower.stop();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#followers].map((follower) => follower.stop()));
    this.#followers.clear();
    // Only a connection that is up can say goodbye: while ioredis reconnects it would queue
    // the QUIT and answer it only after several more attempts, seconds later.
    if (this.#redis.status !== 'ready') {
      this.#redis.disconnect();
      return;
    }
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
