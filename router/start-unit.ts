import { openHistoryStore } from './history/index.ts';
import type { Logger } from './logger.ts';
import { readRuntimeOptions } from './runtime-options.ts';
import { readUnitSettings, type Env } from './settings.ts';
import type { AnyUnit } from './unit.ts';
import { UnitRunner, type Drop, type Handled } from './unit-runner.ts';

/** Starts a unit from the environment and logs what its runner reports. */
export function startUnit(unit: AnyUnit, env: Env, log: Logger): UnitRunner {
  const options = readRuntimeOptions(env);
  const store = unit.records ? openHistoryStore(env) : undefined;
  const runner = new UnitRunner(unit, {
    ...options,
    settings: readUnitSettings(unit.settings ?? {}, env),
    store,
  });

  runner.on('ready', ({ sessionPresent }: { sessionPresent: boolean }) => {
    const clientId = runner.link.clientId;
    log.info({ client_id: clientId, sessionPresent, store: store?.location }, 'unit ready');
  });
  runner.on('down', () => log.warn({ client_id: runner.link.clientId }, 'broker connection lost'));
  runner.on('redeliver', () => {
    log.warn({ client_id: runner.link.clientId }, 'message not handled: reconnecting for it');
  });
  runner.on('problem', ({ code, reason }: { code: string; reason: string }) => {
    log.error({ code, reason, ready: false }, 'broker problem');
  });
  runner.on('handled', ({ topic, handlerMs, published, recorded }: Handled) => {
    log.debug({ topic, handlerMs, published, recorded }, 'message handled');
  });
  runner.on('drop', ({ topic, code, reason }: Drop) => {
    log.warn({ topic, code, reason, dropped: runner.stats.dropped[code] }, 'message dropped');
  });
  runner.on('store-error', ({ code, reason }: { code: string; reason: string }) => {
    log.error({ code, reason, store: store?.location }, 'history store failed');
  });
  return runner;
}
