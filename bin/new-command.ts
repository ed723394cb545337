import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GATEWAY_ACCOUNT } from '../gateway/bus-topics.ts';
import type { Command } from './command.ts';
import { asyncApiFile } from './asyncapi-command.ts';
import { deploymentFiles, writeDerived } from './deploy-command.ts';
import { loadCommandUnits } from './load-units.ts';
import { FUNCTIONS, fromRoot } from './paths.ts';
import { testSource, unitSource } from './unit-template.ts';

/** Lowercase kebab-case, as a unit's client id, bundle, service and account are named. */
const UNIT_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** Its client id, `modt-<name>-out`, stays within MODT_CLIENT_ID's 64 characters. */
const MAX_NAME_CHARS = 50;
/** Names the deployment gives to what is not a unit. */
const RESERVED = new Set([GATEWAY_ACCOUNT, 'mosquitto', 'redis']);

/** `modt new <name>`: a unit file and its test, and the derived files brought up to date. */
export const newCommand: Command = {
  name: 'new',
  summary: 'a new unit in functions/, with its test, in the deployment from then on',
  help: `modt new <name>

  Writes functions/<name>.ts, a unit that shows each user who signs in a page, and
  functions/<name>.test.ts, its test; then brings docker-compose.yml, deploy/mosquitto/acl
  (what modt deploy writes) and asyncapi.yaml up to date. From then on npm start runs the
  unit, npm run build bundles it and npm test tests it. An existing file is never
  overwritten. The name is lowercase kebab-case (hello-app), at most ${MAX_NAME_CHARS} characters.
`,
  options: {},

  async run(parsed) {
    const [name, ...rest] = parsed.positionals;
    if (name === undefined) return 'new: expected a unit name such as hello-app';
    if (rest.length > 0) return `new: expected one name, got '${rest.join(' ')}' too`;
    const bad = checkName(name);
    if (bad !== undefined) return bad;

    const unitFile = join(FUNCTIONS, `${name}.ts`);
    const testFile = join(FUNCTIONS, `${name}.test.ts`);
    const taken = [unitFile, testFile].find((file) => existsSync(file));
    if (taken !== undefined) {
      process.stderr.write(`modt: ${fromRoot(taken)} exists; nothing was written\n`);
      return 1;
    }

    // The derived files need the units loaded: found out before anything is written.
    await loadCommandUnits(FUNCTIONS, 'new');
    await writeFile(unitFile, unitSource(name), { flag: 'wx' });
    await writeFile(testFile, testSource(name), { flag: 'wx' });
    process.stdout.write(`created ${fromRoot(unitFile)} and ${fromRoot(testFile)}\n`);
    const derived = [...(await deploymentFiles('new')), await asyncApiFile('new')];
    const code = await writeDerived(derived, false, 'deploy');
    process.stdout.write(
      `next: edit ${fromRoot(unitFile)}, then npm test -- ${fromRoot(testFile)}, then npm start\n`,
    );
    return code;
  },
};

/** Why a name cannot be a unit's, or undefined when it can. */
export function checkName(name: string): string | undefined {
  if (!UNIT_NAME.test(name)) {
    return `new: expected a lowercase kebab-case name such as hello-app, got '${name}'`;
  }
  if (name.length > MAX_NAME_CHARS) {
    return `new: expected at most ${MAX_NAME_CHARS} characters, got ${name.length} in '${name}'`;
  }
  if (RESERVED.has(name)) return `new: '${name}' names a part of the deployment; choose another`;
  return undefined;
}
