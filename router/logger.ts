import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * The structured logger of the processes at the edge (a unit's main, the gateway, the dev
 * stack): JSON lines, fields first and a short constant message. Library code emits events
 * instead of logging.
 */
export function createLogger(name: string): Logger {
  return pino({
    level: process.env.MODT_LOG_LEVEL || 'info',
    base: { unit: name },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
