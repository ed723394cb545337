import { fileURLToPath } from 'node:url';
import { ModtFailure } from '../protocol/index.ts';
import { createLogger, loadUnits, readPort, startUnit, type UnitRunner } from '../router/index.ts';
import {
  UserStore,
  hashPassword,
  readGatewayOptions,
  startGateway,
  type Gateway,
} from '../gateway/index.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './embedded-broker.ts';

const FUNCTIONS = fileURLToPath(new URL('../functions/', import.meta.url));
export const DEMO_USER = { username: 'demo', password: 'demo', role: 'user' } as const;

/**
 * `npm start`: the whole stack in one process. An embedded broker unless `MODT_MQTT_URL`
 * names one, the gateway, and every unit in `functions/`, each on its own MQTT connection.
 */
async function main(): Promise<void> {
  const log = createLogger('stack');
  let broker: EmbeddedBroker | undefined;
  let gateway: Gateway | undefined;
  const runners: UnitRunner[] = [];

  const stop = async (signal: string) => {
    log.info({ signal }, 'stack stopping');
    await Promise.allSettled(runners.map((r) => r.stop()));
    await gateway?.stop();
    await broker?.close();
    process.exit(0);
  };

  try {
    const env = { ...process.env };
    if (!env.MODT_MQTT_URL) {
      broker = await startEmbeddedBroker(readPort(env, 'MODT_BROKER_PORT', 1883));
      env.MODT_MQTT_URL = broker.url;
      log.info({ url: broker.url }, 'embedded broker listening');
    }

    const users = env.MODT_USERS_FILE
      ? await UserStore.load(env.MODT_USERS_FILE)
      : new UserStore([{ ...DEMO_USER, password: await hashPassword(DEMO_USER.password) }]);
    const options = readGatewayOptions(env, users);
    env.MODT_PUBLIC_URL = options.publicUrl.href;

    for (const unit of await loadUnits(FUNCTIONS)) {
      runners.push(startUnit(unit, env, createLogger(unit.name)));
    }
    gateway = await startGateway(options, createLogger('gateway'));

    process.once('SIGTERM', () => void stop('SIGTERM'));
    process.once('SIGINT', () => void stop('SIGINT'));
    const account = env.MODT_USERS_FILE ? `users from ${env.MODT_USERS_FILE}` : 'demo / demo';
    const history = env.MODT_REDIS_URL ? 'Redis' : env.MODT_HISTORY_FILE || '.modt/history.jsonl';
    console.log(`\nMoDT is up: open ${options.publicUrl.href} and sign in as ${account}.`);
    console.log(`History: ${history} (npm run modt -- history). Stop with Ctrl-C.\n`);
  } catch (err) {
    const code = err instanceof ModtFailure ? err.code : undefined;
    log.fatal({ code, reason: (err as Error).message }, 'stack cannot start');
    await Promise.allSettled(runners.map((r) => r.stop()));
    await broker?.close();
    process.exit(1);
  }
}

void main();
