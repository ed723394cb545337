import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { FileStore, RedisStreamStore, type HistoryRecord } from '../router/index.ts';
import { UserStore } from '../gateway/index.ts';
import { runModt as modt, startRedis } from './support/index.ts';

const ALICE = '6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f';
const BOB = '7a2d3b5f-4c6e-4d8f-8a91-2b3c4d5e6f70';

const login = (user: string, session: string, at: string) =>
  JSON.stringify({ user_id: user, session_id: session, role: 'user', timestamp: at });
const APP_URL = 'http://localhost:8080/apps/dummy-app/';
const ready = (session: string) =>
  JSON.stringify({ session_id: session, redirect_url: APP_URL, app_name: 'dummy-app' });

/** A conversation of two logins, one answered, and a bad ready with its dead letter. */
const records: HistoryRecord[] = [
  {
    received_at: '2026-12-03T10:00:00.000Z',
    topic: 'modt/auth/success',
    payload: login('alice', ALICE, '2026-12-03T10:00:00.000Z'),
    encoding: 'utf8',
    json: true,
  },
  {
    received_at: '2026-12-03T10:00:00.010Z',
    topic: 'modt/app/ready',
    payload: ready(ALICE),
    encoding: 'utf8',
    json: true,
  },
  {
    received_at: '2026-12-03T11:00:00.000Z',
    topic: 'modt/auth/success',
    payload: login('bob', BOB, '2026-12-03T11:00:00.000Z'),
    encoding: 'utf8',
    json: true,
  },
  {
    received_at: '2026-12-03T11:00:00.010Z',
    topic: 'modt/app/ready',
    payload: `{'session_id': '${BOB}'}`,
    encoding: 'utf8',
    json: false,
    error: 'MODT_ERR_PAYLOAD_NOT_JSON',
  },
  {
    received_at: '2026-12-03T11:00:00.020Z',
    topic: 'modt/dead/gateway',
    payload: JSON.stringify({
      unit: 'gateway',
      topic: 'modt/app/ready',
      code: 'MODT_ERR_PAYLOAD_NOT_JSON',
      reason: 'payload is not strict JSON',
      excerpt: `{'session_id': '${BOB}'}`,
      excerpt_encoding: 'utf8',
      bytes: 54,
      timestamp: '2026-12-03T11:00:00.020Z',
    }),
    encoding: 'utf8',
    json: true,
  },
];

/** A history file holding `records`, removed after the test. */
async function historyFile(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'modt-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'history.jsonl');
  const store = new FileStore(file);
  await store.append(records);
  await store.close();
  return file;
}

const lines = (text: string) => text.trim().split('\n').filter(Boolean);

// Each test starts modt in a process of its own: a few at once keep the file within its time.
const CONCURRENCY = { concurrency: 4 };

