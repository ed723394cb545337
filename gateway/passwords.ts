import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** The cost of new hashes: 2^15 × 8 × 128 bytes = 32 MiB and tens of ms per check. */
export const DEFAULT_COST = { logN: 15, r: 8, p: 1 } as const;

export interface ScryptCost {
  logN: number;
  r: number;
  p: number;
}

const KEY_BYTES = 32;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * A password hash as a PHC string, `$scrypt$ln=15,r=8,p=1$<salt>$<hash>`: the string
 * records its own cost, so old hashes keep working when the default changes.
 */
export async function hashPassword(
  password: string,
  cost: ScryptCost = DEFAULT_COST,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  const encode = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
  return `$scrypt$ln=${cost.logN},r=${cost.r},p=${cost.p}$${encode(salt)}$${encode(key)}`;
}

/** Whether a password matches a hash, compared in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (parsed === null) return false;
  const key = await derive(password, parsed.salt, parsed.cost, parsed.key.length);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** Whether a string is a hash this module can check. */
export function isPasswordHash(hash: string): boolean {
  return parseHash(hash) !== null;
}

function parseHash(hash: string): { cost: ScryptCost; salt: Buffer; key: Buffer } | null {
  const match = PHC.exec(hash);
  if (match === null) return null;
  const [, logN, r, p, salt, key] = match;
  const cost = { logN: Number(logN), r: Number(r), p: Number(p) };
  if (cost.logN < 1 || cost.logN > 24 || cost.r < 1 || cost.p < 1) return null;
  return { cost, salt: Buffer.from(salt!, 'base64'), key: Buffer.from(key!, 'base64') };
}

function derive(
  password: string,
  salt: Buffer,
  cost: ScryptCost,
  bytes = KEY_BYTES,
): Promise<Buffer> {
  const N = 2 ** cost.logN;
  const options: ScryptOptions = {
    N,
    r: cost.r,
    p: cost.p,
    maxmem: 256 * N * cost.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, bytes, options, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}
