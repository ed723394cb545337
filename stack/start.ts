import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';
import {
  DEFAULT_HISTORY_FILE,
  MetricsRegistry,
  createLogger,
  functionsFolder,
  openHistoryStore,
  readPort,
  redact,
  type Env,
  type HistoryStore,
  type Logger,
} from '../router/index.ts';
import {
  UserStore,
  checkPortFree,
  hashPassword,
  readGatewayOptions,
  readUsersFile,
  settlePort,
  startGateway,
  type Gateway,
  type UserRecord,
} from '../gateway/index.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.ts';
import { checkHistoryFile } from './history-file.ts';
import { unknownSettings, type UnknownSetting } from './setting-names.ts';
import { stopStack } from './stop-stack.ts';
import { UnitSet } from './unit-set.ts';

const DEFAULT_BROKER_PORT = 1883;
const BUS_WAIT_MS = 10_000;
/** The gateway's wait for the bus once the units have waited for it in vain. */
const BUS_WAIT_AGAIN_MS = 1000;

export const DEMO_USER = { username: 'demo', password: 'demo', role: 'user' } as const;
/** Who may watch the conversation at `/monitor`; the password is made at each start. */
export const ADMIN_USER = { username: 'admin', role: 'admin' } as const;

/** What `npm run dev` changes of `npm start`. */
export interface StackMode {
  /** The logger of each part: JSON lines on standard output unless given. */
  logger?: (name: string) => Logger;
  /** Told once everything runs: `npm run dev` starts watching the units' folder here. */
  started?: (units: UnitSet, folder: string) => void;
}

/**
 * The embedded broker on MODT_BROKER_PORT, or on 1883 when that is not set. A 1883 already
 * taken (a system Mosquitto, most often) is no reason not to start: the broker takes a free
 * port, and the banner names it. A port that was asked for and is taken stops the stack.
 */
async function startBroker(env: Env, log: Logger): Promise<EmbeddedBroker> {
  const port = readPort(env, 'MODT_BROKER_PORT', DEFAULT_BROKER_PORT);
  try {
    return await startEmbeddedBroker(port);
  } catch (err) {
    const taken = err instanceof ModtFailure && err.code === ErrorCodes.PORT_IN_USE;
    if (!taken || env.MODT_BROKER_PORT) throw err;
    const broker = await startEmbeddedBroker(0);
    const reason = `port ${port} is taken (a broker already there?); MODT_BROKER_PORT picks one`;
    log.info({ port: broker.port, reason }, 'embedded broker on a free port');
    return broker;
  }
}

/**
 * `npm start`: the whole stack in one process. An embedded broker unless `MODT_MQTT_URL`
 * names one, the gateway, and every unit in `functions/` (or `MODT_FUNCTIONS_DIR`), each on
 * its own MQTT connection. The gateway's `/metrics` counts for the embedded units too.
 */
