import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistoryRecord, HistoryStore } from './history/index.ts';
import { RecordWriter } from './record-writer.ts';

function rec(n: number): HistoryRecord {
  const received_at = '2026-12-03T00:00:00.000Z';
  return { received_at, topic: `t/${n}`, payload: '{}', encoding: 'utf8', json: true };
}

/** A store that holds each append until told, and can be made to fail. */
function heldStore() {
  const appends: { records: HistoryRecord[]; finish(err?: Error): void }[] = [];
  let waiter: (() => void) | undefined;
  const store = {
    location: 'memory',
    append(records: readonly HistoryRecord[]) {
      return new Promise<void>((resolve, reject) => {
        appends.push({ records: [...records], finish: (err) => (err ? reject(err) : resolve()) });
        waiter?.();
      });
    },
  } as unknown as HistoryStore;
  const nextAppend = async (n: number) => {
    while (appends.length < n) await new Promise<void>((resolve) => (waiter = resolve));
    return appends[n - 1]!;
  };
  return { store, appends, nextAppend };
}

describe('RecordWriter', () => {
  test('records given during an append go together into the next one, in order', async () => {
    const { store, appends, nextAppend } = heldStore();
    const writer = new RecordWriter(store, () => {});
    const first = writer.append([rec(1)]);
    const later = [writer.append([rec(2)]), writer.append([rec(3), rec(4)])];
    const one = await nextAppend(1);
    assert.deepEqual(one.records.map((r) => r.topic), ['t/1']);
    one.finish();
    await first;
    const two = await nextAppend(2);
    assert.deepEqual(two.records.map((r) => r.topic), ['t/2', 't/3', 't/4']);
    two.finish();
    await Promise.all(later);
    assert.equal(appends.length, 2);
  });

  test('a failed append is made again, marked redelivered, before anything given later',
    async () => {
      const { store, nextAppend } = heldStore();
      const errors: string[] = [];
      const writer = new RecordWriter(store, (err) => errors.push(err.message));
      const first = writer.append([rec(1)]);
      (await nextAppend(1)).finish(new Error('store down'));
      const second = writer.append([rec(2)]);
      const retry = await nextAppend(2);
      assert.deepEqual(retry.records.map((r) => [r.topic, r.redelivered]), [['t/1', true]]);
      retry.finish();
      await first;
      const after = await nextAppend(3);
      assert.deepEqual(after.records.map((r) => [r.topic, r.redelivered]), [['t/2', undefined]]);
      after.finish();
      await second;
      assert.deepEqual(errors, ['store down']);
    });

  test('once stopping, a failed append rejects what it carried instead of retrying', async () => {
    const { store, nextAppend } = heldStore();
    const writer = new RecordWriter(store, () => {});
    const first = writer.append([rec(1)]);
    writer.stopping();
    (await nextAppend(1)).finish(new Error('store down'));
    await assert.rejects(first, /store down/);
  });
});
