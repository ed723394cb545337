import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { runModt as modt } from './support/index.ts';

// Each test starts modt in a process of its own: a few at once keep the file within its time.
const CONCURRENCY = { concurrency: 4 };

test('modt replay with a MODT_FUNCTIONS_DIR that is no folder exits 1 naming it', async () => {
  const env = { MODT_FUNCTIONS_DIR: '/nowhere/at/all' };
  const result = await modt(['replay', '--unit', 'x'], { env });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /MODT_ERR_SETTING_INVALID: MODT_FUNCTIONS_DIR: expected a folder/);
});

test('modt replay on a unit not named after its file exits 1 naming the file', async (t) => {
  const folder = await mkdtemp(join(tmpdir(), 'modt-cli-usage-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  await writeFile(join(folder, 'package.json'), '{ "type": "module" }\n');
  const router = pathToFileURL(fileURLToPath(new URL('../router/index.ts', import.meta.url)));
  const unit = `import { RAW, defineUnit } from '${router.href}';
export default defineUnit({ name: 'other', subscribe: { 'modt/x': RAW }, publishes: [],
  handle: () => [] });
`;
  await writeFile(join(folder, 'mine.ts'), unit);
  const result = await modt(['replay', '--unit', 'other'], { env: { MODT_FUNCTIONS_DIR: folder } });
  assert.equal(result.code, 1);
  const said = "modt: mine.ts: its unit is named 'other'; a unit is named after its file ('mine')";
  assert.equal(result.stderr, `${said}\n`);
});

const COMMANDS = ['new', 'tail', 'history', 'replay', 'users', 'asyncapi', 'deploy', 'secrets'];

describe('modt --help', CONCURRENCY, () => {
  for (const command of COMMANDS) {
    test(`modt ${command} --help prints its usage and exits 0`, async () => {
      const result = await modt([command, '--help']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^modt ${command}`));
    });
  }

  test('modt --help lists every command', async () => {
    const result = await modt(['--help']);
    assert.equal(result.code, 0);
    for (const command of COMMANDS) assert.match(result.stdout, new RegExp(`^  ${command} `, 'm'));
  });
});

const misuse: { args: string[]; message: RegExp }[] = [
  { args: [], message: /history/ },
  { args: ['frobnicate'], message: /unknown command 'frobnicate'/ },
  { args: ['history', '--limit', 'ten'], message: /--limit: expected a positive integer/ },
  { args: ['history', '--since', 'yesterday'], message: /--since: expected an ISO 8601 time/ },
  { args: ['history', '--since', '2026-02-30'], message: /--since: expected an ISO 8601 time/ },
  { args: ['history', '--session', ''], message: /--session: expected an id, got ''/ },
  { args: ['replay', '--unit', 'monitor', '--user', ''], message: /--user: expected an id/ },
  { args: ['help', 'nope'], message: /help: unknown command 'nope'/ },
  { args: ['history', '--until', '2026-13-45'], message: /--until: expected an ISO 8601 time/ },
  { args: ['history', '--topic', 'modt/#/x'], message: /--topic: expected an MQTT topic filter/ },
  {
    args: ['history', '--frobnicate'],
    message: /history: unknown option '--frobnicate'; expected one of --since, --until/,
  },
  { args: ['tail', '--cnt', '3'], message: /tail: unknown option '--cnt'; expected one of --co/ },
  { args: ['replay'], message: /replay: expected --unit NAME/ },
  { args: ['replay', '--unit', 'nope'], message: /no unit named 'nope'; there are dummy-app/ },
  { args: ['tail', 'modt/+x'], message: /tail: expected an MQTT topic filter/ },
  { args: ['tail', '--count', '0'], message: /--count: expected a positive integer, got '0'/ },
  { args: ['users', 'add'], message: /expected a username/ },
  { args: ['users', 'remove'], message: /users remove: expected a username/ },
  { args: ['users', 'remove-all'], message: /expected add, remove or list/ },
  // Said before a password is asked for; with none given, the empty one would be said.
  { args: ['users', 'add', 'bad name'], message: /users add: expected a username of 1-64/ },
  { args: ['users', 'add', 'bob', '--role', 'Admin'], message: /--role: expected a lowercase/ },
  { args: ['users', 'list', '--file', '/'], message: /--file: expected a users file, got '\/'/ },
  {
    args: ['users', 'add', 'bob', '--file', '/no/such/folder/users.json'],
    message: /--file: expected a file in a folder that exists, got '\/no\/such/,
  },
  { args: ['new'], message: /new: expected a unit name/ },
  { args: ['new', 'Hello_App'], message: /expected a lowercase kebab-case name/ },
  { args: ['new', 'gateway'], message: /'gateway' names a part of the deployment/ },
  { args: ['secrets'], message: /secrets: expected --dir DIR/ },
  // In dist/, which git ignores, should the refusal ever be lost.
  {
    args: ['secrets', '--dir', 'dist/modt-secrets-test'],
    message: /secrets: expected a folder outside the repository/,
  },
  { args: ['secrets', '--dir', process.execPath], message: /expected a folder, got .* a file/ },
];
describe('a bad argument', CONCURRENCY, () => {
  for (const { args, message } of misuse) {
    test(`modt ${args.join(' ') || '(nothing)'} exits 2 with a clear message`, async () => {
      const result = await modt(args);
      assert.equal(result.code, 2);
      assert.match(result.stdout + result.stderr, message);
    });
  }
});
