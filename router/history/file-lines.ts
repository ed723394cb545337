import { open } from 'node:fs/promises';
import type { HistoryEntry } from './record.ts';
import { recordFromFields } from './store.ts';

/** How much of the file one read takes. */
const CHUNK_BYTES = 64 * 1024;
/** The most one forward read takes; what is left comes at the next read. */
const MAX_FORWARD_BYTES = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

/** The file's size; 0 while it does not exist. */
export async function sizeOf(path: string): Promise<number> {
  const file = await openIfThere(path);
  if (file === null) return 0;
  try {
    return (await file.stat()).size;
  } finally {
    await file.close();
  }
}

/**
 * The complete lines of the file's first `end` bytes, last first. A line still being
 * written at `end` (no newline yet) is left out. The file is read backwards in chunks, so
 * the newest lines cost the same however long the file is.
 */
export async function* linesBackward(path: string, end: number): AsyncGenerator<string> {
  const file = end > 0 ? await openIfThere(path) : null;
  if (file === null) return;
  try {
    let position = end;
    let rest = Buffer.alloc(0);
    let seenNewline = false;
    while (position > 0) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      await file.read(chunk, 0, length, position);
      const buffer = Buffer.concat([chunk, rest]);

      // UTF-8 never has a 0x0a inside a character, so bytes split safely at each one.
      let cut = buffer.length;
      for (let i = buffer.length - 1; i >= 0; i--) {
        if (buffer[i] !== NEWLINE) continue;
        if (seenNewline) yield buffer.subarray(i + 1, cut).toString('utf8');
        seenNewline = true;
        cut = i;
      }
      rest = buffer.subarray(0, cut);
    }
    if (seenNewline && rest.length > 0) yield rest.toString('utf8');
  } finally {
    await file.close();
  }
}

/** Where the last complete line of the file's first `end` bytes ends (after its newline). */
export async function lastLineEnd(path: string, end: number): Promise<number> {
  const file = end > 0 ? await openIfThere(path) : null;
  if (file === null) return 0;
  try {
    let position = end;
    while (position > 0) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      await file.read(chunk, 0, length, position);
      const at = chunk.lastIndexOf(NEWLINE);
      if (at >= 0) return position + at + 1;
    }
    return 0;
  } finally {
    await file.close();
  }
}

/** What a forward read found: complete lines, where the next read starts, the file's size. */
export interface ForwardRead {
  lines: string[];
  next: number;
  size: number;
  /** The file's inode: another one at the same path is another file. */
  ino: number;
  /** Whether more bytes wait past what this read took. */
  more: boolean;
}

/** The complete lines from byte `offset` on, up to a bounded amount. */
export async function linesFrom(path: string, offset: number): Promise<ForwardRead> {
  const file = await openIfThere(path);
  if (file === null) return { lines: [], next: offset, size: 0, ino: 0, more: false };
  try {
    const { size, ino } = await file.stat();
    if (size <= offset) return { lines: [], next: offset, size, ino, more: false };
    const length = Math.min(size - offset, MAX_FORWARD_BYTES);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, offset);

    const last = buffer.lastIndexOf(NEWLINE);
    // A line longer than one read is no record the store wrote: it is stepped over.
    if (last < 0 && length === MAX_FORWARD_BYTES) {
      return { lines: [], next: offset + length, size, ino, more: true };
    }
    if (last < 0) return { lines: [], next: offset, size, ino, more: false };
    const lines = buffer.subarray(0, last).toString('utf8').split('\n');
    const next = offset + last + 1;
    return { lines, next, size, ino, more: offset + length < size };
  } finally {
    await file.close();
  }
}

/** The id at the start of a line as the file store writes it, without parsing the rest. */
export function idOfLine(line: string): string | undefined {
  return /^\{"id":"(\d+-\d+)"/.exec(line)?.[1];
}

/** The entry of one line of the file, or null when the line is not one. */
export function entryOfLine(line: string): HistoryEntry | null {
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

async function openIfThere(path: string) {
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
