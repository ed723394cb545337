import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { ErrorCodes } from '../protocol/index.ts';
import { startRedis, type RedisServer } from '../test/support/index.ts';
import {
  FileStore,
  RedisStreamStore,
  type HistoryEntry,
  type HistoryRecord,
  type HistoryStore,
} from './index.ts';

function recordOf(topic: string, n: number): HistoryRecord {
  return {
    received_at: new Date(Date.UTC(2026, 11, 3, 10, 0, 0, n)).toISOString(),
    topic,
    payload: JSON.stringify({ n }),
    encoding: 'utf8',
    json: true,
  };
}

const records = (topic: string, count: number) =>
  Array.from({ length: count }, (_, i) => recordOf(topic, i));

const withoutId = ({ id: _id, ...record }: HistoryEntry): HistoryRecord => record;

/** Store ids are `<ms>-<seq>`, as in Redis Streams; compared as that pair. */
function idOrder(a: string, b: string): number {
  const [msA = 0, seqA = 0] = a.split('-').map(Number);
  const [msB = 0, seqB = 0] = b.split('-').map(Number);
  return msA - msB || seqA - seqB;
}

/** The contract every history store keeps (router/history/store.ts). */
function historyStoreContract(name: string, open: (t: TestContext) => Promise<HistoryStore>) {
  describe(`${name} keeps the history store contract`, () => {
    test('an empty store has no recent records', async (t) => {
      const store = await open(t);
      assert.deepEqual(await store.recent(10), []);
    });

    test('recent returns appended records in order, each with an id', async (t) => {
      const store = await open(t);
      const appended = records('modt/app/ready', 5);
      await store.append(appended.slice(0, 2));
      await store.append(appended.slice(2));

      const entries = await store.recent(10);
      assert.deepEqual(entries.map(withoutId), appended);
      for (const entry of entries) assert.match(entry.id, /^\d+-\d+$/);
    });

    test('ids are unique and increase in the order of the records', async (t) => {
      const store = await open(t);
      await store.append(records('modt/a', 3));
      await store.append(records('modt/b', 3));

      const ids = (await store.recent(10)).map((e) => e.id);
      assert.equal(new Set(ids).size, 6);
      assert.deepEqual([...ids].sort(idOrder), ids);
    });

    const limits: [limit: number, expected: number[]][] = [
      [0, []],
      [1, [4]],
      [2, [3, 4]],
      [5, [0, 1, 2, 3, 4]],
      [50, [0, 1, 2, 3, 4]],
    ];
    for (const [limit, expected] of limits) {
      test(`recent(${limit}) of five records returns the newest ${expected.length}, newest last`,
        async (t) => {
          const store = await open(t);
          await store.append(records('modt/auth/success', 5));

          const entries = await store.recent(limit);
          assert.deepEqual(entries.map((e) => JSON.parse(e.payload).n), expected);
        });
    }

    test('a record of bytes that are not UTF-8 comes back as base64 with its error', async (t) => {
      const store = await open(t);
      const raw = Buffer.from([0x7b, 0xff, 0x00, 0xfe, 0x7d]);
      const record: HistoryRecord = {
        received_at: '2026-12-03T10:00:00.000Z',
        topic: 'modt/app/ready',
        payload: raw.toString('base64'),
        encoding: 'base64',
        json: false,
        error: ErrorCodes.PAYLOAD_NOT_UTF8,
      };
      await store.append([record]);

      const [entry] = await store.recent(1);
      assert.ok(entry);
      assert.deepEqual(withoutId(entry), record);
      assert.deepEqual(Buffer.from(entry.payload, 'base64'), raw);
    });

    test('text that is not JSON comes back as it was, with json false', async (t) => {
      const store = await open(t);
      const record: HistoryRecord = {
        received_at: '2026-12-03T10:00:00.000Z',
        topic: 'modt/app/ready',
        payload: "{'a':1}\n\"quoted\"\t\u2028ünïcödé",
        encoding: 'utf8',
        json: false,
        error: ErrorCodes.PAYLOAD_NOT_JSON,
      };
      await store.append([record]);

      const [entry] = await store.recent(1);
      assert.ok(entry);
      assert.deepEqual(withoutId(entry), record);
    });

    test('records of two concurrent appends keep their order within each', async (t) => {
      const store = await open(t);
      const first = records('modt/first', 20);
      const second = records('modt/second', 20);
      await Promise.all([store.append(first), store.append(second)]);

      const entries = (await store.recent(100)).map(withoutId);
      assert.equal(entries.length, 40);
      assert.deepEqual(entries.filter((e) => e.topic === 'modt/first'), first);
      assert.deepEqual(entries.filter((e) => e.topic === 'modt/second'), second);
    });

    test('appending nothing stores nothing', async (t) => {
      const store = await open(t);
      await store.append([]);
      assert.deepEqual(await store.recent(10), []);
    });
  });
}

let tmp: string;
let redis: RedisServer;

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'modt-history-'));
  redis = await startRedis();
});

after(async () => {
  await redis?.stop();
  await rm(tmp, { recursive: true, force: true });
});

historyStoreContract('FileStore', async (t) => {
  const store = new FileStore(join(tmp, randomUUID(), 'history.jsonl'));
  t.after(() => store.close());
  return store;
});

historyStoreContract('RedisStreamStore', async (t) => {
  const store = new RedisStreamStore({ url: redis.url, stream: `modt:test:${randomUUID()}` });
  t.after(() => store.close());
  return store;
});
