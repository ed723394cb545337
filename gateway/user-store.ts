import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import * as Type from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { ErrorCodes, ModtFailure, checkValue } from '../protocol/index.ts';
import {
  DEFAULT_COST,
  hashPassword,
  isPasswordHash,
  verifyPassword,
  type ScryptCost,
} from './passwords.ts';

const UserRecord = Type.Object({
  username: Type.String({ pattern: '^[A-Za-z0-9._@-]{1,64}$' }),
  role: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$' }),
  password: Type.String({ minLength: 1 }),
});
export type UserRecord = Static<typeof UserRecord>;

const UsersFile = Type.Object({ users: Type.Array(UserRecord) });

/** Who logged in: the protocol's `user_id` (the username, unique in the file) and role. */
export interface Identity {
  userId: string;
  role: string;
}

/**
 * The users the gateway accepts, each with an scrypt hash. A failed check takes as long
 * for an unknown user as for a wrong password, and says nothing about which it was.
 */
export class UserStore {
  #users: Map<string, UserRecord>;
  #decoy: Promise<string>;

  constructor(records: readonly UserRecord[]) {
    this.#users = new Map(records.map((r) => [r.username, r]));
    const first = records[0]?.password;
    const cost = first ? costOf(first) : DEFAULT_COST;
    this.#decoy = hashPassword(randomBytes(16).toString('hex'), cost);
  }

  /** Reads a users file (`{ "users": [{ username, role, password }] }`). */
  static async load(path: string): Promise<UserStore> {
    return new UserStore(await readUsersFile(path));
  }

  get size(): number {
    return this.#users.size;
  }

  async check(username: string, password: string): Promise<Identity | null> {
    const user = this.#users.get(username);
    const hash = user?.password ?? (await this.#decoy);
    const match = await verifyPassword(password, hash);
    if (!match || user === undefined) return null;
    return { userId: user.username, role: user.role };
  }
}

export async function readUsersFile(path: string): Promise<UserRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = `users file ${path}: ${(err as Error).message}`;
    throw new ModtFailure(ErrorCodes.USERS_FILE_INVALID, reason);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = `users file ${path}: ${(err as Error).message}`;
    throw new ModtFailure(ErrorCodes.USERS_FILE_INVALID, reason);
  }
  const checked = checkValue(value, UsersFile);
  if (!checked.ok) {
    const reason = `users file ${path}: ${checked.error.message}`;
    throw new ModtFailure(ErrorCodes.USERS_FILE_INVALID, reason);
  }
  const bad = checked.value.users.find((u) => !isPasswordHash(u.password));
  if (bad) {
    const message = `users file ${path}: user ${bad.username} has no scrypt hash ($scrypt$...)`;
    throw new ModtFailure(ErrorCodes.USERS_FILE_INVALID, message);
  }
  return checked.value.users;
}

/** Adds or replaces a user in a users file, created if absent, written whole and private. */
export async function putUser(
  path: string,
  user: { username: string; role: string; password: string },
  cost: ScryptCost = DEFAULT_COST,
): Promise<void> {
  const users = existsSync(path) ? await readUsersFile(path) : [];
  const password = await hashPassword(user.password, cost);
  const record = { username: user.username, role: user.role, password };
  const checked = checkValue(record, UserRecord);
  if (!checked.ok) throw new ModtFailure(ErrorCodes.USERS_FILE_INVALID, checked.error.message);

  await writeUsersFile(path, users.filter((u) => u.username !== user.username).concat(record));
}

/** Removes a user from a users file; resolves whether the file had that user. */
export async function deleteUser(path: string, username: string): Promise<boolean> {
  const users = await readUsersFile(path);
  const next = users.filter((u) => u.username !== username);
  if (next.length === users.length) return false;
  await writeUsersFile(path, next);
  return true;
}

/** Writes a users file whole and private, by a rename, so a reader never sees half of it. */
async function writeUsersFile(path: string, users: readonly UserRecord[]): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

function costOf(hash: string): ScryptCost {
  const match = /ln=(\d+),r=(\d+),p=(\d+)/.exec(hash);
  if (!match) return DEFAULT_COST;
  return { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
}
