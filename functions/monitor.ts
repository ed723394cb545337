import { isUtf8 } from 'node:buffer';
import { Topics, decodeJson } from '../protocol/index.ts';
import { RAW, defineUnit, record, type HistoryRecord } from '../router/index.ts';

/**
 * Mosquitto's count of the messages it has dropped since it started, for a client whose queue
 * (`max_queued_messages`) or in-flight window was full: a monitor away or slow for longer
 * than its queue holds. The broker publishes it, retained, when it changes (`sys_interval`,
 * 10 s unless set), so the history records each new count, and the retained count at each of
 * the monitor's connects once it is above zero: a gap in the history is on record near where
 * it happened, with its size. Mosquitto 2.0 lets each count expire 60 s after it was published
 * (src/sys_tree.c): while the monitor's queue is full, each count sent to it is dropped and
 * counted too, so the count keeps changing and is fresh when it comes back (RELIABILITY.md).
 * The embedded broker of `npm start` (Aedes) publishes no such count; the subscription to it
 * is harmless there.
 */
export const BROKER_DROPPED_TOPIC = '$SYS/broker/publish/messages/dropped';
const ZERO = 0x30;

/**
 * Records every `modt/#` message as it arrived: the system's conversation history. It is
 * the audit trail, so a payload that other units refuse is kept too, with the reason. With
 * them, the broker's count of dropped messages, so that the history says when it has gaps.
 */
export default defineUnit({
  name: 'monitor',
  subscribe: { [Topics.all]: RAW, [BROKER_DROPPED_TOPIC]: RAW },
  publishes: [],
  records: true,

  handle(topic, bytes, { now, redelivered }) {
    // A count of none, as the broker tells each connect before anything was dropped, says
    // nothing the history needs.
    if (topic === BROKER_DROPPED_TOPIC && bytes.length === 1 && bytes[0] === ZERO) return [];
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
