import { ErrorCodes } from '../protocol/index.ts';
import { openHistoryStore, type HistoryStore } from './history/index.ts';
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
  if (store !== undefined) openOnTheBus(runner, store, log);
  return runner;
}

/**
 * Opens a store that can be opened ahead of its first command once the unit holds its
 * subscriptions, not before: loading and connecting the Redis client would delay them by
 * some 20 ms (BENCHMARKS.md, "Unit start"). A Redis that cannot be reached, or a history
 * file that cannot be written, is then said at start, not at the first message. Messages
 * that come first wait in the record writer, unacknowledged, until the store has their
 * records.
 */
function openOnTheBus(runner: UnitRunner, store: HistoryStore, log: Logger): void {
  if (store.open === undefined) return;
  runner.once('ready', () => {
    store.open!().catch((err: Error) => {
      const fields = { code: ErrorCodes.STORE_FAILED, reason: err.message, store: store.location };
      log.error(fields, 'history store failed');
    });
  });
}
