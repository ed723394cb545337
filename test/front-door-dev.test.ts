import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { freePort, startStack, type StackProcess } from './support/index.ts';

const ROUTER = pathToFileURL(fileURLToPath(new URL('../router/index.ts', import.meta.url))).href;

/** A unit file that answers nothing, of the given unit name. */
const unit = (name: string) => `import { RAW, defineUnit } from '${ROUTER}';
export default defineUnit({
  name: '${name}',
  subscribe: { 'modt/test/${name}': RAW },
  publishes: [],
  handle: () => [],
});
`;

/** Resolves with the first line of the stack's output after `from` that holds `text`. */
async function lineWith(stack: StackProcess, text: string, from: number): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const line = stack.output().slice(from).split('\n').find((l) => l.includes(text));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no '${text}':\n${stack.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test('npm run dev says a new file that cannot run was not added, and why', async (t) => {
  const folder = await mkdtemp(join(tmpdir(), 'modt-front-door-dev-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  await writeFile(join(folder, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(folder, 'one.ts'), unit('one'));
  const env = {
    MODT_FUNCTIONS_DIR: folder,
    MODT_HISTORY_FILE: join(folder, 'history.jsonl'),
    MODT_BROKER_PORT: '0',
    MODT_HOST: '127.0.0.1',
    PORT: String(await freePort()),
  };
  const stack = await startStack(env, 20_000, 'stack/dev.ts');
  t.after(() => stack.stop());
  await lineWith(stack, 'watching units', 0);

  const saves = [
    { file: 'broken.ts', text: 'export default {', reason: /Expected identifier/ },
    { file: 'gateway.ts', text: unit('gateway'), reason: /'modt-gateway' is the client id/ },
  ];
  for (const { file, text, reason } of saves) {
    const from = stack.output().length;
    await writeFile(join(folder, file), text);
    const line = await lineWith(stack, `"file":"${file}"`, from);
    assert.match(line, /stack: unit not added /);
    assert.match(line, reason);
  }
});
