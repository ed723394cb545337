import { mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FileFollower } from './file-follower.ts';
import { entryOfLine, idOfLine, linesBackward, sizeOf } from './file-lines.ts';
import type { HistoryEntry, HistoryRecord } from './record.ts';
import {
  compareIds,
  type HistoryFollow,
  type HistoryListener,
  type HistoryStore,
} from './store.ts';

/**
 * The embedded history for the one-command default: JSON lines appended to one file, the id
 * of each the time it was stored with a sequence number, like a Redis Stream id. Reads go
 * backwards from the end, so the newest records cost the same however long the file is.
 */
export class FileStore implements HistoryStore {
  readonly location: string;
  #path: string;
  #lastMs = 0;
  #seq = 0;
  #writing: Promise<void> = Promise.resolve();
  #followers = new Set<HistoryFollow>();

  constructor(path: string) {
    this.#path = path;
    this.location = path;
    mkdirSync(dirname(path), { recursive: true });
  }

  append(records: readonly HistoryRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const lines = records.map((r) => JSON.stringify({ id: this.#nextId(), ...r })).join('\n');
    // Appends are chained so that records stay in the order they were given.
    const write = this.#writing.then(() => appendFile(this.#path, `${lines}\n`));
    this.#writing = write.catch(() => undefined);
    return write;
  }

  recent(limit: number): Promise<HistoryEntry[]> {
    return this.#newestFirst(limit, () => true);
  }

  // TODO(perf): each page back reads the file from its end to `beforeId` again; deep pages
  // of a long file would want an index of line offsets by id.
  older(beforeId: string, limit: number): Promise<HistoryEntry[]> {
    return this.#newestFirst(limit, (id) => compareIds(id, beforeId) < 0);
  }

  follow(afterId: string, listener: HistoryListener): HistoryFollow {
    const follower = new FileFollower(this.#path, afterId, listener);
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
    await this.#writing;
  }

  /** Up to `limit` entries whose id is `wanted`, read from the end; returned newest last. */
  async #newestFirst(limit: number, wanted: (id: string) => boolean) {
    await this.#writing;
    const entries: HistoryEntry[] = [];
    if (limit < 1) return entries;
    for await (const line of linesBackward(this.#path, await sizeOf(this.#path))) {
      // The id leads each line this store writes: a line not wanted is skipped unparsed.
      const id = idOfLine(line);
      if (id !== undefined && !wanted(id)) continue;
      const entry = entryOfLine(line);
      if (entry === null || !wanted(entry.id)) continue;
      entries.push(entry);
      if (entries.length >= limit) break;
    }
    return entries.reverse();
  }

  #nextId(): string {
    const now = Date.now();
    if (now > this.#lastMs) {
      this.#lastMs = now;
      this.#seq = 0;
    } else {
      this.#seq += 1;
    }
    return `${this.#lastMs}-${this.#seq}`;
  }
}
