import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { putUser } from '../gateway/index.ts';
import { GATEWAY_ACCOUNT } from '../gateway/bus-topics.ts';
import type { Grant } from './grants.ts';
import { passwordFileLine } from './mosquitto-passwd.ts';

/** The uid that reads each file inside its container: Mosquitto's, and distroless nonroot. */
const MOSQUITTO_UID = 1883;
const NONROOT_UID = 65532;

export interface SecretsResult {
  dir: string;
  /** Accounts given a new broker password this time. */
  added: string[];
  /** The admin password, when this run created the users file. */
  adminPassword?: string;
  /** The gateway's `/metrics` token, when this run wrote one into the gateway's env file. */
  metricsToken?: string;
}

/**
 * Makes or completes a deployment's secrets folder, outside the repository: one env file per
 * account with its broker URL and password (the gateway's with a `/metrics` token too),
 * Mosquitto's password file for all of them, and the users file with an `admin` account.
 * Accounts that have a password keep it, and a gateway that has a token keeps it; a new unit
 * gets one. Files are 0600, owned by whoever reads them in their container when run as root.
 */
export async function writeSecrets(
  dir: string,
  grants: readonly Grant[],
  broker = 'mosquitto:1883',
) {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const result: SecretsResult = { dir, added: [] };

  const lines: string[] = [];
  for (const { account } of grants) {
    const envFile = join(dir, `${account}.env`);
    const found = existsSync(envFile) ? await readFile(envFile, 'utf8') : '';
    let env = found;
    let password = passwordIn(env);
    if (password === undefined) {
      password = randomBytes(24).toString('base64url');
      env = `MODT_MQTT_URL=mqtt://${account}:${password}@${broker}\n`;
      result.added.push(account);
    }
    // A gateway env file made before the token existed is completed, not left open.
    if (account === GATEWAY_ACCOUNT && !/^MODT_METRICS_TOKEN=/m.test(env)) {
      result.metricsToken = randomBytes(24).toString('base64url');
      env = `${env.replace(/\n?$/, '\n')}MODT_METRICS_TOKEN=${result.metricsToken}\n`;
    }
    if (env !== found) await writeFile(envFile, env, { mode: 0o600 });
    lines.push(passwordFileLine(account, password));
  }
  const passwd = join(dir, 'mosquitto.passwd');
  await writeFile(passwd, `${lines.join('\n')}\n`, { mode: 0o600 });
  await chmod(passwd, 0o600);

  const users = join(dir, 'users.json');
  if (!existsSync(users)) {
    result.adminPassword = randomBytes(12).toString('base64url');
    await putUser(users, { username: 'admin', role: 'admin', password: result.adminPassword });
  }

  if (process.getuid?.() === 0) {
    await chown(passwd, MOSQUITTO_UID, MOSQUITTO_UID);
    await chown(users, NONROOT_UID, NONROOT_UID);
  }
  return result;
}

function passwordIn(envText: string): string | undefined {
  const match = /^MODT_MQTT_URL=mqtts?:\/\/[^:]+:([^@]+)@/m.exec(envText);
  return match?.[1];
}