export async function runStack(mode: StackMode = {}): Promise<void> {
  const logger = mode.logger ?? ((name: string) => createLogger(name));
  const log = logger('stack');
  let broker: EmbeddedBroker | undefined;
  let gateway: Gateway | undefined;
  let units: UnitSet | undefined;
  let historyStore: HistoryStore | undefined;

  const stop = async (signal: string) => {
    log.info({ signal }, 'stack stopping');
    await stopStack({ gateway, units, history: historyStore, broker });
    log.info({ signal }, 'stack stopped');
    process.exit(0);
  };

  try {
    // On a developer's machine the demo account is for this machine only, unless asked.
    const asked = { ...process.env, MODT_HOST: process.env.MODT_HOST || '127.0.0.1' };
    const env: Record<string, string | undefined> = { ...(await settlePort(asked)) };
    await checkPortFree(env);
    if (!env.MODT_REDIS_URL) checkHistoryFile(env.MODT_HISTORY_FILE || DEFAULT_HISTORY_FILE);
    if (!env.MODT_MQTT_URL) {
      broker = await startBroker(env, log);
      env.MODT_MQTT_URL = broker.url;
      log.info({ url: broker.url }, 'embedded broker listening');
    }

    const adminPassword = randomBytes(12).toString('base64url');
    const file = env.MODT_USERS_FILE;
    const records = file ? await readUsersFile(file) : undefined;
    if (records?.length === 0) {
      const add = `npm run modt -- users add NAME --file ${file}`;
      const message = `MODT_USERS_FILE: ${file} holds no user, so no one could sign in (${add})`;
      throw new ModtFailure(ErrorCodes.USERS_FILE_INVALID, message);
    }
    const users = records
      ? new UserStore(records)
      : new UserStore([
        { ...DEMO_USER, password: await hashPassword(DEMO_USER.password) },
        { ...ADMIN_USER, password: await hashPassword(adminPassword) },
      ]);
    const metrics = new MetricsRegistry();
    historyStore = openHistoryStore(env);
    const options = { ...readGatewayOptions(env, users), metrics, history: historyStore };
    env.MODT_PUBLIC_URL = options.publicUrl.href;

    const folder = functionsFolder(env);
    units = new UnitSet({ env, metrics, logger });
    const unitsReady = await units.startAll(folder);
    gateway = await startGateway(options, logger('gateway'));
    // The banner says it is up: so it is, or, with a broker that is away, still trying, and
    // then it says so. Units that did not subscribe in time have already waited for it.
    const busWaitMs = unitsReady ? BUS_WAIT_MS : BUS_WAIT_AGAIN_MS;
    const onBus = await gateway.waitBus(busWaitMs).then(() => true, () => false);
    mode.started?.(units, folder);
    const unknown = unknownSettings(env, units.units);
    for (const { name, nearest } of unknown) {
      const reason = `${name} is read by nothing${nearest ? `: ${nearest} is` : ''}`;
      log.warn({ variable: name, nearest, reason }, 'setting not known, ignored');
    }

    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
    const banner = bannerLines({
      env, adminPassword, records, folder, onBus, unknown,
      publicUrl: options.publicUrl,
      gatewayPort: gateway.port,
      units: units.units.length,
    });
    console.log(['', ...banner, ''].join('\n'));
  } catch (err) {
    const code = err instanceof ModtFailure ? err.code : undefined;
    log.fatal({ code, reason: (err as Error).message }, 'stack cannot start');
    await stopStack({ gateway, units, history: historyStore, broker });
    process.exit(1);
  }
}

/** What the banner is made of. */
interface BannerFacts {
  env: Env;
  adminPassword: string;
  /** The users of MODT_USERS_FILE, when it is set. */
  records?: UserRecord[];
  folder: string;
  units: number;
  onBus: boolean;
  unknown: readonly UnknownSetting[];
  publicUrl: URL;
  gatewayPort: number;
}

/** The lines `npm start` prints once it runs: where to go, as whom, and what is amiss. */
function bannerLines(facts: BannerFacts): string[] {
  const { env, publicUrl } = facts;
  const account = env.MODT_USERS_FILE ? `users from ${env.MODT_USERS_FILE}` : 'demo / demo';
  const lines = [`MoDT is up: open ${publicUrl.href} and sign in as ${account}.`];
  if (portOf(publicUrl) !== facts.gatewayPort) {
    const proxied = `${publicUrl.origin} must lead there (MODT_PUBLIC_URL)`;
    lines.push(`The gateway listens on port ${facts.gatewayPort}: ${proxied}.`);
  }
  const monitor = new URL('/monitor', publicUrl).href;
  lines.push(`Watch the conversation at ${monitor}, signed in as ${adminAccount(facts)}`);

  const bus = redact(new URL(env.MODT_MQTT_URL!));
  lines.push(facts.onBus
    ? `The bus: ${bus} (MODT_MQTT_URL=${bus} npm run modt -- tail).`
    : `The bus: ${bus} not connected yet (MODT_MQTT_URL; the lines above say why), still trying.`);
  const history = env.MODT_REDIS_URL ? 'Redis' : env.MODT_HISTORY_FILE || DEFAULT_HISTORY_FILE;
  lines.push(`History: ${history} (npm run modt -- history). Stop with Ctrl-C.`);

  if (facts.units === 0) {
    lines.push(`No units in ${facts.folder}: no app will answer a login (MODT_FUNCTIONS_DIR).`);
  }
  for (const { name, nearest } of facts.unknown) {
    lines.push(`Not a setting, ignored: ${name}${nearest ? ` (meant ${nearest}?)` : ''}.`);
  }
  return lines;
}

/** Who the banner says may open /monitor: the made admin, or one of the users file. */
function adminAccount({ adminPassword, records, env }: BannerFacts): string {
  if (records === undefined) return `admin / ${adminPassword}`;
  if (records.some((r) => r.role === ADMIN_USER.role)) return 'an admin of that file';
  const add = `npm run modt -- users add NAME --role admin --file ${env.MODT_USERS_FILE}`;
  return `an admin, which that file has none of (${add})`;
}

/** The port a URL names, or its scheme's default. */
function portOf(url: URL): number {
  if (url.port !== '') return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) void runStack();
