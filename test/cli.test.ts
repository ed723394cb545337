import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { FileStore, RedisStreamStore, type HistoryRecord } from '../router/index.ts';
import { UserStore } from '../gateway/index.ts';
import { startRedis } from './support/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs `modt` with arguments, an environment and standard input; resolves code and output. */
function modt(args: string[], env: Record<string, string> = {}, input = '') {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/modt.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  child.stdin.end(input);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const records: HistoryRecord[] = [
  { received_at: '2026-12-03T10:00:00.000Z', topic: 'modt/auth/success', payload: '{"user_id":"demo"}', encoding: 'utf8', json: true },
  { received_at: '2026-12-03T10:00:00.010Z', topic: 'modt/app/ready', payload: "{'bad': 1}", encoding: 'utf8', json: false, error: 'MODT_ERR_PAYLOAD_NOT_JSON' },
];

test('modt history prints the file store newest last, as a table or JSON lines', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'modt-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'history.jsonl');
  const store = new FileStore(file);
  await store.append(records);

  const table = await modt(['history'], { MODT_HISTORY_FILE: file });
  assert.equal(table.code, 0);
  const lines = table.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^2026-12-03T10:00:00.000Z  modt\/auth\/success/);
  assert.match(lines[1]!, /\[MODT_ERR_PAYLOAD_NOT_JSON\]$/);

  const json = await modt(['history', '--json', '--limit', '1'], { MODT_HISTORY_FILE: file });
  const entry = JSON.parse(json.stdout);
  assert.equal(entry.topic, 'modt/app/ready');
  assert.equal(entry.json, false);
});

test('modt history reads the Redis stream when MODT_REDIS_URL is set', async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const store = new RedisStreamStore({ url: redis.url });
  t.after(() => store.close());
  await store.append(records);

  const result = await modt(['history', '--json'], { MODT_REDIS_URL: redis.url });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout.trim().split('\n').map((l) => JSON.parse(l).topic), ['modt/auth/success', 'modt/app/ready']);
});

test('modt users add takes the password from standard input and stores only its hash', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'modt-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'users.json');

  const added = await modt(['users', 'add', 'alice', '--role', 'admin', '--file', file], {}, 'wonderland\n');
  assert.equal(added.code, 0, added.stderr);
  assert.doesNotMatch(added.stdout + added.stderr, /wonderland/);
  const store = await UserStore.load(file);
  assert.deepEqual(await store.check('alice', 'wonderland'), { userId: 'alice', role: 'admin' });

  const listed = await modt(['users', 'list', '--file', file]);
  assert.equal(listed.stdout, 'alice\tadmin\n');
});

const misuse: { args: string[]; message: RegExp }[] = [
  { args: [], message: /history/ },
  { args: ['frobnicate'], message: /unknown command 'frobnicate'/ },
  { args: ['history', '--limit', 'ten'], message: /--limit: expected a positive integer, got 'ten'/ },
  { args: ['users', 'add'], message: /expected a username/ },
  { args: ['users', 'remove-all'], message: /expected add or list/ },
];
for (const { args, message } of misuse) {
  test(`modt ${args.join(' ') || '(nothing)'} exits 2 with a clear message`, async () => {
    const result = await modt(args);
    assert.equal(result.code, 2);
    assert.match(result.stdout + result.stderr, message);
  });
}
