import { ErrorCodes } from '../protocol/index.ts';
import type { Logger } from '../router/index.ts';
import {
  Gateway,
  type GatewayDrop,
  type GatewayOptions,
  type GatewayRefusal,
} from './gateway.ts';
import type { NoAnswer, Push } from './redirect-dispatcher.ts';

/** A browser socket refused at upgrade; `expected` is the origin it should have come from. */
interface SocketRefusal {
  reason: 'origin' | 'session';
  origin?: string;
  expected?: string;
}

/**
 * Creates the gateway, logs what it reports with the fields every unit logs too
 * (router/logger.ts), and listens.
 */
export async function startGateway(options: GatewayOptions, log: Logger): Promise<Gateway> {
  const gateway = new Gateway(options);
  gateway.on('ready', () => log.info({ client_id: options.clientId }, 'gateway on the bus'));
  gateway.on('down', () => log.warn({}, 'broker connection lost'));
  gateway.on('problem', ({ code, reason }) => {
    log.error({ code, reason, ready: false }, 'broker problem');
  });
  gateway.on('drop', ({ topic, code, reason }: GatewayDrop) => {
    log.warn({ topic, code, reason, dropped: gateway.stats.dropped[code] }, 'message dropped');
  });
  // One line per login and per push would be most of a busy gateway's log at info: they are
  // debug, and counted at /metrics. What was refused stays at warn. Below debug they are not
  // listened to at all, so no fields are built for a line that is not written.
  if (log.isLevelEnabled('debug')) logEachLoginAndPush(gateway, log);
  gateway.on('login-failed', ({ reason, address }) => {
    log.warn({ reason, address }, 'login failed');
  });
  gateway.on('refused', ({ code, reason, address }: GatewayRefusal) => {
    log.warn({ code, reason, address, refused: gateway.stats.refused[code] }, 'request refused');
  });
  gateway.on('sockets-expired', ({ code, sockets }) => {
    log.info({ code, sockets }, 'sockets of ended sessions closed');
  });
  gateway.on('unanswered', ({ sessionId, userId, waitedMs, sockets }: NoAnswer) => {
    const fields = { session_id: sessionId, user_id: userId, waitedMs, sockets };
    log.warn(fields, 'login unanswered, its page told');
  });
  gateway.on('socket-refused', ({ reason, origin, expected }: SocketRefusal) => {
    if (reason !== 'origin') return log.warn({ reason }, 'socket refused');
    const hint = `open the page at ${expected}/, or set MODT_PUBLIC_URL to the address in use`;
    const fields = { code: ErrorCodes.ORIGIN_NOT_ALLOWED, reason, origin, expected, hint };
    log.warn(fields, 'socket refused: its Origin is not the public URL');
  });
  gateway.on('failure', ({ where, reason }) => log.error({ where, reason }, 'gateway failure'));
  gateway.on('history-problem', ({ reason }) => {
    log.error({ reason, store: options.history?.location }, 'history store unreadable');
  });

  try {
    await gateway.listen();
  } catch (err) {
    // Its broker link is up already: left open, it would go on logging after the refusal.
    await gateway.stop();
    throw err;
  }
  log.info({ port: gateway.port, publicUrl: options.publicUrl.href }, 'gateway listening');
  return gateway;
}

/** The debug lines: each login, each redirect pushed, each held for its socket. */
function logEachLoginAndPush(gateway: Gateway, log: Logger): void {
  gateway.on('login', ({ userId, sessionId }) => {
    log.debug({ user_id: userId, session_id: sessionId }, 'login');
  });
  gateway.on('push', ({ sessionId, appName, latencyMs, sockets }: Push) => {
    const fields = { session_id: sessionId, app_name: appName, latencyMs, sockets };
    log.debug(fields, 'redirect pushed');
  });
  gateway.on('held', ({ sessionId, appName }) => {
    log.debug({ session_id: sessionId, app_name: appName }, 'redirect held for socket');
  });
}
