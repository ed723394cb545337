import { ErrorCodes, ModtFailure } from '../protocol/index.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** `publicUrl` → `MODT_PUBLIC_URL`: the variable that sets a unit's setting. */
export function envNameOf(key: string): string {
  return `MODT_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** A unit's settings: each default replaced by its variable when that is set. */
export function readUnitSettings<S extends Record<string, string>>(defaults: S, env: Env): S {
  const settings: Record<string, string> = {};
  for (const [key, fallback] of Object.entries(defaults)) {
    settings[key] = env[envNameOf(key)] ?? fallback;
  }
  return settings as S;
}

/** A number as a setting is written: decimal digits, no sign, blank, point, exponent or 0x. */
const DIGITS = /^[0-9]+$/;

/** Reads a positive integer variable, or stops start-up with a line that names it. */
export function readPositiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = DIGITS.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    const message = `${name}: expected a positive integer, got '${raw}'`;
    throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
  }
  return value;
}

/** Reads a port number variable (0 means any free port). */
export function readPort(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = DIGITS.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    const message = `${name}: expected a port 0-65535, got '${raw}'`;
    throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
  }
  return value;
}

/** Reads a URL variable of one of the given schemes. */
export function readUrl(env: Env, name: string, fallback: string, schemes: readonly string[]): URL {
  const raw = env[name] || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ModtFailure(ErrorCodes.SETTING_INVALID, `${name}: expected a URL, got '${raw}'`);
  }
  if (!schemes.includes(url.protocol.slice(0, -1))) {
    const expected = schemes.map((s) => `${s}://`).join(' or ');
    const message = `${name}: expected ${expected}, got '${raw}'`;
    throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
  }
  return url;
}
