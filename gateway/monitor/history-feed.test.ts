import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { FileStore, type HistoryEntry } from '../../router/index.ts';
import { jsonRecord } from '../../test/support/index.ts';
import { HistoryFeed, type FeedReader, type Snapshot } from './history-feed.ts';

const said = (n: number) => jsonRecord('modt/chat/said', { n }, Date.UTC(2026, 11, 3) + n);
const numbers = (entries: HistoryEntry[]) => entries.map((e) => JSON.parse(e.payload).n);

/** A reader that keeps what the feed sent it, for a test to wait on. */
function reader() {
  const got = { snapshot: undefined as Snapshot | undefined, live: [] as HistoryEntry[] };
  const page: FeedReader = {
    snapshot: (snapshot) => (got.snapshot = snapshot),
    deliver: (entries) => got.live.push(...entries),
  };
  const until = async (count: number) => {
    const deadline = Date.now() + 5000;
    while (got.live.length < count && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return numbers(got.live);
  };
  return { page, got, until };
}

describe('the history feed of the monitor pages', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'modt-feed-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  async function feedOn(t: TestContext, stored: number) {
    const store = new FileStore(join(dir, `${randomUUID()}.jsonl`));
    t.after(() => store.close());
    await store.append(Array.from({ length: stored }, (_, i) => said(i)));
    const problems: string[] = [];
    const feed = new HistoryFeed(store, (reason) => problems.push(reason));
    t.after(() => feed.stop());
    return { store, feed, problems };
  }

  test('a page joins with the newest records, then gets each new one once', async (t) => {
    const { store, feed } = await feedOn(t, 8);
    const first = reader();
    await feed.join(first.page, 5);
    assert.deepEqual(numbers(first.got.snapshot!.entries), [3, 4, 5, 6, 7]);
    assert.equal(first.got.snapshot!.more, true);

    await store.append([said(8), said(9)]);
    assert.deepEqual(await first.until(2), [8, 9]);
  });

  test('pages that join later share the one follow, each from its own snapshot', async (t) => {
    const { store, feed } = await feedOn(t, 3);
    const first = reader();
    await feed.join(first.page, 10);
    await store.append([said(3)]);
    await first.until(1);

    const second = reader();
    await feed.join(second.page, 10);
    assert.deepEqual(numbers(second.got.snapshot!.entries), [0, 1, 2, 3]);
    assert.equal(second.got.snapshot!.more, false);
    await store.append([said(4)]);
    assert.deepEqual(await first.until(2), [3, 4]);
    assert.deepEqual(await second.until(1), [4]);
    assert.equal(feed.readers, 2);
  });

  test('a page that left gets nothing more', async (t) => {
    const { store, feed } = await feedOn(t, 1);
    const page = reader();
    await feed.join(page.page, 10);
    feed.leave(page.page);

    await store.append([said(1)]);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.deepEqual(page.got.live, []);
    assert.equal(feed.readers, 0);
  });
});
