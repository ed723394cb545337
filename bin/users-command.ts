import { putUser, readUsersFile } from '../gateway/index.ts';
import { readSecret } from './read-secret.ts';

/** `modt users list`. */
export async function listUsers(file: string): Promise<number> {
  for (const user of await readUsersFile(file)) process.stdout.write(`${user.username}\t${user.role}\n`);
  return 0;
}

/** `modt users add`: the password from a prompt or standard input, never an argument. */
export async function addUser(file: string, name: string, role: string): Promise<number | string> {
  const password = await readSecret(`password for ${name}: `);
  if (password.length === 0) return 'users add: the password is empty';
  await putUser(file, { username: name, role, password });
  process.stdout.write(`${name} (${role}) saved in ${file}\n`);
  return 0;
}
