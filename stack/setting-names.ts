import { envNameOf, type AnyUnit, type Env } from '../router/index.ts';

/**
 * Every `MODT_*` variable that MoDT reads: the settings of README.md's table, what the
 * deployment, the build and the tests read, and the native binary's override. A unit's own
 * settings are added from its declaration. `test/front-door-settings.test.ts` fails when the
 * code reads a variable that is not here.
 */
export const SETTING_NAMES: ReadonlySet<string> = new Set([
  'MODT_ANSWER_TTL_MS',
  'MODT_BROKER_PORT',
  'MODT_CLIENT_ID',
  'MODT_FUNCTIONS_DIR',
  'MODT_FUZZ_SEED',
  'MODT_GATEWAY_CLIENT_ID',
  'MODT_HISTORY_FILE',
  'MODT_HISTORY_FILE_MAX_BYTES',
  'MODT_HISTORY_STREAM',
  'MODT_HOST',
  'MODT_HTTP_BIND',
  'MODT_LOGIN_MAX_PER_IP',
  'MODT_LOGIN_MAX_PER_USER',
  'MODT_LOGIN_WINDOW_MS',
  'MODT_LOG_LEVEL',
  'MODT_MAX_PACKET_BYTES',
  'MODT_MAX_PAYLOAD_BYTES',
  'MODT_MAX_SESSIONS',
  'MODT_MAX_SOCKETS_PER_SESSION',
  'MODT_METRICS_TOKEN',
  'MODT_MQTT_URL',
  'MODT_NO_ANSWER_NOTICE_MS',
  'MODT_NO_MINIFY',
  'MODT_PENDING_TTL_MS',
  'MODT_PUBLIC_URL',
  'MODT_PUBLISH_TIMEOUT_MS',
  'MODT_READY_FILE',
  'MODT_REDIRECT_ORIGINS',
  'MODT_REDIS_URL',
  'MODT_SECRETS_DIR',
  'MODT_SESSION_IDLE_MS',
  'MODT_SESSION_MAX_MS',
  'MODT_SOAK',
  'MODT_TRUSTED_PROXIES',
  'MODT_USERS_FILE',
  'MODT_UWS_BINARY',
]);

/** A `MODT_*` variable that is set but read by nothing, and the setting it may be meant as. */
export interface UnknownSetting {
  name: string;
  /** The known name nearest to it, when one is a slip of a few keys away. */
  nearest?: string;
}

/** The `MODT_*` variables of `env` that neither MoDT nor one of `units` reads. */
export function unknownSettings(env: Env, units: readonly AnyUnit[]): UnknownSetting[] {
  const known = new Set(SETTING_NAMES);
  for (const unit of units) {
    for (const key of Object.keys(unit.settings ?? {})) known.add(envNameOf(key));
  }
  return Object.keys(env)
    .filter((name) => name.startsWith('MODT_') && !known.has(name))
    .sort()
    .map((name) => ({ name, nearest: nearestOf(name, known) }));
}

/** Edits (a key added, dropped or changed) at most that still read as a slip. */
const MAX_SLIP = 2;

function nearestOf(name: string, known: ReadonlySet<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance <= MAX_SLIP && (best === undefined || distance < best.distance)) {
      best = { name: candidate, distance };
    }
  }
  return best?.name;
}

/** Levenshtein's distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const change = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, change));
    }
    previous = row;
  }
  return previous[b.length]!;
}