describe('modt history', CONCURRENCY, () => {
  test('prints the file store oldest first, one line of key fields per record', async (t) => {
    const file = await historyFile(t);
    const table = await modt(['history'], { env: { MODT_HISTORY_FILE: file } });
    assert.equal(table.code, 0, table.stderr);
    const rows = lines(table.stdout);
    assert.equal(rows.length, 5);
    assert.match(rows[0]!, /^2026-12-03T10:00:00.000Z {2}modt\/auth\/success +user_id=alice/);
    assert.match(rows[0]!, new RegExp(`session_id=${ALICE}`));
    assert.ok(rows[1]!.endsWith(`app_name=dummy-app redirect_url=${APP_URL}`));
    assert.match(rows[3]!, /refused MODT_ERR_PAYLOAD_NOT_JSON: /);
    assert.match(rows[4]!, /unit=gateway topic=modt\/app\/ready code=MODT_ERR_PAYLOAD_NOT_JSON/);
  });

  test('with --json prints each record as stored, and --limit keeps the newest', async (t) => {
    const file = await historyFile(t);
    const env = { MODT_HISTORY_FILE: file };
    const json = await modt(['history', '--json', '--limit', '1'], { env });
    const entry = JSON.parse(json.stdout);
    assert.equal(entry.topic, 'modt/dead/gateway');
    assert.equal(entry.json, true);
  });

  const filters: { args: string[]; topics: string[] }[] = [
    {
      args: ['--since', '2026-12-03T10:30Z'],
      topics: ['auth/success', 'app/ready', 'dead/gateway'],
    },
    { args: ['--until', '2026-12-03T10:30:00Z'], topics: ['auth/success', 'app/ready'] },
    { args: ['--topic', 'modt/app/+'], topics: ['app/ready', 'app/ready'] },
    { args: ['--topic', 'modt/dead/#'], topics: ['dead/gateway'] },
    { args: ['--session', ALICE], topics: ['auth/success', 'app/ready'] },
    { args: ['--user', 'bob'], topics: ['auth/success', 'app/ready', 'dead/gateway'] },
    { args: ['--user', 'bob', '--topic', 'modt/dead/+'], topics: ['dead/gateway'] },
    {
      args: ['--since', '2026-12-03T10:00:00.005Z', '--until', '2026-12-03T11:00:00Z'],
      topics: ['app/ready', 'auth/success'],
    },
  ];
  for (const { args, topics } of filters) {
    test(`${args.join(' ')} takes the records ${topics.join(', ')}`, async (t) => {
      const file = await historyFile(t);
      const env = { MODT_HISTORY_FILE: file };
      const result = await modt(['history', '--json', ...args], { env });
      assert.equal(result.code, 0, result.stderr);
      const taken = lines(result.stdout).map((l) => JSON.parse(l).topic.replace(/^modt\//, ''));
      assert.deepEqual(taken, topics);
    });
  }

  test('a query that matches nothing says so, naming the store it read', async (t) => {
    const file = await historyFile(t);
    const result = await modt(['history', '--topic', 'modt/none/+'], {
      env: { MODT_HISTORY_FILE: file },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr, `no records matched in ${file}\n`);
  });

  test('reads the Redis stream when MODT_REDIS_URL is set', async (t) => {
    const redis = await startRedis();
    t.after(() => redis.stop());
    const store = new RedisStreamStore({ url: redis.url });
    t.after(() => store.close());
    await store.append(records);

    const env = { MODT_REDIS_URL: redis.url };
    const result = await modt(['history', '--json', '--user', 'alice'], { env });
    assert.equal(result.code, 0, result.stderr);
    const topics = lines(result.stdout).map((l) => JSON.parse(l).topic);
    assert.deepEqual(topics, ['modt/auth/success', 'modt/app/ready']);
  });
});

describe('modt replay', CONCURRENCY, () => {
  test('shows what a unit would publish for each recorded message it reads', async (t) => {
    const file = await historyFile(t);
    const env = { MODT_HISTORY_FILE: file, MODT_PUBLIC_URL: 'https://modt.example' };
    const result = await modt(['replay', '--unit', 'dummy-app'], { env });
    assert.equal(result.code, 0, result.stderr);
    const out = lines(result.stdout);
    assert.match(out[0]!, /modt\/auth\/success +user_id=alice/);
    const display = /^ {4}would publish modt\/app\/display\/dummy-app .*title="Welcome, alice"/;
    assert.match(out[1]!, display);
    assert.match(out[2]!, /^ {4}would publish modt\/app\/ready /);
    assert.ok(out[2]!.endsWith('redirect_url=https://modt.example/apps/dummy-app/'));
    assert.match(out[3]!, /modt\/auth\/success +user_id=bob/);
    assert.match(out[5]!, /^ {4}would publish modt\/app\/ready /);
    assert.equal(out.length, 6, 'only the logins: dummy-app reads nothing else');
    assert.match(result.stderr, /replayed 2 of 5 records through dummy-app: 2 handled, 0 refused/);
  });

  test('takes the same filters as history and says each refusal with its code', async (t) => {
    const file = await historyFile(t);
    const env = { MODT_HISTORY_FILE: file };
    const bad = { ...records[0]!, payload: '{"user_id":"eve"}' };
    const store = new FileStore(file);
    await store.append([{ ...bad, received_at: '2026-12-03T12:00:00.000Z' }]);
    await store.close();

    const args = ['replay', '--unit', 'dummy-app', '--since', '2026-12-03T11:30:00Z', '--json'];
    const result = await modt(args, { env });
    assert.equal(result.code, 0, result.stderr);
    const [outcome, ...more] = lines(result.stdout).map((l) => JSON.parse(l));
    assert.equal(more.length, 0);
    assert.equal(outcome.record.payload, '{"user_id":"eve"}');
    assert.equal(outcome.refused.code, 'MODT_ERR_PAYLOAD_INVALID');
  });

  test('records what the monitor would store, also of a message no schema takes', async (t) => {
    const file = await historyFile(t);
    const result = await modt(['replay', '--unit', 'monitor', '--topic', 'modt/app/ready'], {
      env: { MODT_HISTORY_FILE: file },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout).filter((l) => l.startsWith('    ')), [
      '    would record modt/app/ready',
      '    would record modt/app/ready [MODT_ERR_PAYLOAD_NOT_JSON]',
    ]);
  });
});

describe('modt users', CONCURRENCY, () => {
  test('add takes the password from standard input and stores only its hash', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'modt-cli-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'users.json');

    const args = ['users', 'add', 'alice', '--role', 'admin', '--file', file];
    const added = await modt(args, { input: 'wonderland\n' });
    assert.equal(added.code, 0, added.stderr);
    assert.doesNotMatch(added.stdout + added.stderr, /wonderland/);
    const store = await UserStore.load(file);
    assert.deepEqual(await store.check('alice', 'wonderland'), { userId: 'alice', role: 'admin' });

    const listed = await modt(['users', 'list', '--file', file]);
    assert.equal(listed.stdout, 'alice\tadmin\n');
  });

  test('remove takes a user out, and says so when there was none', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'modt-cli-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'users.json');
    for (const name of ['alice', 'bob']) {
      assert.equal((await modt(['users', 'add', name, '--file', file], { input: 'pw\n' })).code, 0);
    }

    const removed = await modt(['users', 'remove', 'alice', '--file', file]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal((await modt(['users', 'list', '--file', file])).stdout, 'bob\tuser\n');
    assert.equal(await (await UserStore.load(file)).check('alice', 'pw'), null);

    const again = await modt(['users', 'remove', 'alice', '--file', file]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /no user 'alice' in /);
  });
});
