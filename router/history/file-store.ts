import { mkdirSync } from 'node:fs';
import { appendFile, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { HistoryEntry, HistoryRecord } from './record.ts';
import { recordFromFields, type HistoryStore } from './store.ts';

/** How much of the file's end `recent` reads; records are small, this holds thousands. */
const TAIL_BYTES = 4 * 1024 * 1024;

/**
 * The embedded history for the one-command default: JSON lines appended to one file, the id
 * of each the time it was stored with a sequence number, like a Redis Stream id.
 */
export class FileStore implements HistoryStore {
  readonly location: string;
  #path: string;
  #lastMs = 0;
  #seq = 0;
  #writing: Promise<void> = Promise.resolve();

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

  async recent(limit: number): Promise<HistoryEntry[]> {
    await this.#writing;
    if (limit < 1) return [];
    let text: string;
    try {
      text = await readTail(this.#path, TAIL_BYTES);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries: HistoryEntry[] = [];
    for (const line of text.split('\n').slice(-(limit + 1))) {
      const entry = parseLine(line);
      if (entry) entries.push(entry);
    }
    return entries.slice(-limit);
  }

  async close(): Promise<void> {
    await this.#writing;
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

async function readTail(path: string, maxBytes: number): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    // A read that starts inside a line drops that partial line.
    return length < size ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    await file.close();
  }
}

function parseLine(line: string): HistoryEntry | null {
  if (line.trim() === '') return null;
  try {
    const value = JSON.parse(line) as Record<string, unknown>;
    const fields: Record<string, string> = {};
    for (const [key, item] of Object.entries(value)) fields[key] = String(item);
    return recordFromFields(fields.id ?? '', fields);
  } catch {
    return null;
  }
}
