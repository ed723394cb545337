import { ErrorCodes, modtError, type ModtError } from './errors.ts';

/** Deeper than this is no protocol payload, only a way to make a parser work hard. */
export const MAX_DEPTH = 32;

/** Keys that mean something to JavaScript objects, refused anywhere (no prototype pollution). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/**
 * What `JSON.parse` lets through silently and MoDT refuses: a key twice in one object (the
 * parser keeps the last, so two readers can see two messages), a key that names part of
 * JavaScript's object machinery, and nesting deeper than MAX_DEPTH. Runs on text that
 * `JSON.parse` already accepted, so it only has to find strings, brackets and colons.
 */
export function checkJsonShape(text: string): ModtError | null {
  // Each open object's keys so far; null marks an open array.
  const open: (Set<string> | null)[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      const keys = open[open.length - 1];
      if (keys && isKey(text, end + 1)) {
        const key = keyText(text, i, end);
        if (FORBIDDEN_KEYS.has(key)) {
          return modtError(ErrorCodes.PAYLOAD_FORBIDDEN_KEY, `payload has the key '${key}'`);
        }
        if (keys.has(key)) {
          return modtError(
            ErrorCodes.PAYLOAD_DUPLICATE_KEY,
            `payload has the key '${key}' twice in one object`,
          );
        }
        keys.add(key);
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      open.push(c === OPEN_OBJECT ? new Set() : null);
      if (open.length > MAX_DEPTH) {
        return modtError(
          ErrorCodes.PAYLOAD_TOO_DEEP,
          `payload nests deeper than ${MAX_DEPTH} levels`,
        );
      }
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      open.pop();
    }
  }
  return null;
}

/** The index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return text.length;
}

/** Whether the next non-blank character after a string is a colon: then it was a key. */
function isKey(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === COLON) return true;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return false;
}

function keyText(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  // Escapes are rare in keys; only then is the key decoded, so "\u005f_proto__" is caught too.
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}
