import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAsyncApi } from '../deploy/asyncapi.ts';
import { flag, type Command } from './command.ts';
import { writeDerived, type DerivedFile } from './deploy-command.ts';
import { loadCommandUnits } from './load-units.ts';
import { FUNCTIONS, ROOT } from './paths.ts';

/** asyncapi.yaml, with what protocol/, the units and the gateway's topics make of it. */
export async function asyncApiFile(command = 'asyncapi'): Promise<DerivedFile> {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  const units = await loadCommandUnits(FUNCTIONS, command);
  return { path: join(ROOT, 'asyncapi.yaml'), text: renderAsyncApi(units, version) };
}

/** `modt asyncapi [--check]`. */
export const asyncApiCommand: Command = {
  name: 'asyncapi',
  summary: 'writes asyncapi.yaml, the AsyncAPI 3 document of every topic',
  help: `modt asyncapi [--check]

  Writes asyncapi.yaml: every topic of the bus as an AsyncAPI 3 channel, its payload the
  JSON Schema of protocol/schemas.ts, and what each unit and the gateway reads and writes
  as operations. modt new runs it for you; a test fails while the file is stale.

      --check    only says whether it is current (exit 1 if not)
`,
  options: { check: { type: 'boolean' } },
  run: async (parsed) => writeDerived([await asyncApiFile()], flag(parsed, 'check'), 'asyncapi'),
};
