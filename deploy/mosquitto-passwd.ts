import { pbkdf2Sync, randomBytes } from 'node:crypto';

/** Mosquitto 2's own password hash: PBKDF2-SHA512, 101 rounds, a 12-byte salt ("$7$"). */
const ITERATIONS = 101;

/** One line of a Mosquitto password file, as `mosquitto_passwd` writes it. */
export function passwordFileLine(username: string, password: string): string {
  if (username.includes(':') || username.includes('\n'))
    throw new Error(`bad account name '${username}'`);
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(password, salt, ITERATIONS, 64, 'sha512');
  return `${username}:$7$${ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}
