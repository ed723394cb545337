import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, renameSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';
import { FileFollower } from './history/file-follower.ts';
import { FileStore, openHistoryStore, type HistoryEntry, type HistoryRecord } from './index.ts';

function rec(n: number): HistoryRecord {
  const payload = JSON.stringify({ n, pad: 'x'.repeat(200) });
  return { received_at: new Date().toISOString(), topic: 'modt/cap', payload, encoding: 'utf8',
    json: true };
}
const numberOf = (e: HistoryEntry) => (JSON.parse(e.payload) as { n: number }).n;

test('a file history past its cap is set aside once, and reads go on into it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'modt-cap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'history.jsonl');
  const store = new FileStore(path, 4096);
  t.after(() => store.close());
  for (let n = 0; n < 100; n++) await store.append([rec(n)]);

  // Each record is about 300 bytes: the live file stays under the cap plus one record, the
  // one set aside under the cap plus one, and what is older is gone.
  assert.ok(statSync(path).size < 4096 + 400, `live file ${statSync(path).size} bytes`);
  assert.ok(statSync(`${path}.1`).size < 4096 + 400);
  assert.ok(!existsSync(`${path}.2`));
  // Between one and two files' worth is kept, the newest, without a gap across the two.
  const kept = (await store.recent(1000)).map(numberOf);
  assert.ok(kept.length >= 12 && kept.length <= 26, `kept ${kept.length}`);
  const newest = Array.from({ length: kept.length }, (_, i) => 100 - kept.length + i);
  assert.deepEqual(kept, newest);
  // A page of ten older than the newest five reads on into the file set aside.
  const recent = await store.recent(5);
  const older = (await store.older(recent[0]!.id, 10)).map(numberOf);
  assert.deepEqual(older, Array.from({ length: 10 }, (_, i) => 85 + i));
});

test('a follower of a file history reads on across the file being set aside', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'modt-cap-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = new FileStore(join(dir, `${randomUUID()}.jsonl`), 2048);
  t.after(() => store.close());
  const seen: number[] = [];
  const follow = store.follow('0-0', { entries: (entries) => seen.push(...entries.map(numberOf)) });
  t.after(() => follow.stop());
  // Records come faster than the follower's poll: some are appended to the old file after
  // its last read, and must still reach it.
  for (let n = 0; n < 60; n++) {
    await store.append([rec(n)]);
    if (n % 10 === 9) await sleep(50);
  }
  for (let i = 0; i < 100 && seen.length < 60; i++) await sleep(50);
  assert.deepEqual(seen, Array.from({ length: 60 }, (_, i) => i));
});

test('what was appended to a file just before it was set aside still reaches its follower',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'modt-cap-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'history.jsonl');
    const line = (n: number) => `${JSON.stringify({ id: `${1000 + n}-0`, ...rec(n) })}\n`;
    appendFileSync(path, line(0));
    const seen: number[] = [];
    const follower = new FileFollower(path, '0-0', {
      entries: (entries) => seen.push(...entries.map(numberOf)),
    });
    t.after(() => follower.stop());
    for (let i = 0; i < 100 && seen.length < 1; i++) await sleep(20);

    // In one turn of the event loop, so the follower cannot read in between: a last line
    // for the old file, the old file set aside, a new file begun.
    appendFileSync(path, line(1));
    renameSync(path, `${path}.1`);
    appendFileSync(path, line(2));
    for (let i = 0; i < 100 && seen.length < 3; i++) await sleep(20);
    assert.deepEqual(seen, [0, 1, 2]);
  });

test('MODT_HISTORY_FILE_MAX_BYTES that is no positive whole number is refused at start', () => {
  assert.throws(
    () => openHistoryStore({ MODT_HISTORY_FILE_MAX_BYTES: '64MB' }),
    (err: unknown) => err instanceof ModtFailure && err.code === ErrorCodes.SETTING_INVALID,
  );
});
