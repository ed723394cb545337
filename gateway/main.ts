import { ErrorCodes, ModtFailure } from '../protocol/index.ts';
import { createLogger, openHistoryStore, type Env, type HistoryStore } from '../router/index.ts';
import { settlePort } from './free-port.ts';
import { readGatewayOptions } from './options.ts';
import { startGateway } from './start-gateway.ts';
import { UserStore } from './user-store.ts';

/**
 * The history `/monitor` shows: the store `MODT_REDIS_URL` or `MODT_HISTORY_FILE` names.
 * Alone in its process the gateway writes no history, so a default file would show nothing
 * anyone wrote: with neither set there is none, and the page says so.
 */
function historyOf(env: Env): HistoryStore | undefined {
  return env.MODT_REDIS_URL || env.MODT_HISTORY_FILE ? openHistoryStore(env) : undefined;
}

/**
 * The gateway's own process, as in production: `MODT_MQTT_URL` names the broker and
 * `MODT_USERS_FILE` the users (made with `modt users add`).
 */
async function main(): Promise<void> {
  const log = createLogger('gateway');
  try {
    const file = process.env.MODT_USERS_FILE;
    if (!file) {
      const message =
        'MODT_USERS_FILE: set it to a users file (make one with `modt users add <name>`)';
      throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
    }
    const users = await UserStore.load(file);
    const history = historyOf(process.env);
    const env = await settlePort(process.env);
    const options = { ...readGatewayOptions(env, users), history };
    const gateway = await startGateway(options, log);
    const stop = (signal: string) => {
      log.info({ signal }, 'gateway stopping');
      const stopped = gateway.stop().then(() => history?.close());
      stopped.then(() => process.exit(0), () => process.exit(1));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  } catch (err) {
    const code = err instanceof ModtFailure ? err.code : undefined;
    log.fatal({ code, reason: (err as Error).message }, 'gateway cannot start');
    process.exit(1);
  }
}

void main();
