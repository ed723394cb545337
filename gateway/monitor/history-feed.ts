import {
  FIRST_ID,
  compareIds,
  type HistoryEntry,
  type HistoryFollow,
  type HistoryStore,
} from '../../router/index.ts';

/** The newest records a page starts from, and whether the store holds older ones. */
export interface Snapshot {
  entries: HistoryEntry[];
  more: boolean;
}

/** An open monitor page, as the feed sees it. */
export interface FeedReader {
  snapshot(snapshot: Snapshot): void;
  /** Records stored after the snapshot, oldest first, each once. */
  deliver(entries: HistoryEntry[]): void;
}

interface ReaderState {
  /** What came while the snapshot was read; null once the snapshot went out. */
  pending: HistoryEntry[] | null;
  lastId: string;
}

/**
 * One follow of the history store shared by every open monitor page, started by the first
 * page and kept until the gateway stops. A page joins with a snapshot of the newest
 * records; what the follow brings meanwhile is held for it and sent after, without repeats.
 */
export class HistoryFeed {
  #store: HistoryStore;
  #onProblem: (reason: string) => void;
  #readers = new Map<FeedReader, ReaderState>();
  #follow: HistoryFollow | undefined;
  #starting: Promise<void> | undefined;
  #stopped = false;

  constructor(store: HistoryStore, onProblem: (reason: string) => void) {
    this.#store = store;
    this.#onProblem = onProblem;
  }

  get readers(): number {
    return this.#readers.size;
  }

  /** Sends a reader its snapshot of at most `limit` records, then every new one. */
  async join(reader: FeedReader, limit: number): Promise<void> {
    const state: ReaderState = { pending: [], lastId: FIRST_ID };
    this.#readers.set(reader, state);
    try {
      await this.#start();
      const newest = await this.#store.recent(limit + 1);
      if (this.#readers.get(reader) !== state) return;

      const more = newest.length > limit;
      const entries = more ? newest.slice(1) : newest;
      state.lastId = entries.at(-1)?.id ?? state.lastId;
      const pending = state.pending ?? [];
      state.pending = null;
      reader.snapshot({ entries, more });
      this.#send(reader, state, pending);
    } catch (err) {
      this.#readers.delete(reader);
      throw err;
    }
  }

  leave(reader: FeedReader): void {
    this.#readers.delete(reader);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#readers.clear();
    await this.#starting?.catch(() => undefined);
    await this.#follow?.stop();
  }

  /** Follows the store from its newest record, once; a start that failed is made again. */
  #start(): Promise<void> {
    if (this.#starting === undefined) {
      this.#starting = this.#followFromNewest();
      this.#starting.catch(() => (this.#starting = undefined));
    }
    return this.#starting;
  }

  async #followFromNewest(): Promise<void> {
    const [head] = await this.#store.recent(1);
    if (this.#stopped) return;
    this.#follow = this.#store.follow(head?.id ?? FIRST_ID, {
      entries: (batch) => this.#fanOut(batch),
      problem: (reason) => this.#onProblem(reason),
    });
  }

  #fanOut(batch: HistoryEntry[]): void {
    for (const [reader, state] of this.#readers) {
      if (state.pending !== null) state.pending.push(...batch);
      else this.#send(reader, state, batch);
    }
  }

  #send(reader: FeedReader, state: ReaderState, batch: HistoryEntry[]): void {
    const fresh = batch.filter((entry) => compareIds(entry.id, state.lastId) > 0);
    const last = fresh.at(-1);
    if (last === undefined) return;
    state.lastId = last.id;
    reader.deliver(fresh);
  }
}
