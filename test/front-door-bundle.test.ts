import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DIST } from './support/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('node dist/modt.cjs says which commands it has when one needs the units', async (t) => {
  // A checkout of its own, so that a `new` that wrote anything would write it there.
  const root = await mkdtemp(join(tmpdir(), 'modt-front-door-bundle-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, 'dist'));
  await mkdir(join(root, 'functions'));
  await copyFile(join(DIST, 'modt.cjs'), join(root, 'dist', 'modt.cjs'));
  await copyFile(join(ROOT, 'package.json'), join(root, 'package.json'));
  await copyFile(join(ROOT, 'functions', 'dummy-app.ts'), join(root, 'functions', 'dummy-app.ts'));

  for (const args of [['new', 'hello-app'], ['replay', '--unit', 'dummy-app'], ['deploy']]) {
    const run = spawnSync(process.execPath, ['dist/modt.cjs', ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', MODT_HISTORY_FILE: join(root, 'history.jsonl') },
    });
    assert.equal(run.status, 1, run.stderr);
    const said = `modt: ${args[0]} loads the TypeScript units of ${join(root, 'functions')}`;
    assert.ok(run.stderr.startsWith(said), run.stderr);
    assert.match(run.stderr, /run npm run modt -- \w+ \(node dist\/modt.cjs has tail, history/);
  }
  assert.deepEqual(await readdir(join(root, 'functions')), ['dummy-app.ts'], 'nothing written');
});
