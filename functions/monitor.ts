import { isUtf8 } from 'node:buffer';
import { Topics, decodeJson } from '../protocol/index.ts';
import { RAW, defineUnit, record } from '../router/index.ts';

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
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return [
      record({
        received_at: now.toISOString(),
        topic,
        payload: utf8 ? text.toString('utf8') : text.toString('base64'),
        encoding: utf8 ? 'utf8' : 'base64',
        json: json.ok,
        ...(json.ok ? {} : { error: json.error.code }),
        ...(redelivered ? { redelivered: true } : {}),
      }),
    ];
  },
});
