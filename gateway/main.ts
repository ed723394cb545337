import { ErrorCodes, ModtFailure } from '../protocol/index.ts';
import { createLogger } from '../router/index.ts';
import { readGatewayOptions } from './options.ts';
import { startGateway } from './start-gateway.ts';
import { UserStore } from './user-store.ts';

/**
 * The gateway's own process, as in production: `MODT_MQTT_URL` names the broker and
 * `MODT_USERS_FILE` the users (made with `modt users add`).
 */
async function main(): Promise<void> {
  const log = createLogger('gateway');
  try {
    const file = process.env.MODT_USERS_FILE;
    if (!file) {
      const message = 'MODT_USERS_FILE: set it to a users file (make one with `modt users add <name>`)';
      throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
    }
    const users = await UserStore.load(file);
    const gateway = await startGateway(readGatewayOptions(process.env, users), log);
    const stop = (signal: string) => {
      log.info({ signal }, 'gateway stopping');
      gateway.stop().then(() => process.exit(0), () => process.exit(1));
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
