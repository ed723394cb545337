import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { entryOfLine, lastLineEnd, linesBackward, linesFrom, sizeOf } from './file-lines.ts';
import type { HistoryEntry } from './record.ts';
import { compareIds, type HistoryFollow, type HistoryListener } from './store.ts';

/** How often the file is looked at when no change notice came (fs.watch can miss some). */
export const FILE_POLL_MS = 500;

/**
 * Follows a history file: first the records after `afterId` already in it (read backwards
 * from the end, up to that id), then every complete line appended, noticed by fs.watch on
 * the file's folder and by a poll. A file that shrank or is another inode was replaced: it is
 * read from its start, after the rest of the one set aside as `<file>.1` (FileStore's cap).
 */
export class FileFollower implements HistoryFollow {
  #path: string;
  #listener: HistoryListener;
  #lastId: string;
  #offset: number | undefined;
  /** The inode of the file the offset is in. */
  #ino = 0;
  #stopped = false;
  #busy = false;
  #again = false;
  /** Set while reads fail, so one outage is reported once. */
  #failing = false;
  #reading: Promise<void> = Promise.resolve();
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout;

  constructor(path: string, afterId: string, listener: HistoryListener, pollMs = FILE_POLL_MS) {
    this.#path = path;
    this.#listener = listener;
    this.#lastId = afterId;
    this.#watcher = this.#watch();
    this.#timer = setInterval(() => this.#wake(), pollMs);
    this.#timer.unref();
    this.#wake();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#watcher?.close();
    await this.#reading;
  }

  #watch(): FSWatcher | undefined {
    const name = basename(this.#path);
    try {
      const watcher = watch(dirname(this.#path), (_event, changed) => {
        if (changed === null || changed === name) this.#wake();
      });
      // A folder that goes away ends the notices; the poll goes on.
      watcher.on('error', () => undefined);
      watcher.unref();
      return watcher;
    } catch {
      return undefined;
    }
  }

  /** Reads what is new, one read at a time; a notice during a read asks for another. */
  #wake(): void {
    if (this.#stopped) return;
    if (this.#busy) {
      this.#again = true;
      return;
    }
    this.#busy = true;
    this.#reading = this.#drain().finally(() => (this.#busy = false));
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      try {
        this.#again = (await this.#readOnce()) || this.#again;
        this.#failing = false;
      } catch (err) {
        if (!this.#stopped && !this.#failing) this.#listener.problem?.((err as Error).message);
        this.#failing = true;
        return;
      }
    } while (this.#again && !this.#stopped);
  }

  /** One read; true when more is waiting. */
  async #readOnce(): Promise<boolean> {
    if (this.#offset === undefined) {
      this.#offset = await this.#catchUp();
      return true;
    }
    const read = await linesFrom(this.#path, this.#offset);
    const replaced = read.size < this.#offset || (this.#ino !== 0 && read.ino !== this.#ino);
    if (read.ino !== 0) this.#ino = read.ino;
    if (replaced) {
      await this.#finishSetAside(this.#offset);
      this.#offset = 0;
      return true;
    }
    this.#offset = read.next;
    this.#deliver(read.lines.map(entryOfLine));
    return read.more;
  }

  /** What was appended to the file before it was set aside and after the last read. */
  async #finishSetAside(from: number): Promise<void> {
    for (let offset = from; ; ) {
      const read = await linesFrom(`${this.#path}.1`, offset);
      if (read.size < offset) return;
      this.#deliver(read.lines.map(entryOfLine));
      if (!read.more) return;
      offset = read.next;
    }
  }

  /** Delivers the records after `afterId` already stored; returns where appends begin. */
  async #catchUp(): Promise<number> {
    const end = await lastLineEnd(this.#path, await sizeOf(this.#path));
    const found: HistoryEntry[] = [];
    for await (const line of linesBackward(this.#path, end)) {
      const entry = entryOfLine(line);
      if (entry === null) continue;
      if (compareIds(entry.id, this.#lastId) <= 0) break;
      found.push(entry);
    }
    this.#deliver(found.reverse());
    return end;
  }

  #deliver(entries: (HistoryEntry | null)[]): void {
    const fresh: HistoryEntry[] = [];
    for (const entry of entries) {
      if (entry === null || compareIds(entry.id, this.#lastId) <= 0) continue;
      fresh.push(entry);
      this.#lastId = entry.id;
    }
    if (fresh.length > 0 && !this.#stopped) this.#listener.entries(fresh);
  }
}
