import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { quietUnit, startStack, unitFolderEnv, type StackProcess } from './support/index.ts';

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
  const env = await unitFolderEnv(t, { 'one.ts': quietUnit('one') });
  const folder = env.MODT_FUNCTIONS_DIR!;
  const stack = await startStack(env, 20_000, 'stack/dev.ts');
  t.after(() => stack.stop());
  await lineWith(stack, 'watching units', 0);

  const saves = [
    { file: 'broken.ts', text: 'export default {', reason: /Expected identifier/ },
    { file: 'gateway.ts', text: quietUnit('gateway'), reason: /'modt-gateway' is the client id/ },
  ];
  for (const { file, text, reason } of saves) {
    const from = stack.output().length;
    await writeFile(join(folder, file), text);
    const line = await lineWith(stack, `"file":"${file}"`, from);
    assert.match(line, /stack: unit not added /);
    assert.match(line, reason);
  }
});
