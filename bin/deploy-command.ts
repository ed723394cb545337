import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadUnits } from '../router/index.ts';
import { renderAcl } from '../deploy/acl.ts';
import { renderCompose } from '../deploy/compose.ts';
import { grantsOf } from '../deploy/grants.ts';
import { writeSecrets } from '../deploy/secrets.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FUNCTIONS = `${ROOT}functions/`;

/** The files `modt deploy` writes, each with what the units' declarations make of it. */
export async function deploymentFiles(): Promise<{ path: string; text: string }[]> {
  const units = await loadUnits(FUNCTIONS);
  return [
    { path: `${ROOT}docker-compose.yml`, text: renderCompose(units) },
    { path: `${ROOT}deploy/mosquitto/acl`, text: renderAcl(grantsOf(units)) },
  ];
}

/** `modt deploy [--check]`: writes the derived files, or says which have drifted. */
export async function deployCommand(check: boolean): Promise<number> {
  const drifted: string[] = [];
  for (const { path, text } of await deploymentFiles()) {
    const current = await readFile(path, 'utf8').catch(() => '');
    if (current === text) continue;
    drifted.push(path.slice(ROOT.length));
    if (!check) await writeFile(path, text);
  }
  if (check && drifted.length > 0) {
    process.stderr.write(`modt: out of date with functions/: ${drifted.join(', ')}; run modt deploy\n`);
    return 1;
  }
  process.stdout.write(drifted.length > 0 ? `wrote ${drifted.join(', ')}\n` : 'deployment files are current\n');
  return 0;
}

/** `modt secrets --dir DIR`: makes or completes the deployment's secrets folder. */
export async function secretsCommand(dir: string): Promise<number> {
  const units = await loadUnits(FUNCTIONS);
  const result = await writeSecrets(dir, grantsOf(units));
  const added = result.added.length > 0 ? result.added.join(', ') : 'none';
  process.stdout.write(`secrets in ${result.dir}; new broker accounts: ${added}\n`);
  if (result.adminPassword) {
    process.stdout.write(`users file created with admin / ${result.adminPassword} (shown once)\n`);
  }
  return 0;
}
