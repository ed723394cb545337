import type { Redis } from 'ioredis';
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

/**
 * One append's XADDs, each as a pipelined XADD would have been, made by Redis in one script
 * call: ioredis then builds, sends and answers one command a batch instead of one a record,
 * which cost the monitor some 6 µs of CPU a record (BENCHMARKS.md, "Monitor ingest").
 * ARGV is the cap, then seven values a record: received_at, topic, payload, encoding, json,
 * error and redelivered, the last two empty when the record has no such field. A failing
 * XADD fails the call; those before it stay, as in a pipeline.
 */
const APPEND_SCRIPT = `
local key, cap = KEYS[1], ARGV[1]
for i = 2, #ARGV, 7 do
  if ARGV[i + 5] == '' and ARGV[i + 6] == '' then
    redis.call('XADD', key, 'MAXLEN', '~', cap, '*', 'received_at', ARGV[i], 'topic', ARGV[i + 1],
      'payload', ARGV[i + 2], 'encoding', ARGV[i + 3], 'json', ARGV[i + 4])
  else
    local fields = { 'received_at', ARGV[i], 'topic', ARGV[i + 1], 'payload', ARGV[i + 2],
      'encoding', ARGV[i + 3], 'json', ARGV[i + 4] }
    if ARGV[i + 5] ~= '' then
      fields[#fields + 1] = 'error'
      fields[#fields + 1] = ARGV[i + 5]
    end
    if ARGV[i + 6] ~= '' then
      fields[#fields + 1] = 'redelivered'
      fields[#fields + 1] = '1'
    end
    redis.call('XADD', key, 'MAXLEN', '~', cap, '*', unpack(fields))
  end
end
return (#ARGV - 1) / 7
`;

/** The client with the append script defined (ioredis sends EVALSHA, EVAL once a connection). */
type AppendingRedis = Redis & {
  modtAppend(stream: string, args: string[]): Promise<number>;
};

/**
 * The production history: one Redis Stream, each append's records added by one call of a
 * script that makes their XADDs in order (APPEND_SCRIPT). ioredis is loaded at the first
 * command or `open()`, not with this module: evaluating it takes some 20 ms, which a unit
 * would otherwise spend before it connects to the broker (BENCHMARKS.md, "Unit start").
 */
export class RedisStreamStore implements HistoryStore {
  readonly location: string;
  #url: string;
  #redis: Redis | undefined;
  #loading: Promise<Redis> | undefined;
  #stream: string;
  #maxLength: number;
  #followers = new Set<HistoryFollow>();
  #closed = false;

  constructor(options: RedisStreamStoreOptions) {
    this.#url = options.url;
    this.#stream = options.stream ?? DEFAULT_STREAM;
    this.#maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    const url = new URL(options.url);
    url.password = url.password ? '***' : '';
    this.location = `${url.href} stream ${this.#stream}`;
  }

  /** The client, made at the first command; it connects at its own first command. */
  #client(): Promise<Redis> {
    if (this.#redis !== undefined) return Promise.resolve(this.#redis);
    this.#loading ??= import('ioredis').then(({ Redis }) => {
      const redis = new Redis(this.#url, { lazyConnect: true, maxRetriesPerRequest: 2 });
      redis.defineCommand('modtAppend', { numberOfKeys: 1, lua: APPEND_SCRIPT });
      redis.on('error', () => {
        // Connection errors surface as rejected commands to the caller; this listener only
        // keeps ioredis from printing them as unhandled.
      });
      this.#redis = redis;
      return redis;
    });
    return this.#loading;
  }

  /**
   * Loads the client and connects it, ahead of the first command; rejects with the reason
   * when this first connection fails (the client goes on trying, as at any command). Done
   * already, or begun by a command, it does nothing.
   */
  async open(): Promise<void> {
    const redis = await this.#client();
    if (redis.status !== 'wait' || this.#closed) return;
    // ioredis rejects with "Connection is closed."; the reason is in its first error.
    let cause: Error | undefined;
    const onError = (err: Error) => (cause ??= err);
    redis.on('error', onError);
    try {
      await redis.connect();
    } catch (err) {
      if (!this.#closed) throw cause ?? err;
    } finally {
      redis.off('error', onError);
    }
  }

  async append(records: readonly HistoryRecord[]): Promise<void> {
    if (records.length === 0) return;
    const args: string[] = [String(this.#maxLength)];
    for (const r of records) {
      args.push(
        r.received_at,
        r.topic,
        r.payload,
        r.encoding,
        r.json ? '1' : '0',
        r.error ?? '',
        r.redelivered ? '1' : '',
      );
    }
    const redis = (await this.#client()) as AppendingRedis;
    await redis.modtAppend(this.#stream, args);
  }

  async recent(limit: number): Promise<HistoryEntry[]> {
    // XREVRANGE with COUNT 0 answers nil, not an empty list.
    if (limit < 1) return [];
    const redis = await this.#client();
    const rows = await redis.xrevrange(this.#stream, '+', '-', 'COUNT', limit);
    return entriesOfRows(rows.reverse());
  }

  async older(beforeId: string, limit: number): Promise<HistoryEntry[]> {
    if (limit < 1) return [];
    // `(` makes the range exclusive (Redis 6.2 and later).
    const redis = await this.#client();
    const rows = await redis.xrevrange(this.#stream, `(${beforeId}`, '-', 'COUNT', limit);
    return entriesOfRows(rows.reverse());
  }

  follow(afterId: string, listener: HistoryListener): HistoryFollow {
    let follower: RedisStreamFollower | undefined;
    let stopped = false;
    const started = this.#client().then(
      (redis) => {
        if (stopped) return;
        follower = new RedisStreamFollower(redis.duplicate(), this.#stream, afterId, listener);
      },
      (err: Error) => listener.problem?.(err.message),
    );
    const follow: HistoryFollow = {
      stop: async () => {
        stopped = true;
        this.#followers.delete(follow);
        await started;
        await follower?.stop();
      },
    };
    this.#followers.add(follow);
    return follow;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#followers].map((follow) => follow.stop()));
    this.#followers.clear();
    const redis = this.#redis ?? (await this.#loading?.catch(() => undefined));
    if (redis === undefined) return;
    // Only a connection that is up can say goodbye: while ioredis reconnects it would queue
    // the QUIT and answer it only after several more attempts, seconds later.
    if (redis.status !== 'ready') {
      redis.disconnect();
      return;
    }
    await redis.quit().catch(() => redis.disconnect());
  }
}
