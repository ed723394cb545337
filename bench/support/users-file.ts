import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashPassword, type ScryptCost } from '../../gateway/index.ts';

/**
 * The cost of the bench's hashes: 2^4 × 8 × 128 bytes, about 0.1 ms a check here. The
 * hash records it, so the gateway runs its real login path on them; production keeps
 * DEFAULT_COST. Logins at that cost are measured on their own (`loginsPerCore`).
 */
export const BENCH_COST: ScryptCost = { logN: 4, r: 8, p: 1 };

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
