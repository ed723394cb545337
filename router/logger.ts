import pino, { type DestinationStream, type Logger } from 'pino';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';
import type { Env } from './settings.ts';

export type { Logger } from 'pino';

/** Where log lines go: standard output unless told (`npm run dev` gives a pretty printer). */
export type LogDestination = DestinationStream;

/**
 * The structured logger of the processes at the edge (a unit's main, the gateway, the dev
 * stack): JSON lines, fields first and a short constant message. Library code emits events
 * instead of logging.
 *
 * Every process names the same things by the same fields, so one filter finds a message
 * across them all: `unit` (the unit, `gateway` or `stack`: on every line), `topic`, `code`
 * (a `MODT_ERR_*` of protocol/errors.ts), `reason`, `client_id`, and the protocol's own
 * `session_id`, `user_id` and `app_name`.
 */
export function createLogger(name: string, destination?: LogDestination): Logger {
  const asked = process.env.MODT_LOG_LEVEL || 'info';
  const known = LOG_LEVELS.includes(asked);
  const options = {
    level: known ? asked : 'info',
    base: { unit: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // A level it does not know stops the process at its settings (checkLogLevel), in one
  // fatal line; until then, that line too, it logs at info.
  return pino(options, destination ?? standardOutput());
}

/** Stops start-up, as any bad setting does, when MODT_LOG_LEVEL names no level. */
export function checkLogLevel(env: Env): void {
  const asked = env.MODT_LOG_LEVEL || 'info';
  if (LOG_LEVELS.includes(asked)) return;
  const message = `MODT_LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got '${asked}'`;
  throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
}

let stdout: LogDestination | undefined;

/**
 * One destination for every logger of the process, written synchronously: pino's own
 * default is a buffer of its own per logger, written later, so the lines of a unit, the
 * gateway and `npm start`'s banner (console.log) came out of order under load ("MoDT is up"
 * before "gateway on the bus"), and a line could be lost with a crash. At info a process
 * writes a few lines a minute; the busy ones (each login, each push) are debug.
 */
function standardOutput(): LogDestination {
  stdout ??= pino.destination({ dest: 1, sync: true });
  return stdout;
}

/** The levels MODT_LOG_LEVEL may name, most severe first. */
export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace',
  'silent'];
