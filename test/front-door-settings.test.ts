import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test, type TestContext } from 'node:test';
import { hashPassword, type UserRecord } from '../gateway/index.ts';
import { RAW, defineUnit } from '../router/index.ts';
import { SETTING_NAMES, unknownSettings } from '../stack/setting-names.ts';
import { freePort, startStack } from './support/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const greeter = defineUnit({
  name: 'greeter',
  subscribe: { 'modt/test/greet': RAW },
  publishes: [],
  settings: { greetingText: 'hello' },
  handle: () => [],
});

test('a MODT_ variable read by nothing is found, with the setting it is a slip of', () => {
  const env = {
    MODT_REDIS_URI: 'redis://127.0.0.1:6379',
    MODT_GREETING_TEXT: 'hi',
    MODT_PUBLIC_URL: 'http://localhost:8080',
    MODT_WHATEVER_ELSE: '1',
    PATH: '/usr/bin',
  };
  assert.deepEqual(unknownSettings(env, [greeter]), [
    { name: 'MODT_REDIS_URI', nearest: 'MODT_REDIS_URL' },
    { name: 'MODT_WHATEVER_ELSE', nearest: undefined },
  ]);
});

/** The `MODT_*` names (not error codes) that the files under `folder` spell out. */
function namesIn(folder: string): Set<string> {
  const names = new Set<string>();
  for (const path of readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })) {
    if (!/\.(ts|mjs)$/.test(path) || path.endsWith(THIS_FILE)) continue;
    const text = readFileSync(join(ROOT, folder, path), 'utf8');
    for (const [name] of text.matchAll(/MODT_[A-Z0-9_]*[A-Z0-9]/g)) {
      if (name !== 'MODT_ERR' && !name.startsWith('MODT_ERR_')) names.add(name);
    }
  }
  return names;
}

/** This file names variables that are not settings, on purpose. */
const THIS_FILE = 'front-door-settings.test.ts';
const FOLDERS = ['bin', 'deploy', 'functions', 'gateway', 'protocol', 'router', 'scripts', 'stack'];

test('every MODT_ variable the code, the tests and README.md name is a known setting', () => {
  const named = new Set([...FOLDERS, 'test'].flatMap((folder) => [...namesIn(folder)]));
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  for (const [, name] of readme.matchAll(/^\| `(MODT_[A-Z0-9_]+)` \|/gm)) named.add(name!);
  for (const [name] of readFileSync(join(ROOT, 'build.mjs'), 'utf8').matchAll(/MODT_\w+/g)) {
    named.add(name);
  }
  const unknown = [...named].filter((name) => !SETTING_NAMES.has(name));
  assert.deepEqual(unknown, [], 'add them to stack/setting-names.ts');
});

test("npm start's banner names an ignored MODT_ variable and the setting meant", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'modt-front-door-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const env = {
    MODT_BROKER_PORT: '0',
    MODT_HOST: '127.0.0.1',
    MODT_HISTORY_FILE: join(dir, 'history.jsonl'),
    MODT_REDIS_URI: 'redis://127.0.0.1:6379',
    PORT: String(await freePort()),
  };
  const stack = await startStack(env);
  t.after(() => stack.stop());
  const banner = stack.output().slice(stack.output().indexOf('MoDT is up'));
  assert.match(banner, /^Not a setting, ignored: MODT_REDIS_URI \(meant MODT_REDIS_URL\?\)\.$/m);
  assert.match(stack.output(), /"variable":"MODT_REDIS_URI","nearest":"MODT_REDIS_URL"/);
});

describe('npm start refuses a MODT_HISTORY_FILE it cannot write', { concurrency: 2 }, () => {
  const cases = [
    { history: (dir: string) => dir, said: /MODT_HISTORY_FILE: expected a file, got .* a folder/ },
    { history: () => '/proc/modt-history.jsonl', said: /MODT_HISTORY_FILE: cannot write '\/proc/ },
  ];
  for (const { history, said } of cases) {
    test(`MODT_HISTORY_FILE=${history("<folder>")} stops it with a line naming it`, async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'modt-front-door-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const env = {
        MODT_BROKER_PORT: '0',
        MODT_HOST: '127.0.0.1',
        MODT_HISTORY_FILE: history(dir),
        PORT: String(await freePort()),
      };
      const stopped = await startStack(env).then(
        async (stack) => assert.fail(`it started:\n${stack.output()}${await stack.stop()}`),
        (err: Error) => err.message,
      );
      assert.match(stopped, /exited with 1/);
      assert.match(stopped, /"code":"MODT_ERR_SETTING_INVALID"/);
      assert.match(stopped, said);
    });
  }
});

describe('npm start with a MODT_USERS_FILE', { concurrency: 2 }, () => {
  /** A stack's environment on free ports, its users file holding `users`. */
  async function withUsers(t: TestContext, users: UserRecord[]): Promise<Record<string, string>> {
    const dir = await mkdtemp(join(tmpdir(), 'modt-front-door-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'users.json');
    await writeFile(file, JSON.stringify({ users }));
    return {
      MODT_BROKER_PORT: '0',
      MODT_HOST: '127.0.0.1',
      MODT_HISTORY_FILE: join(dir, 'history.jsonl'),
      MODT_USERS_FILE: file,
      PORT: String(await freePort()),
    };
  }

  test('that holds no user stops with a line saying how to add one', async (t) => {
    const env = await withUsers(t, []);
    const stopped = await startStack(env).then(
      async (stack) => assert.fail(`it started:\n${stack.output()}${await stack.stop()}`),
      (err: Error) => err.message,
    );
    assert.match(stopped, /"code":"MODT_ERR_USERS_FILE_INVALID"/);
    assert.match(stopped, /holds no user, so no one could sign in \(npm run modt -- users add/);
  });

  test('that holds no admin says in its banner that /monitor wants one', async (t) => {
    const password = await hashPassword('a password');
    const env = await withUsers(t, [{ username: 'bob', role: 'user', password }]);
    const stack = await startStack(env);
    t.after(() => stack.stop());
    const add = `npm run modt -- users add NAME --role admin --file ${env.MODT_USERS_FILE}`;
    const said = `signed in as an admin, which that file has none of (${add})`;
    assert.ok(stack.output().includes(said), stack.output());
  });
});
