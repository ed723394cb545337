import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes, Topics, appDisplayTopic } from '../protocol/index.ts';
import {
  RAW,
  contextFor,
  deliver,
  type HistoryRecord,
  type UnitContext,
} from '../router/index.ts';
import monitor, { BROKER_DROPPED_TOPIC } from './monitor.ts';

const NOW = new Date('2026-12-03T10:07:05.250Z');

/** The one record the router would store for a message, as the monitor received it. */
function recordOf(topic: string, bytes: Uint8Array, context: Partial<UnitContext> = {}) {
  const { outputs, refused } = deliver(monitor, topic, bytes, { now: NOW, ...context });
  assert.equal(refused, undefined, 'the monitor refuses nothing');
  assert.equal(outputs.length, 1);
  const [output] = outputs;
  assert.equal(output?.kind, 'record');
  return output.record;
}

const { PAYLOAD_NOT_JSON } = ErrorCodes;
const text = (value: string) => Buffer.from(value, 'utf8');
const ready = '{"session_id":"6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f","app_name":"x"}';
const notUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text('{}')]);

type Kept = Omit<HistoryRecord, 'received_at' | 'topic'>;

const cases: { name: string; bytes: Buffer; expected: Kept }[] = [
  {
    name: 'valid JSON is kept as text',
    bytes: text(ready),
    expected: { payload: ready, encoding: 'utf8', json: true },
  },
  {
    name: 'JSON that is not the schema of its topic is still valid JSON',
    bytes: text('[1,2]'),
    expected: { payload: '[1,2]', encoding: 'utf8', json: true },
  },
  {
    name: 'single-quoted JSON is kept as text with its error code',
    bytes: text("{'a':1}"),
    expected: { payload: "{'a':1}", encoding: 'utf8', json: false, error: PAYLOAD_NOT_JSON },
  },
  {
    name: 'a payload with a byte-order mark is kept with its error code',
    bytes: bom,
    expected: { payload: '\ufeff{}', encoding: 'utf8', json: false, error: ErrorCodes.PAYLOAD_BOM },
  },
  {
    name: 'a lone surrogate escape is kept with its error code',
    bytes: text('{"a":"\\ud800"}'),
    expected: {
      payload: '{"a":"\\ud800"}',
      encoding: 'utf8',
      json: false,
      error: ErrorCodes.PAYLOAD_LONE_SURROGATE,
    },
  },
  {
    name: 'bytes that are not UTF-8 are kept as base64',
    bytes: notUtf8,
    expected: {
      payload: notUtf8.toString('base64'),
      encoding: 'base64',
      json: false,
      error: ErrorCodes.PAYLOAD_NOT_UTF8,
    },
  },
  {
    name: 'an empty payload is kept as empty text',
    bytes: Buffer.alloc(0),
    expected: { payload: '', encoding: 'utf8', json: false, error: PAYLOAD_NOT_JSON },
  },
];

describe('monitor', () => {
  for (const { name, bytes, expected } of cases) {
    test(name, () => {
      const record = recordOf(Topics.appReady, bytes);
      const where = { received_at: NOW.toISOString(), topic: Topics.appReady };
      assert.deepEqual(record, { ...where, ...expected });
    });
  }

  test('records the topic it received the message on', () => {
    assert.equal(recordOf('modt/some/other', text('{}')).topic, 'modt/some/other');
  });

  test("records the broker's count of dropped messages as it came", () => {
    const record = recordOf(BROKER_DROPPED_TOPIC, text('300'));
    const kept = { topic: BROKER_DROPPED_TOPIC, payload: '300', encoding: 'utf8', json: true };
    assert.deepEqual(record, { received_at: NOW.toISOString(), ...kept });
  });

  test('records no count of zero from the broker', () => {
    assert.deepEqual(monitor.handle(BROKER_DROPPED_TOPIC, text('0'), contextFor(monitor)), []);
    assert.equal(recordOf(BROKER_DROPPED_TOPIC, text('10')).payload, '10');
  });

  test('records the context’s time as received_at', () => {
    const later = new Date('2027-01-01T00:00:00.000Z');
    const record = recordOf(Topics.authSuccess, text('{}'), { now: later });
    assert.equal(record.received_at, '2027-01-01T00:00:00.000Z');
  });

  const times = [
    '2026-12-03T10:07:05.250Z',
    '2026-12-03T10:07:05.007Z',
    '2026-12-03T10:07:05.999Z',
    '2026-12-03T10:07:06.000Z',
    '2026-12-03T10:07:05.040Z',
    '1969-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '-000001-01-01T00:00:00.500Z',
  ];
  test('records each time as toISOString writes it, one after another in one process', () => {
    for (const time of times) {
      const { received_at } = recordOf(Topics.authSuccess, text('{}'), { now: new Date(time) });
      assert.equal(received_at, time);
    }
  });

  test('refuses a time that is not one, as toISOString does', () => {
    const now = new Date(Number.NaN);
    const context = contextFor(monitor, { now });
    assert.throws(() => monitor.handle(Topics.authSuccess, text('{}'), context), RangeError);
  });

  test('marks a message the broker delivered again as redelivered', () => {
    assert.equal(recordOf(Topics.appReady, text('{}'), { redelivered: true }).redelivered, true);
    assert.equal(recordOf(Topics.appReady, text('{}')).redelivered, undefined);
  });

  test('keeps a payload larger than the protocol’s limit as valid JSON', () => {
    const big = text(JSON.stringify({ pad: 'x'.repeat(200 * 1024) }));
    const record = recordOf(appDisplayTopic('dummy-app'), big);
    assert.equal(record.json, true);
    assert.equal(record.payload.length, big.length);
  });

  test('keeps only the bytes of a view into a larger buffer', () => {
    const whole = Buffer.concat([text('xx'), notUtf8, text('yy')]);
    const record = recordOf(Topics.appReady, whole.subarray(2, 2 + notUtf8.length));
    assert.equal(record.payload, notUtf8.toString('base64'));
  });

  test('keeps only the bytes of a Uint8Array view that is not a Buffer', () => {
    const whole = new Uint8Array([0x78, ...text(ready), 0x79]);
    const view = new Uint8Array(whole.buffer, 1, whole.length - 2);
    const [output] = monitor.handle(Topics.appReady, view, contextFor(monitor, { now: NOW }));
    assert.equal(output?.kind, 'record');
    assert.equal(output.record.payload, ready);
    assert.equal(output.record.json, true);
  });

  test("reads modt/# and the broker's drop count as raw bytes, and needs the history store", () => {
    assert.deepEqual(monitor.subscribe, { [Topics.all]: RAW, [BROKER_DROPPED_TOPIC]: RAW });
    assert.equal(monitor.records, true);
    assert.deepEqual(monitor.publishes, []);
  });
});
