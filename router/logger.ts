import pino, { type DestinationStream, type Logger } from 'pino';
import { ErrorCodes } from '../protocol/index.ts';

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
  const log = destination === undefined ? pino(options) : pino(options, destination);
  if (!known) {
    const reason = `MODT_LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got '${asked}'`;
    log.warn({ code: ErrorCodes.SETTING_INVALID, reason }, 'logging at info');
  }
  return log;
}

/** The levels MODT_LOG_LEVEL may name, most severe first. */
export const LOG_LEVELS: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace',
  'silent'];
