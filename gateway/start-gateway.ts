import type { Logger } from '../router/index.ts';
import {
  Gateway,
  type GatewayDrop,
  type GatewayOptions,
  type GatewayRefusal,
} from './gateway.ts';
import type { Push } from './redirect-dispatcher.ts';

/** Creates the gateway, logs what it reports, and listens. */
export async function startGateway(options: GatewayOptions, log: Logger): Promise<Gateway> {
  const gateway = new Gateway(options);
  gateway.on('ready', () => log.info({ clientId: options.clientId }, 'gateway on the bus'));
  gateway.on('down', () => log.warn({}, 'broker connection lost'));
  gateway.on('problem', ({ code, reason }) => {
    log.error({ code, reason, ready: false }, 'broker problem');
  });
  gateway.on('drop', ({ topic, code, reason }: GatewayDrop) => {
    log.warn({ topic, code, reason, dropped: gateway.stats.dropped[code] }, 'message dropped');
  });
  gateway.on('login', ({ userId, sessionId }) => log.info({ userId, sessionId }, 'login'));
  gateway.on('login-failed', ({ reason, address }) => {
    log.warn({ reason, address }, 'login failed');
  });
  gateway.on('refused', ({ code, reason, address }: GatewayRefusal) => {
    log.warn({ code, reason, address, refused: gateway.stats.refused[code] }, 'request refused');
  });
  gateway.on('sockets-expired', ({ code, sockets }) => {
    log.info({ code, sockets }, 'sockets of ended sessions closed');
  });
  gateway.on('push', ({ sessionId, appName, latencyMs, sockets }: Push) => {
    log.info({ sessionId, appName, latencyMs, sockets }, 'redirect pushed');
  });
  gateway.on('held', ({ sessionId, appName }) => {
    log.info({ sessionId, appName }, 'redirect held for socket');
  });
  gateway.on('socket-refused', (detail) => log.warn(detail, 'socket refused'));
  gateway.on('failure', ({ where, reason }) => log.error({ where, reason }, 'gateway failure'));

  await gateway.listen();
  log.info({ port: gateway.port, publicUrl: options.publicUrl.href }, 'gateway listening');
  return gateway;
}
