import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { loadUnits } from '../router/index.ts';
import { runModt } from './support/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FOLDERS = ['bin', 'deploy', 'functions', 'gateway', 'protocol', 'router', 'stack'];
const FILES = ['package.json', 'tsconfig.json', 'build.mjs', 'docker-compose.yml', 'asyncapi.yaml'];

/**
 * A copy of what `modt new` reads and writes, beside the repository's node_modules: the
 * repository's own functions/ stays as it is.
 */
async function repositoryCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'modt-new-'));
  for (const folder of FOLDERS) {
    await cp(join(ROOT, folder), join(dir, folder), { recursive: true });
  }
  for (const file of FILES) await copyFile(join(ROOT, file), join(dir, file));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

describe('modt new hello-app, in a copy of the repository', () => {
  let dir: string;
  let created: Awaited<ReturnType<typeof runModt>>;
  before(async () => {
    dir = await repositoryCopy();
    created = await runModt(['new', 'hello-app'], { cwd: dir });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('writes the unit and its test and brings the derived files up to date', () => {
    assert.equal(created.code, 0, created.stderr);
    const said = created.stdout;
    assert.ok(said.includes('created functions/hello-app.ts and functions/hello-app.test.ts'));
    assert.ok(said.includes('wrote docker-compose.yml, deploy/mosquitto/acl, asyncapi.yaml'));
    assert.ok(existsSync(join(dir, 'functions/hello-app.ts')));
    assert.ok(!existsSync(join(ROOT, 'functions/hello-app.ts')), 'the repository is untouched');
  });

  test('the unit is in the compose file, the broker ACL and the AsyncAPI document', async () => {
    const compose = parse(await readFile(join(dir, 'docker-compose.yml'), 'utf8'));
    assert.equal(compose.services['hello-app'].build.args.UNIT, 'hello-app');
    const acl = await readFile(join(dir, 'deploy/mosquitto/acl'), 'utf8');
    const grant =
      'user hello-app\ntopic read modt/auth/success\ntopic write modt/app/display/hello-app\n';
    assert.ok(acl.includes(grant), acl);
    const asyncapi = parse(await readFile(join(dir, 'asyncapi.yaml'), 'utf8'));
    const send = asyncapi.operations['hello-app.send.modt-app-display-app_name'];
    assert.equal(send.action, 'send');
    for (const command of ['deploy', 'asyncapi']) {
      const checked = await runModt([command, '--check'], { cwd: dir });
      assert.equal(checked.code, 0, `${command} is current`);
    }
  });

  test('npm start loads it and the build bundles it, both from functions/', async () => {
    const units = await loadUnits(join(dir, 'functions'));
    assert.ok(units.some((u) => u.name === 'hello-app'));
    const build = (await import(pathToFileURL(join(dir, 'build.mjs')).href)) as {
      unitNames(): string[];
    };
    assert.ok(build.unitNames().includes('hello-app'));
  });

  test('its test passes as written', () => {
    const args = ['--import', 'tsx', '--test', 'functions/hello-app.test.ts'];
    // Its own environment: a test runner's child would report to this runner instead.
    const env = { PATH: process.env.PATH ?? '' };
    const run = spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /^# pass 3$/m);
  });

  test('a second modt new of the same name overwrites nothing and exits 1', async () => {
    const before = await readFile(join(dir, 'functions/hello-app.ts'), 'utf8');
    const again = await runModt(['new', 'hello-app'], { cwd: dir });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /functions\/hello-app\.ts exists; nothing was written/);
    assert.equal(await readFile(join(dir, 'functions/hello-app.ts'), 'utf8'), before);
  });
});

const badNames = ['Hello', 'hello_app', '1app', 'hello--app', '-app', 'app-', 'redis'];
badNames.push('x'.repeat(51));
for (const name of badNames) {
  const shown = name.length > 20 ? `${name.slice(0, 8)}... (${name.length} characters)` : name;
  test(`modt new refuses the name '${shown}'`, async () => {
    const result = await runModt(['new', name]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^modt: new: /);
  });
}
