import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onFreePort } from './free-port.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

export const MOSQUITTO = '/usr/sbin/mosquitto';
const MOSQUITTO_PASSWD = '/usr/bin/mosquitto_passwd';

export interface MosquittoOptions {
  /** `allow_anonymous`; true unless set. */
  allowAnonymous?: boolean;
  /** Keep sessions and queued messages in the broker's folder across `restart()`. */
  persistence?: boolean;
  /** Users and their plain passwords, hashed into the password file with mosquitto_passwd. */
  users?: Readonly<Record<string, string>>;
  /** Lines of a password file as mosquitto_passwd writes them, used as they are. */
  passwordFile?: string;
  /** The text of an ACL file. */
  acl?: string;
  /** More lines for the end of mosquitto.conf. */
  extraConfig?: readonly string[];
}

/** A real Mosquitto on a free port of 127.0.0.1, with its own folder. */
export interface Mosquitto {
  port: number;
  /** `mqtt://127.0.0.1:PORT` */
  url: string;
  /** The folder with mosquitto.conf, the password and ACL files and the persistence file. */
  dir: string;
  /** What the broker logged since its last start. */
  output(): string;
  /** SIGTERM, waits for the exit, and removes the folder: the clean-up at the end of a test. */
  stop(): Promise<void>;
  /** SIGKILL, waits for the exit; the folder stays, so `restart()` can follow. */
  kill(): Promise<void>;
  /** Stops the broker if it runs, then starts it again on the same port from the same folder. */
  restart(): Promise<void>;
}

/**
 * Starts `mosquitto -c` with a config written into a fresh temporary folder. Run as root,
 * Mosquitto drops to user `mosquitto` before it opens the password, ACL and persistence
 * files, so the folder and files are made readable by it, and writable by it when the broker
 * persists (field case C10). A broker that does not come up fails with its own log.
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = await mkdtemp(join(tmpdir(), 'modt-mosquitto-'));
  try {
    return await onFreePort(async (port) => {
      const config = join(dir, 'mosquitto.conf');
      await writeFile(config, await configText(dir, port, options));
      await makeReadable(dir, options.persistence === true);
      return await launch(dir, port, config);
    });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function launch(dir: string, port: number, config: string): Promise<Mosquitto> {
  const start = () =>
    startServerProcess({
      name: 'mosquitto',
      command: MOSQUITTO,
      args: ['-c', config],
      port,
      readyLine: /mosquitto version \S+ running/,
    });
  let server: ServerProcess = await start();

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    output: () => server.output(),
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
    kill: () => server.kill(),
    async restart() {
      await server.stop();
      server = await start();
    },
  };
}

async function configText(dir: string, port: number, options: MosquittoOptions): Promise<string> {
  const lines = [
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${options.allowAnonymous ?? true}`,
    'set_tcp_nodelay true',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    `persistence ${options.persistence === true}`,
  ];
  if (options.persistence) lines.push(`persistence_location ${dir}/`);

  const passwords = await passwordFileText(dir, options);
  if (passwords !== undefined) {
    await writeFile(join(dir, 'passwd'), passwords);
    lines.push(`password_file ${join(dir, 'passwd')}`);
  }
  if (options.acl !== undefined) {
    await writeFile(join(dir, 'acl'), options.acl);
    lines.push(`acl_file ${join(dir, 'acl')}`);
  }

  lines.push(...(options.extraConfig ?? []));
  return `${lines.join('\n')}\n`;
}

async function passwordFileText(dir: string, options: MosquittoOptions) {
  const { users, passwordFile } = options;
  if (users === undefined) return passwordFile;

  // mosquitto_passwd -U hashes a file of plain `user:password` lines in place.
  const plain = join(dir, 'users.plain');
  const lines = Object.entries(users).map(([user, password]) => `${user}:${password}\n`);
  await writeFile(plain, lines.join(''), { mode: 0o600 });
  await promisify(execFile)(MOSQUITTO_PASSWD, ['-U', plain]);
  const hashed = await readFile(plain, 'utf8');
  await rm(plain);
  return `${passwordFile ?? ''}${hashed}`;
}

async function makeReadable(dir: string, writable: boolean): Promise<void> {
  await chmod(dir, 0o755);
  for (const file of ['mosquitto.conf', 'passwd', 'acl']) {
    await chmod(join(dir, file), 0o644).catch(() => undefined);
  }
  if (!writable || process.getuid?.() !== 0) return;

  const owner = await mosquittoUser();
  if (owner !== undefined) await chown(dir, owner.uid, owner.gid);
}

async function mosquittoUser(): Promise<{ uid: number; gid: number } | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  const fields = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((f) => f[0] === 'mosquitto');
  if (fields === undefined) return undefined;
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}
