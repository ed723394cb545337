import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCodes } from '../protocol/index.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import { UserStore, putUser, readUsersFile } from './user-store.ts';

const COST = { logN: 10, r: 8, p: 1 };

test('a password hash is a PHC scrypt string that verifies only its password', async () => {
  const hash = await hashPassword('correct horse', COST);
  assert.match(hash, /^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
  assert.equal(await verifyPassword('correct horse', hash), true);
  assert.equal(await verifyPassword('correct hors', hash), false);
  assert.equal(await verifyPassword('correct horse', 'plain-text'), false);
});

test('two hashes of one password differ by their salt', async () => {
  assert.notEqual(await hashPassword('same', COST), await hashPassword('same', COST));
});

test('the user store names the user and role of a correct login and nothing else', async () => {
  const store = new UserStore([
    { username: 'alice', role: 'admin', password: await hashPassword('pw', COST) },
  ]);
  assert.deepEqual(await store.check('alice', 'pw'), { userId: 'alice', role: 'admin' });
  assert.equal(await store.check('alice', 'nope'), null);
  assert.equal(await store.check('bob', 'pw'), null);
});

test('putUser writes a private users file that the gateway reads back', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'modt-users-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'users.json');

  await putUser(path, { username: 'alice', role: 'user', password: 'one' }, COST);
  await putUser(path, { username: 'bob', role: 'admin', password: 'two' }, COST);
  await putUser(path, { username: 'alice', role: 'admin', password: 'three' }, COST);

  assert.equal((await stat(path)).mode & 0o777, 0o600);
  assert.doesNotMatch(await readFile(path, 'utf8'), /"(one|two|three)"/);
  const users = await readUsersFile(path);
  assert.deepEqual(
    users.map((u) => [u.username, u.role]),
    [
      ['bob', 'admin'],
      ['alice', 'admin'],
    ],
  );
  const store = await UserStore.load(path);
  assert.deepEqual(await store.check('alice', 'three'), { userId: 'alice', role: 'admin' });
});

const badFiles: { name: string; text: string; message: RegExp }[] = [
  { name: 'not JSON', text: '{users: []}', message: /JSON/ },
  { name: 'no users list', text: '{}', message: /users/ },
  {
    name: 'a plain-text password',
    text: '{"users":[{"username":"a","role":"user","password":"pw"}]}',
    message: /no scrypt hash/,
  },
  {
    name: 'a bad role',
    text: '{"users":[{"username":"a","role":"Root!","password":"$scrypt$ln=1,r=1,p=1$YQ$YQ"}]}',
    message: /role/,
  },
];
for (const { name, text, message } of badFiles) {
  test(`a users file with ${name} stops start-up with ${ErrorCodes.USERS_FILE_INVALID}`,
    async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'modt-users-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'users.json');
    await writeFile(path, text);
    await assert.rejects(UserStore.load(path), (err: Error & { code?: string }) => {
      assert.equal(err.code, ErrorCodes.USERS_FILE_INVALID);
      assert.match(err.message, message);
      return true;
    });
  });
}
