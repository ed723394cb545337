import { ErrorCodes, modtError, type ModtError } from './errors.ts';

/** Deeper than this is no protocol payload, only a way to make a parser work hard. */
export const MAX_DEPTH = 32;

/** Keys that mean something to JavaScript objects, refused anywhere (no prototype pollution). */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/** Nothing of its own: whatever for-in lists on it was planted on Object.prototype. */
const EMPTY = {};

/** Keys seen by the last `leastLength` walk. */
let keyCount = 0;

/**
 * What `JSON.parse` lets through silently and MoDT refuses: a key twice in one object (the
 * parser keeps the last, so two readers can see two messages), a key that names part of
 * JavaScript's object machinery, nesting deeper than MAX_DEPTH and a lone surrogate escape.
 * `value` is what `JSON.parse` made of `text`, and `text` was decoded from valid UTF-8.
 *
 * A walk of `value` finds forbidden keys however they are spelt, and the depth. What it
 * cannot see is a key the parser dropped; the text's length or its colons prove there was
 * none. A text neither proves clean gets the full scan, so the error is always the one the
 * scan finds first in the text.
 */
export function checkJsonShape(text: string, value: unknown): ModtError | null {
  // The walk lists keys with for-in, which would list a key planted on Object.prototype too.
  if (objectPrototypeHasKeys()) return scanJsonShape(text, value);

  keyCount = 0;
  const least = leastLength(value, 1);

  // A dropped key, like a blank, an escape or a number's second character, makes the text
  // longer than the least its value needs, so a text of just that length has none of them.
  // Without an escape it has no lone surrogate either: valid UTF-8 cannot hold one.
  if (least === text.length) return null;

  // Each key ends in a quote, blanks and a colon, so the text has at most as many keys as
  // such colons; if the value kept that many, the parser dropped none.
  if (least !== -1 && keyColonsIn(text) === keyCount) return loneSurrogateIn(text, value);

  return scanJsonShape(text, value);
}

/** The answer of `checkJsonShape` from the full scan alone: what its shortcuts must agree with. */
export function scanJsonShape(text: string, value: unknown): ModtError | null {
  return firstShapeError(text) ?? loneSurrogateIn(text, value);
}

/**
 * The fewest characters JSON text for `value` takes, counting its keys into `keyCount`; -1
 * for a value that nests deeper than MAX_DEPTH or has a forbidden key.
 */
function leastLength(value: unknown, depth: number): number {
  if (typeof value !== 'object') return scalarLength(value);
  if (value === null) return 4;
  if (depth > MAX_DEPTH) return -1;

  if (Array.isArray(value)) {
    // Brackets and the commas between items.
    let length = value.length === 0 ? 2 : value.length + 1;
    for (let i = 0; i < value.length; i++) {
      const item = itemLength(value[i], depth + 1);
      if (item === -1) return -1;
      length += item;
    }
    return length;
  }

  // Braces, and per key its quotes, its colon and a comma; one comma fewer than keys.
  let length = 1;
  for (const key in value) {
    const n = key.length;
    // FORBIDDEN_KEYS by hand: JSON.parse interns keys, so each `===` is one pointer test.
    if (n === 9 ? key === '__proto__' || key === 'prototype' : n === 11 && key === 'constructor') {
      return -1;
    }
    const item = itemLength((value as Record<string, unknown>)[key], depth + 1);
    if (item === -1) return -1;
    keyCount++;
    length += n + 4 + item;
  }
  return length === 1 ? 2 : length;
}

function objectPrototypeHasKeys(): boolean {
  for (const key in EMPTY) return key !== undefined;
  return false;
}

/** `leastLength` with its commonest case, a string, kept out of the recursion. */
function itemLength(item: unknown, depth: number): number {
  return typeof item === 'string' ? item.length + 2 : leastLength(item, depth);
}

function scalarLength(value: unknown): number {
  if (typeof value === 'string') return value.length + 2;
  if (typeof value === 'number') return 1;
  return value ? 4 : 5;
}

/** Colons after a quote and blanks: one for each key in `text`, and maybe some in strings. */
function keyColonsIn(text: string): number {
  let count = 0;
  for (let i = text.indexOf(':'); i !== -1; i = text.indexOf(':', i + 1)) {
    let before = i - 1;
    while (isBlank(text.charCodeAt(before))) before--;
    if (text.charCodeAt(before) === QUOTE) count++;
  }
  return count;
}

function loneSurrogateIn(text: string, value: unknown): ModtError | null {
  // Only an escape can smuggle a lone surrogate past the UTF-8 check, so the walk is
  // skipped for the common payload that has none.
  if (!SURROGATE_ESCAPE.test(text) || !hasLoneSurrogate(value)) return null;
  return modtError(ErrorCodes.PAYLOAD_LONE_SURROGATE, 'payload holds a lone surrogate escape');
}

function hasLoneSurrogate(value: unknown): boolean {
  if (typeof value === 'string') return !value.isWellFormed();
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (value === null || typeof value !== 'object') return false;
  for (const [key, item] of Object.entries(value)) {
    if (!key.isWellFormed() || hasLoneSurrogate(item)) return true;
  }
  return false;
}

/**
 * The first duplicate key, forbidden key or nesting too deep in `text`, in the order of the
 * text. Runs on text that `JSON.parse` already accepted, so it only has to find strings,
 * brackets and colons.
 */
function firstShapeError(text: string): ModtError | null {
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
    if (!isBlank(c)) return false;
  }
  return false;
}

/** JSON's four blanks (RFC 8259, section 2). */
function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function keyText(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  // Escapes are rare in keys; only then is the key decoded, so "\u005f_proto__" is caught too.
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}
