import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPassword, type ScryptCost } from '../../gateway/index.ts';

/**
 * The cost of the bench's hashes: the least scrypt takes (N = 2, one 128-byte block), about
 * 12 µs a check here, against 70 µs at `ln=4, r=8`. The floor checks no password, so every µs
 * of the hash is counted against MoDT; at the least cost the bench times the login path
 * itself. The hash records its cost, so the gateway runs its real path on them, the thread
 * pool included; production keeps DEFAULT_COST, measured on its own (`loginsPerCore`).
 */
export const BENCH_COST: ScryptCost = { logN: 1, r: 1, p: 1 };

export const BENCH_PASSWORD = 'bench-password';

export function benchUser(index: number): string {
  return `bench-${index}`;
}

/** Writes a users file of `count` users, `bench-0` …, all with BENCH_PASSWORD. */
export async function writeUsersFile(dir: string, count: number): Promise<string> {
  const users = [];
  for (let i = 0; i < count; i++) {
    const password = await hashPassword(BENCH_PASSWORD, BENCH_COST);
    users.push({ username: benchUser(i), role: 'user', password });
  }
  const path = join(dir, 'users.json');
  await writeFile(path, `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
  return path;
}
