import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from './free-port.ts';

const ROUTER = pathToFileURL(fileURLToPath(new URL('../../router/index.ts', import.meta.url))).href;

/** The source of a unit file that answers nothing, of the given unit name. */
export function quietUnit(name: string): string {
  return `import { RAW, defineUnit } from '${ROUTER}';
export default defineUnit({
  name: '${name}',
  subscribe: { 'modt/test/${name}': RAW },
  publishes: [],
  handle: () => [],
});
`;
}

/**
 * The environment of a stack on free ports whose units are `files` (name → source), in a
 * folder of its own that is removed after the test: `MODT_FUNCTIONS_DIR` names it.
 */
export async function unitFolderEnv(
  t: { after(fn: () => Promise<void>): void },
  files: Record<string, string>,
): Promise<Record<string, string>> {
  const folder = await mkdtemp(join(tmpdir(), 'modt-front-door-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  await writeFile(join(folder, 'package.json'), '{ "type": "module" }\n');
  for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text);
  return {
    MODT_FUNCTIONS_DIR: folder,
    MODT_HISTORY_FILE: join(folder, 'history.jsonl'),
    MODT_BROKER_PORT: '0',
    MODT_HOST: '127.0.0.1',
    PORT: String(await freePort()),
  };
}
