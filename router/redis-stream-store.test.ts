import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { ErrorCodes } from '../protocol/index.ts';
import { startRedis, type RedisServer } from '../test/support/index.ts';
import { RedisStreamStore, type HistoryEntry, type HistoryRecord } from './index.ts';

const AT = '2026-12-03T10:00:00.000Z';
const plain: HistoryRecord = {
  received_at: AT,
  topic: 'modt/app/ready',
  payload: '{"n":1}',
  encoding: 'utf8',
  json: true,
};
const refused: HistoryRecord = {
  received_at: AT,
  topic: 'modt/app/ready',
  payload: "{'n':2}",
  encoding: 'utf8',
  json: false,
  error: ErrorCodes.PAYLOAD_NOT_JSON,
};
const again: HistoryRecord = { ...plain, payload: '{"n":3}', redelivered: true };
const both: HistoryRecord = { ...refused, payload: '', redelivered: true };
const raw: HistoryRecord = {
  received_at: 'ünï\u0000cödé',
  topic: 'modt/\u0000/ü',
  payload: Buffer.from([0xff, 0x00]).toString('base64'),
  encoding: 'base64',
  json: false,
  error: 'MODT_ERR_\u0000',
};
const { error: _error, ...rawAgain } = { ...raw, json: true, redelivered: true };

/** Each record and the flat fields a reader of the stream finds for it, in their order. */
const rows: [record: HistoryRecord, fields: string[]][] = [
  [plain, [
    'received_at', AT, 'topic', 'modt/app/ready', 'payload', '{"n":1}', 'encoding', 'utf8',
    'json', '1',
  ]],
  [refused, [
    'received_at', AT, 'topic', 'modt/app/ready', 'payload', "{'n':2}", 'encoding', 'utf8',
    'json', '0', 'error', ErrorCodes.PAYLOAD_NOT_JSON,
  ]],
  [again, [
    'received_at', AT, 'topic', 'modt/app/ready', 'payload', '{"n":3}', 'encoding', 'utf8',
    'json', '1', 'redelivered', '1',
  ]],
  [both, [
    'received_at', AT, 'topic', 'modt/app/ready', 'payload', '', 'encoding', 'utf8',
    'json', '0', 'error', ErrorCodes.PAYLOAD_NOT_JSON, 'redelivered', '1',
  ]],
  [raw, [
    'received_at', 'ünï\u0000cödé', 'topic', 'modt/\u0000/ü', 'payload', '/wA=',
    'encoding', 'base64', 'json', '0', 'error', 'MODT_ERR_\u0000',
  ]],
  [rawAgain, [
    'received_at', 'ünï\u0000cödé', 'topic', 'modt/\u0000/ü', 'payload', '/wA=',
    'encoding', 'base64', 'json', '1', 'redelivered', '1',
  ]],
];

const withoutId = ({ id: _id, ...record }: HistoryEntry): HistoryRecord => record;

let redis: RedisServer;

before(async () => {
  redis = await startRedis();
});

after(() => redis?.stop());

function open(t: TestContext, server: RedisServer = redis) {
  const stream = `modt:test:${randomUUID()}`;
  const store = new RedisStreamStore({ url: server.url, stream });
  t.after(() => store.close());
  const raw = new Redis(server.url, { lazyConnect: true });
  t.after(() => raw.disconnect());
  return { store, stream, raw };
}

describe('RedisStreamStore', () => {
  test('each record is one stream entry with the fields readers of the stream know', async (t) => {
    const { store, stream, raw } = open(t);
    await store.append(rows.map(([record]) => record));

    const entries = await raw.xrange(stream, '-', '+');
    assert.deepEqual(entries.map(([, fields]) => fields), rows.map(([, fields]) => fields));
  });

  test('records with an error or redelivered come back as they were appended', async (t) => {
    const { store } = open(t);
    const records = rows.map(([record]) => record);
    await store.append(records);

    assert.deepEqual((await store.recent(10)).map(withoutId), records);
  });

  test('an append of a thousand records keeps them all, in order', async (t) => {
    const { store } = open(t);
    const records = Array.from({ length: 1000 }, (_, n) => ({
      ...rows[n % rows.length]![0],
      topic: `modt/${n}`,
    }));
    await store.append(records);

    assert.deepEqual((await store.recent(2000)).map(withoutId), records);
  });

  test('an append is stored after Redis forgot its scripts', async (t) => {
    const { store, raw } = open(t);
    await store.append([plain]);
    await raw.script('FLUSH');

    await store.append([again]);
    assert.deepEqual((await store.recent(10)).map(withoutId), [plain, again]);
  });

  test('an append is stored after Redis restarted', async (t) => {
    const server = await startRedis();
    t.after(() => server.stop());
    const { store } = open(t, server);
    await store.append([plain]);
    await server.restart();

    await store.append([again]);
    assert.deepEqual((await store.recent(10)).map(withoutId), [again]);
  });

  test('an append to a key that is not a stream rejects', async (t) => {
    const { store, stream, raw } = open(t);
    await raw.set(stream, 'not a stream');

    await assert.rejects(store.append([plain]), /WRONGTYPE/);
  });

  test('the stream is capped near its maximum length', async (t) => {
    const stream = `modt:test:${randomUUID()}`;
    const store = new RedisStreamStore({ url: redis.url, stream, maxLength: 100 });
    t.after(() => store.close());
    const raw = new Redis(redis.url);
    t.after(() => raw.disconnect());
    const records = Array.from({ length: 1000 }, () => plain);
    for (let i = 0; i < 5; i++) await store.append(records);

    const length = await raw.xlen(stream);
    assert.ok(length >= 100 && length < 1000, `the stream holds ${length} entries`);
  });
});

test('an append while Redis is away says why it cannot be reached, not that ioredis gave up',
  async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    await redis.halt();
    const store = new RedisStreamStore({ url: redis.url, stream: `modt:test:${randomUUID()}` });
    t.after(() => store.close());

    const record: HistoryRecord = {
      received_at: '2026-12-04T00:00:00.000Z',
      topic: 'modt/test/away',
      payload: '{}',
      encoding: 'utf8',
      json: true,
    };
    await assert.rejects(store.append([record]), (err: Error) => {
      assert.match(err.message, /^Redis cannot be reached: .*ECONNREFUSED/);
      assert.doesNotMatch(err.message, /max retries/);
      return true;
    });
  });
