// `npm run dev`: what `npm start` runs, with readable logs, and a unit restarted on its own
// whenever its file in functions/ (or MODT_FUNCTIONS_DIR) is saved: its runner stops, the
// file is imported afresh, a new runner starts on the same client id, so its persistent
// session keeps what came meanwhile. The other units and the gateway keep their connections.
import pretty from 'pino-pretty';
import { createLogger, type Logger } from '../router/index.ts';
import { FunctionsWatcher } from './functions-watcher.ts';
import { runStack } from './start.ts';
import type { ReloadFailure, UnitChange, UnitSet } from './unit-set.ts';

const lines = pretty({
  sync: true,
  colorize: process.stdout.isTTY === true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,unit',
  messageFormat: '{unit}: {msg}',
  singleLine: true,
});
const logger = (name: string): Logger => createLogger(name, lines);
const log = logger('stack');

function watch(units: UnitSet, folder: string): void {
  const short = (file: string) => file.slice(folder.length).replace(/^\//, '');
  const report = (message: string) => ({ file, unit, ready }: UnitChange) => {
    logger(unit).info({ file: short(file), ready }, message);
  };
  units.on('reloaded', report('unit reloaded'));
  units.on('added', report('unit added'));
  units.on('removed', report('unit removed'));
  units.on('reload-failed', ({ file, reason, kept }: ReloadFailure) => {
    const message = kept ? 'unit not reloaded, the old one runs on' : 'unit not added';
    log.error({ file: short(file), reason }, message);
  });

  const reload = (file: string) => {
    units.reload(file).catch((err: Error) => {
      log.error({ file: short(file), reason: err.message }, 'unit reload failed');
    });
  };
  const watcher = new FunctionsWatcher(folder, reload);
  process.once('exit', () => watcher.close());
  log.info({ folder }, 'watching units');
}

void runStack({ logger, started: watch });
