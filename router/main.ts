import { rmSync, writeFileSync } from 'node:fs';
import { ModtFailure } from '../protocol/index.ts';
import { createLogger } from './logger.ts';
import { startUnit } from './start-unit.ts';
import type { AnyUnit } from './unit.ts';

/**
 * The main of one unit's process (what each bundle in `dist/` runs): start from the
 * environment, and on SIGTERM or SIGINT stop taking messages, finish and publish what is in
 * flight, disconnect and exit 0. With `MODT_READY_FILE` set, that file exists exactly while the
 * unit is connected and subscribed: the container's health check, since a unit serves no HTTP
 * (field case C01: a unit that cannot connect must not look healthy).
 */
export function runUnitMain(unit: AnyUnit): void {
  const log = createLogger(unit.name);
  let runner;
  try {
    runner = startUnit(unit, process.env, log);
  } catch (err) {
    const code = err instanceof ModtFailure ? err.code : undefined;
    log.fatal({ code, reason: (err as Error).message }, 'unit cannot start');
    process.exit(1);
  }

  const readyFile = process.env.MODT_READY_FILE;
  if (readyFile) {
    const mark = (ready: boolean) =>
      ready ? writeFileSync(readyFile, `${process.pid}\n`) : rmSync(readyFile, { force: true });
    mark(false);
    runner.on('ready', () => mark(true));
    runner.on('down', () => mark(false));
    process.on('exit', () => mark(false));
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'unit stopping');
    runner.stop().then(
      () => {
        log.info({ stats: runner.stats }, 'unit stopped');
        process.exit(0);
      },
      (err: Error) => {
        log.error({ reason: err.message }, 'unit stopped with an error');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
