import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { ErrorCodes } from '../protocol/index.ts';
import { startRedis, type RedisServer } from '../test/support/index.ts';
import {
  FIRST_ID,
  FileStore,
  RedisStreamStore,
  type HistoryEntry,
  type HistoryFollow,
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

/** What a follow of a store delivered, for a test to wait on. */
interface Followed {
  entries: HistoryEntry[];
  problems: string[];
  /** Resolves once `count` entries came; rejects with what came after `timeoutMs`. */
  until(count: number, timeoutMs?: number): Promise<HistoryEntry[]>;
  stop(): Promise<void>;
}

function follow(t: TestContext, store: HistoryStore, afterId: string): Followed {
  const entries: HistoryEntry[] = [];
  const problems: string[] = [];
  let wake: (() => void) | undefined;
  const following: HistoryFollow = store.follow(afterId, {
    entries: (batch) => {
      assert.ok(batch.length > 0, 'a batch is never empty');
      entries.push(...batch);
      wake?.();
    },
    problem: (reason) => problems.push(reason),
  });
  t.after(() => following.stop());
  return {
    entries,
    problems,
    async until(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (entries.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new Error(`${entries.length} of ${count} entries after ${timeoutMs} ms`);
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(left, 100));
        });
      }
      return entries;
    },
    stop: () => following.stop(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const numbers = (entries: HistoryEntry[]) => entries.map((e) => JSON.parse(e.payload).n);

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

    const pages: [before: number, limit: number, expected: number[]][] = [
      [6, 3, [3, 4, 5]],
      [3, 10, [0, 1, 2]],
      [0, 5, []],
      [9, 1, [8]],
      [5, 0, []],
    ];
    for (const [before, limit, expected] of pages) {
      test(`older(id of record ${before}, ${limit}) of ten returns ${expected.length}, newest last`,
        async (t) => {
          const store = await open(t);
          await store.append(records('modt/app/ready', 10));
          const ids = (await store.recent(10)).map((e) => e.id);

          assert.deepEqual(numbers(await store.older(ids[before]!, limit)), expected);
        });
    }

    test('paging back with older from the newest id visits every record once', async (t) => {
      const store = await open(t);
      await store.append(records('modt/app/ready', 250));

      const seen: number[] = [];
      let page = await store.recent(40);
      while (page.length > 0) {
        seen.unshift(...numbers(page));
        page = await store.older(page[0]!.id, 40);
      }
      assert.deepEqual(seen, Array.from({ length: 250 }, (_, i) => i));
    });

    test('a follow from the newest id delivers only what is appended after it', async (t) => {
      const store = await open(t);
      await store.append(records('modt/old', 3));
      const [newest] = await store.recent(1);
      const followed = follow(t, store, newest!.id);

      const appended = records('modt/new', 4);
      await store.append(appended.slice(0, 1));
      await store.append(appended.slice(1));
      assert.deepEqual((await followed.until(4)).map(withoutId), appended);
      await sleep(300);
      assert.equal(followed.entries.length, 4);
    });

    test('a follow from an older id first delivers what was stored after it', async (t) => {
      const store = await open(t);
      await store.append(records('modt/app/ready', 5));
      const ids = (await store.recent(5)).map((e) => e.id);
      const followed = follow(t, store, ids[1]!);

      assert.deepEqual(numbers(await followed.until(3)), [2, 3, 4]);
      await store.append([recordOf('modt/app/ready', 5)]);
      assert.deepEqual(numbers(await followed.until(4)), [2, 3, 4, 5]);
    });

    test('a follow from the first id of an empty store delivers the first appends', async (t) => {
      const store = await open(t);
      const followed = follow(t, store, FIRST_ID);
      await sleep(100);

      await store.append(records('modt/auth/success', 2));
      assert.deepEqual(numbers(await followed.until(2)), [0, 1]);
    });

    test('a follow delivers thousands of records in order, each once', async (t) => {
      const store = await open(t);
      const followed = follow(t, store, FIRST_ID);
      const appended = records('modt/app/ready', 3000);
      for (let i = 0; i < appended.length; i += 250) await store.append(appended.slice(i, i + 250));

      const entries = await followed.until(3000, 10_000);
      assert.deepEqual(entries.map(withoutId), appended);
      assert.equal(new Set(entries.map((e) => e.id)).size, 3000);
      assert.deepEqual(followed.problems, []);
    });

    test('a stopped follow delivers nothing more', async (t) => {
      const store = await open(t);
      const followed = follow(t, store, FIRST_ID);
      await store.append([recordOf('modt/app/ready', 0)]);
      await followed.until(1);

      await followed.stop();
      await store.append([recordOf('modt/app/ready', 1)]);
      await sleep(700);
      assert.equal(followed.entries.length, 1);
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

describe('a FileStore follow reads its file as it is written', () => {
  const lineOf = (id: string, n: number) => `${JSON.stringify({ id, ...recordOf('modt/x', n) })}\n`;

  test('a line still being written is delivered once its newline is there', async (t) => {
    const path = join(tmp, randomUUID(), 'history.jsonl');
    const store = new FileStore(path);
    t.after(() => store.close());
    const followed = follow(t, store, FIRST_ID);

    const line = lineOf('1000-0', 0);
    await appendFile(path, line.slice(0, 20));
    await sleep(700);
    assert.equal(followed.entries.length, 0);
    await appendFile(path, line.slice(20));
    assert.deepEqual(numbers(await followed.until(1)), [0]);
  });

  test('a file that was replaced is read again from its start', async (t) => {
    const path = join(tmp, randomUUID(), 'history.jsonl');
    const store = new FileStore(path);
    t.after(() => store.close());
    await appendFile(path, lineOf('1000-0', 0) + lineOf('1000-1', 1));
    const followed = follow(t, store, FIRST_ID);
    await followed.until(2);

    await writeFile(path, lineOf('2000-0', 2));
    assert.deepEqual(numbers(await followed.until(3)), [0, 1, 2]);
  });
});

test('a FileStore on a folder fails at open, before any record; a new file opens', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'modt-file-open-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(new FileStore(dir).open(), { code: 'EISDIR' });

  const file = join(dir, 'history.jsonl');
  await new FileStore(file).open();
  assert.deepEqual(await new FileStore(file).recent(10), []);
});
