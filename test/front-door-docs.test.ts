import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
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
