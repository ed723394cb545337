import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GUIDES = ['README.md', 'docs/PROTOCOL.md', 'functions/README.md'];
/** The files the README's walk-through has `modt new hello-app` write. */
const WRITTEN_BY_THE_READER = new Set(['functions/hello-app.ts', 'functions/hello-app.test.ts']);

/** The repository paths a guide names: its links, and `folder/file.ext` in code spans. */
function pathsIn(text: string): string[] {
  const links = [...text.matchAll(/\]\(([\w./-]+\.\w+)\)/g)].map((m) => m[1]!);
  const spans = [...text.matchAll(/`((?:[\w.-]+\/)+[\w.-]+\.(?:md|png|ts|yml|yaml|mjs|json))`/g)];
  return [...links, ...spans.map((m) => m[1]!)];
}

for (const guide of GUIDES) {
  test(`every file ${guide} names is in the repository`, () => {
    const text = readFileSync(join(ROOT, guide), 'utf8');
    const missing = pathsIn(text).filter((path) => {
      if (WRITTEN_BY_THE_READER.has(path)) return false;
      return !existsSync(join(ROOT, path)) && !existsSync(join(ROOT, dirname(guide), path));
    });
    assert.deepEqual(missing, []);
  });
}

/** Read by name in the gateway's and a unit's settings, not a knob for users. */
const UNDOCUMENTED = new Set(['MODT_UWS_BINARY']);

test("every MODT_ variable the gateway and the router read is in README.md's settings", () => {
  const read = new Set<string>();
  for (const folder of ['gateway', 'router']) {
    for (const path of readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })) {
      if (!path.endsWith('.ts') || path.endsWith('.test.ts')) continue;
      const text = readFileSync(join(ROOT, folder, path), 'utf8');
      for (const [, name] of text.matchAll(/(?:['`]|env\.)(MODT_[A-Z0-9_]*[A-Z0-9])\b/g)) {
        if (!name!.startsWith('MODT_ERR_')) read.add(name!);
      }
    }
  }
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const rows = new Set([...readme.matchAll(/^\| `(MODT_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
  const missing = [...read].filter((name) => !rows.has(name) && !UNDOCUMENTED.has(name));
  assert.deepEqual(missing.sort(), []);
});
