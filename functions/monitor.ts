import { isUtf8 } from 'node:buffer';
import { Topics, decodeJson } from '../protocol/index.ts';
import { RAW, defineUnit, record, type HistoryRecord } from '../router/index.ts';

/**
 * Records every `modt/#` message as it arrived: the system's conversation history. It is
 * the audit trail, so a payload that other units refuse is kept too, with the reason.
 */
export default defineUnit({
  name: 'monitor',
  subscribe: { [Topics.all]: RAW },
  publishes: [],
  records: true,

  handle(topic, bytes, { now, redelivered }) {
    const utf8 = isUtf8(bytes);
    const json = decodeJson(bytes, Number.POSITIVE_INFINITY);
    const text = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const entry: HistoryRecord = {
      received_at: isoTime(now),
      topic,
      payload: utf8 ? text.toString('utf8') : text.toString('base64'),
      encoding: utf8 ? 'utf8' : 'base64',
      json: json.ok,
    };
    if (!json.ok) entry.error = json.error.code;
    if (redelivered) entry.redelivered = true;
    return [record(entry)];
  },
});

let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * `now.toISOString()`, written from the one of its second: a drain records thousands of
 * messages a second, and the full conversion took some 0.5 µs of each (BENCHMARKS.md,
 * "Monitor ingest"). A time that is not one still throws RangeError, as toISOString does.
 */
function isoTime(now: Date): string {
  const ms = now.getTime();
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    // Every form toISOString writes, years past 9999 too, ends in `.mmmZ`.
    isoPrefix = now.toISOString().slice(0, -4);
    isoSecond = second;
  }
  const milli = ms - second * 1000;
  return `${isoPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
