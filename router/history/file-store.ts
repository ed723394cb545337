import { mkdirSync, statSync } from 'node:fs';
import { appendFile, rename } from 'node:fs/promises';
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

/** The size past which the file is set aside as `<file>.1` and a new one begun. */
export const DEFAULT_FILE_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The embedded history for the one-command default: JSON lines appended to one file, the id
 * of each the time it was stored with a sequence number, like a Redis Stream id. Reads go
 * backwards from the end, so the newest records cost the same however long the file is.
 * Capped as the Redis stream is: once the file reaches `maxBytes` it becomes `<file>.1`
 * (the one before is dropped) and a new file is begun, so the history holds between one
 * and two files' worth, and reads go on into `<file>.1`.
 */
export class FileStore implements HistoryStore {
  readonly location: string;
  #path: string;
  #maxBytes: number;
  #size: number;
  #lastMs = 0;
  #seq = 0;
  #writing: Promise<void> = Promise.resolve();
  #followers = new Set<HistoryFollow>();

  constructor(path: string, maxBytes = DEFAULT_FILE_MAX_BYTES) {
    this.#path = path;
    this.location = path;
    this.#maxBytes = maxBytes;
    mkdirSync(dirname(path), { recursive: true });
    this.#size = fileSize(path);
  }

  /**
   * Makes the file if it is not there, so that a path that cannot be written (a folder, a
   * file of no write access) is said at start, not at the first record.
   */
  async open(): Promise<void> {
    await appendFile(this.#path, '');
  }

  append(records: readonly HistoryRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const lines = records.map((r) => JSON.stringify({ id: this.#nextId(), ...r })).join('\n');
    const text = `${lines}\n`;
    // Appends are chained so that records stay in the order they were given.
    const write = this.#writing.then(async () => {
      await this.#setAsideWhenFull();
      await appendFile(this.#path, text);
      this.#size += Buffer.byteLength(text);
    });
    this.#writing = write.catch(() => undefined);
    return write;
  }

  /**
   * Sets the full file aside before an append that would go past the cap. A follower
   * notices the new file, reads the rest of the old one as `<file>.1`, then the new one.
   */
  async #setAsideWhenFull(): Promise<void> {
    if (this.#size < this.#maxBytes) return;
    try {
      await rename(this.#path, `${this.#path}.1`);
      this.#size = 0;
    } catch {
      // The file stays as it is and grows past its cap; the next append tries again.
    }
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
    for (const path of [this.#path, `${this.#path}.1`]) {
      for await (const line of linesBackward(path, await sizeOf(path))) {
        // The id leads each line this store writes: a line not wanted is skipped unparsed.
        const id = idOfLine(line);
        if (id !== undefined && !wanted(id)) continue;
        const entry = entryOfLine(line);
        if (entry === null || !wanted(entry.id)) continue;
        entries.push(entry);
        if (entries.length >= limit) return entries.reverse();
      }
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

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
