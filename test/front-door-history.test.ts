import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FileStore } from '../router/index.ts';
import { loginRecords, runModt as modt } from './support/index.ts';

const ALICE = '6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f';
const BOB = '7a2d3b5f-4c6e-4d8f-8a91-2b3c4d5e6f70';
const AT = Date.UTC(2026, 11, 3, 10, 0, 0);

/** Two logins as `npm start` records them: each answered, each redirect pushed. */
async function historyFile(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'modt-front-door-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'history.jsonl');
  const store = new FileStore(file);
  const alice = { sessionId: ALICE, userId: 'alice', at: AT, readyAfterMs: 5, pushedAfterMs: 9 };
  const bob = { sessionId: BOB, userId: 'bob', at: AT + 60_000, readyAfterMs: 5, pushedAfterMs: 9 };
  await store.append([...loginRecords(alice), ...loginRecords(bob)]);
  await store.close();
  return file;
}

const topicsOf = (stdout: string) =>
  stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l).topic.replace(/^modt\//, ''));

const CONCURRENCY = { concurrency: 3 };

describe('a login read back from the history', CONCURRENCY, () => {
  const queries: { args: string[]; topics: string[] }[] = [
    { args: ['--session', ALICE], topics: ['auth/success', 'app/ready', 'gateway/pushed'] },
    { args: ['--user', 'bob'], topics: ['auth/success', 'app/ready', 'gateway/pushed'] },
  ];
  for (const { args, topics } of queries) {
    test(`modt history ${args[0]} includes the push of its redirect`, async (t) => {
      const env = { MODT_HISTORY_FILE: await historyFile(t) };
      const result = await modt(['history', '--json', ...args], { env });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(topicsOf(result.stdout), topics);
    });
  }

  test('modt replay --limit N replays the newest N messages its unit reads', async (t) => {
    const env = { MODT_HISTORY_FILE: await historyFile(t) };
    const result = await modt(['replay', '--unit', 'dummy-app', '--limit', '1', '--json'], { env });
    assert.equal(result.code, 0, result.stderr);
    const outcomes = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(outcomes.length, 1);
    assert.equal(JSON.parse(outcomes[0].record.payload).user_id, 'bob');
    assert.match(result.stderr, /replayed 1 of 6 records through dummy-app: 1 handled/);
  });
});

test('modt history on a store it cannot read exits 1 naming the store', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'modt-front-door-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const command of [['history'], ['replay', '--unit', 'dummy-app']]) {
    const result = await modt(command, { env: { MODT_HISTORY_FILE: dir } });
    assert.equal(result.code, 1, result.stderr);
    const said = `modt: MODT_ERR_STORE_FAILED: cannot read the history in ${dir}: EISDIR`;
    assert.ok(result.stderr.startsWith(said), result.stderr);
  }
});
