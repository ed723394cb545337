import { randomUUID } from 'node:crypto';
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
 * call: ioredis then builds, sends and answers one command a batch instead of one a record
 * (its CPU a record went from about 8 µs to 2.5 in a drain of the monitor), and the fewer
 * arguments a record the better, as it copies and measures every one (2.5 to 2.2 µs from
 * seven to three). ARGV is the cap, then a record's head, topic and payload, and its error when
 * the head says it has one. The head is four characters, `u` or `b` (utf8 or base64 payload),
 * `1` or `0` (json), `r` or `-` (redelivered) and `e` or `-` (an error follows), then
 * received_at. A failing XADD fails the call; those before it stay, as in a pipeline.
 * Redis runs it with EVALSHA (EVAL once a connection), so a Redis user needs both.
 *
 * It runs once per append even when ioredis sends it twice: a call whose answer was lost
 * with its connection is sent again on the next one (ioredis's own resend), and would store
 * its records twice, unmarked. So each store counts its appends, and the script makes the
 * XADDs only for a number above the last one this store made (KEYS[2], ARGV[2]); a retry of
 * the writer's own is a new append, with the next number, and marks its records.
 */
const APPEND_SCRIPT = `
local key, cap, seq = KEYS[1], ARGV[1], tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[2]) or '0') >= seq then return 1 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', 86400)
local byte, sub = string.byte, string.sub
local i, n = 3, #ARGV
while i <= n do
  local head = ARGV[i]
  local encoding = byte(head, 1) == 98 and 'base64' or 'utf8'
  local fields = { 'received_at', sub(head, 5), 'topic', ARGV[i + 1], 'payload', ARGV[i + 2],
    'encoding', encoding, 'json', sub(head, 2, 2) }
  i = i + 3
  if byte(head, 4) == 101 then
    fields[11] = 'error'
    fields[12] = ARGV[i]
    i = i + 1
  end
  if byte(head, 3) == 114 then
    fields[#fields + 1] = 'redelivered'
    fields[#fields + 1] = '1'
  end
  redis.call('XADD', key, 'MAXLEN', '~', cap, '*', unpack(fields))
end
return 0
`;

/** The first three characters of a head, by base64 × 4 + json × 2 + redelivered. */
const HEADS = ['u0-', 'u0r', 'u1-', 'u1r', 'b0-', 'b0r', 'b1-', 'b1r'] as const;

/** The client with the append script defined (ioredis sends EVALSHA, EVAL once a connection). */
type AppendingRedis = Redis & {
  modtAppend(stream: string, appended: string, args: string[]): Promise<number>;
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
  /** Where Redis keeps the number of this store's last append (APPEND_SCRIPT), for a day. */
  #appended: string;
  #appends = 0;
  /** Why the client cannot reach Redis now, while it tries again. */
  #lastError: Error | undefined;

  constructor(options: RedisStreamStoreOptions) {
    this.#url = options.url;
    this.#stream = options.stream ?? DEFAULT_STREAM;
    this.#maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
    this.#appended = `${this.#stream}:appended:${randomUUID()}`;
    const url = new URL(options.url);
    url.password = url.password ? '***' : '';
    this.location = `${url.href} stream ${this.#stream}`;
  }

  /** The client, made at the first command; it connects at its own first command. */
  #client(): Promise<Redis> {
    if (this.#redis !== undefined) return Promise.resolve(this.#redis);
    this.#loading ??= import('ioredis').then(({ Redis }) => {
      const redis = new Redis(this.#url, { lazyConnect: true, maxRetriesPerRequest: 2 });
      redis.defineCommand('modtAppend', { numberOfKeys: 2, lua: APPEND_SCRIPT });
      redis.on('error', (err: Error) => {
        // Connection errors surface as rejected commands to the caller (#unreachable); this
        // listener keeps the last, and keeps ioredis from printing them as unhandled.
        this.#lastError = err;
      });
      redis.on('ready', () => (this.#lastError = undefined));
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
    this.#appends += 1;
    const args: string[] = [String(this.#maxLength), String(this.#appends)];
    for (const r of records) {
      const at = (r.encoding === 'base64' ? 4 : 0) + (r.json ? 2 : 0) + (r.redelivered ? 1 : 0);
      const flags = HEADS[at];
      if (r.error) args.push(`${flags}e${r.received_at}`, r.topic, r.payload, r.error);
      else args.push(`${flags}-${r.received_at}`, r.topic, r.payload);
    }
    const redis = (await this.#client()) as AppendingRedis;
    await redis.modtAppend(this.#stream, this.#appended, args).catch(this.#unreachable);
  }

  /**
   * A command ioredis gave up on while it could not connect says only that it gave up
   * ("Reached the max retries per request limit"): it is rethrown with why it could not.
   * Told by the client's state, not the error's name, which a bundle's minifier renames.
   */
  #unreachable = (err: Error): never => {
    const why = this.#lastError;
    if (why === undefined || this.#redis?.status === 'ready') throw err;
    throw new Error(`Redis cannot be reached: ${why.message}`, { cause: err });
  };

  async recent(limit: number): Promise<HistoryEntry[]> {
    // XREVRANGE with COUNT 0 answers nil, not an empty list.
    if (limit < 1) return [];
    const redis = await this.#client();
    const rows = await redis
      .xrevrange(this.#stream, '+', '-', 'COUNT', limit)
      .catch(this.#unreachable);
    return entriesOfRows(rows.reverse());
  }

  async older(beforeId: string, limit: number): Promise<HistoryEntry[]> {
    if (limit < 1) return [];
    // `(` makes the range exclusive (Redis 6.2 and later).
    const redis = await this.#client();
    const rows = await redis
      .xrevrange(this.#stream, `(${beforeId}`, '-', 'COUNT', limit)
      .catch(this.#unreachable);
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
