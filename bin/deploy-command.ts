import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { renderAcl } from '../deploy/acl.ts';
import { renderCompose } from '../deploy/compose.ts';
import { grantsOf } from '../deploy/grants.ts';
import { writeSecrets } from '../deploy/secrets.ts';
import { GATEWAY_ACCOUNT } from '../gateway/bus-topics.ts';
import { flag, text, type Command } from './command.ts';
import { loadCommandUnits } from './load-units.ts';
import { FUNCTIONS, ROOT, fromRoot } from './paths.ts';

/** A file derived from the units' declarations, and what they make of it. */
export interface DerivedFile {
  path: string;
  text: string;
}

/** The files `modt deploy` writes, each with what the units' declarations make of it. */
export async function deploymentFiles(command = 'deploy'): Promise<DerivedFile[]> {
  const units = await loadCommandUnits(FUNCTIONS, command);
  return [
    { path: join(ROOT, 'docker-compose.yml'), text: renderCompose(units) },
    { path: join(ROOT, 'deploy/mosquitto/acl'), text: renderAcl(grantsOf(units)) },
  ];
}

/**
 * Writes the derived files that differ from what they should be, or with `check` only says
 * which: exit 1 when any has drifted. `command` names the modt command that writes them.
 */
export async function writeDerived(files: readonly DerivedFile[], check: boolean, command: string) {
  const drifted: string[] = [];
  for (const { path, text: wanted } of files) {
    const current = await readFile(path, 'utf8').catch(() => '');
    if (current === wanted) continue;
    drifted.push(fromRoot(path));
    if (!check) await writeFile(path, wanted);
  }
  const names = files.map((f) => fromRoot(f.path)).join(', ');
  if (check && drifted.length > 0) {
    const stale = drifted.join(', ');
    process.stderr.write(`modt: out of date with functions/: ${stale}; run modt ${command}\n`);
    return 1;
  }
  const said = drifted.length > 0 ? `wrote ${drifted.join(', ')}` : `${names}: current`;
  process.stdout.write(`${said}\n`);
  return 0;
}

/** `modt deploy [--check]`. */
export const deployCommand: Command = {
  name: 'deploy',
  summary: 'writes docker-compose.yml and the broker ACL from the units in functions/',
  help: `modt deploy [--check]

  Writes docker-compose.yml (one service per unit) and deploy/mosquitto/acl (each account
  reads and writes what it declares) from the units in functions/ and the gateway's
  topics. modt new runs it for you.

      --check    only says whether they are current (exit 1 if not)
`,
  options: { check: { type: 'boolean' } },
  run: async (parsed) => writeDerived(await deploymentFiles(), flag(parsed, 'check'), 'deploy'),
};

/** `modt secrets --dir DIR`. */
export const secretsCommand: Command = {
  name: 'secrets',
  summary: "makes or completes a deployment's secrets folder",
  help: `modt secrets --dir DIR

  Makes or completes a deployment's secrets folder, outside the repository (a folder in
  it is refused): a broker account per unit and the gateway, Mosquitto's password file,
  the users file, and a token for the gateway's /metrics (printed once). What is there
  already is kept.

      --dir DIR    the folder (MODT_SECRETS_DIR for docker compose)
`,
  options: { dir: { type: 'string' } },

  async run(parsed) {
    const dir = text(parsed, 'dir');
    if (!dir) return 'secrets: expected --dir DIR, a folder outside the repository';
    const bad = checkSecretsDir(dir);
    if (bad !== undefined) return bad;
    const units = await loadCommandUnits(FUNCTIONS, 'secrets');
    const result = await writeSecrets(dir, grantsOf(units));
    const added = result.added.length > 0 ? result.added.join(', ') : 'none';
    process.stdout.write(`secrets in ${result.dir}; new broker accounts: ${added}\n`);
    if (result.adminPassword) {
      const shown = `users file created with admin / ${result.adminPassword} (shown once)\n`;
      process.stdout.write(shown);
    }
    if (result.metricsToken) {
      const where = `${GATEWAY_ACCOUNT}.env, for your scraper's Authorization: Bearer`;
      process.stdout.write(`gateway /metrics token ${result.metricsToken} (in ${where})\n`);
    }
    return 0;
  },
};

/**
 * Why a folder cannot hold a deployment's secrets, or undefined when it can. Inside the
 * repository, passwords would be one `git add` and one `docker build` context away from
 * leaving the machine.
 */
export function checkSecretsDir(dir: string): string | undefined {
  const path = resolve(dir);
  if (`${path}/`.startsWith(ROOT)) {
    return `secrets: expected a folder outside the repository ${ROOT}, got '${dir}'`;
  }
  if (existsSync(path) && !statSync(path).isDirectory()) {
    return `secrets: expected a folder, got '${dir}', which is a file`;
  }
  return undefined;
}
