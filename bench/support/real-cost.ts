import { DEFAULT_COST, hashPassword, verifyPassword } from '../../gateway/index.ts';

/**
 * Logins a second one core can check at the production cost (DEFAULT_COST): one scrypt at a
 * time, then two at once on libuv's pool (this machine has two cores). A login is bounded by
 * its hash on purpose; this is that bound, apart from everything else a login does.
 */
export async function loginsPerCore(checks: number) {
  const hash = await hashPassword('bench-password', DEFAULT_COST);
  const serial = performance.now();
  for (let i = 0; i < checks; i++) await verifyPassword('bench-password', hash);
  const perCore = (checks * 1000) / (performance.now() - serial);

  const parallel = performance.now();
  await Promise.all(Array.from({ length: checks }, () => verifyPassword('bench-password', hash)));
  const twoThreads = (checks * 1000) / (performance.now() - parallel);
  return { cost: DEFAULT_COST, perCore, twoThreads };
}
