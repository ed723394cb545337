import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { deleteUser, putUser, readUsersFile } from '../gateway/index.ts';
import { text, type Command, type Outcome } from './command.ts';
import { readSecret } from './read-secret.ts';

/** `modt users add|remove|list`: the gateway's users file. */
export const usersCommand: Command = {
  name: 'users',
  summary: "adds, removes and lists the gateway's users",
  help: `modt users add <username> [--role ROLE] [--file PATH]
modt users remove <username> [--file PATH]
modt users list [--file PATH]

  The users file the gateway reads (MODT_USERS_FILE). add puts a user in, or replaces
  one; the password is read from standard input or a prompt, never from an argument, and
  only its scrypt hash is kept. remove takes a user out. PATH defaults to
  MODT_USERS_FILE, then users.json. The gateway reads the file when it starts.

      --role ROLE    the role add gives (default user)
      --file PATH    the users file
`,
  options: { role: { type: 'string' }, file: { type: 'string' } },

  async run(parsed) {
    const [sub, name, ...rest] = parsed.positionals;
    const file = text(parsed, 'file') ?? process.env.MODT_USERS_FILE ?? 'users.json';
    const badFile = checkFile(file);
    if (badFile !== undefined) return badFile;
    if (sub === 'list') return listUsers(file);
    if (sub !== 'add' && sub !== 'remove') {
      return `users: expected add, remove or list, got '${sub ?? ''}'`;
    }
    if (!name) return `users ${sub}: expected a username`;
    if (rest.length > 0) return `users ${sub}: expected one username, got '${rest.join(' ')}' too`;
    if (sub === 'remove') return removeUser(file, name);
    const role = text(parsed, 'role') ?? 'user';
    // Said before the password is asked for, not after it was typed.
    if (!USERNAME.test(name)) {
      return `users add: expected a username of 1-64 letters, digits or ._@-, got '${name}'`;
    }
    if (!ROLE.test(role)) {
      return `--role: expected a lowercase word of 1-32 letters, digits, _ or -, got '${role}'`;
    }
    return addUser(file, name, role);
  },
};

/** Why a path cannot be a users file, said before a password is typed for it. */
function checkFile(file: string): string | undefined {
  const found = statSync(file, { throwIfNoEntry: false });
  if (found?.isDirectory()) return `--file: expected a users file, got '${file}', a folder`;
  const folder = dirname(resolve(file));
  if (!existsSync(folder)) return `--file: expected a file in a folder that exists, got '${file}'`;
  return undefined;
}

/** What the users file takes (gateway/user-store.ts), checked before the password prompt. */
const USERNAME = /^[A-Za-z0-9._@-]{1,64}$/;
const ROLE = /^[a-z][a-z0-9_-]{0,31}$/;

async function listUsers(file: string): Promise<Outcome> {
  for (const user of await readUsersFile(file)) {
    process.stdout.write(`${user.username}\t${user.role}\n`);
  }
  return 0;
}

/** The password from a prompt or standard input, never an argument. */
async function addUser(file: string, name: string, role: string): Promise<Outcome> {
  const password = await readSecret(`password for ${name}: `);
  if (password.length === 0) return 'users add: the password is empty';
  await putUser(file, { username: name, role, password });
  process.stdout.write(`${name} (${role}) saved in ${file}\n`);
  return 0;
}

async function removeUser(file: string, name: string): Promise<Outcome> {
  if (!(await deleteUser(file, name))) {
    process.stderr.write(`modt: no user '${name}' in ${file}\n`);
    return 1;
  }
  process.stdout.write(`${name} removed from ${file}\n`);
  return 0;
}
