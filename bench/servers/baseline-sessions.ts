import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { MqttClient } from 'mqtt';

/**
 * The session logic of the baseline gateways (`ws` + node:http, Socket.IO), kept to what
 * MoDT's gateway holds per browser: a 256-bit cookie secret, a 256-bit form token, two
 * times, the open sockets; found by secret and by the current login's session_id.
 */
export interface BaselineSession<Socket> {
  secret: string;
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
  sockets: Set<Socket>;
  login?: { sessionId: string; userId: string; answered: boolean };
}

export const COOKIE = 'modt_sid';

export class BaselineSessions<Socket> {
  #bySecret = new Map<string, BaselineSession<Socket>>();
  #byLogin = new Map<string, BaselineSession<Socket>>();

  get size(): number {
    return this.#bySecret.size;
  }

  create(): BaselineSession<Socket> {
    const now = Date.now();
    const session: BaselineSession<Socket> = {
      secret: randomBytes(32).toString('base64url'),
      csrf: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
      sockets: new Set(),
    };
    this.#bySecret.set(session.secret, session);
    return session;
  }

  byCookie(header: string | undefined): BaselineSession<Socket> | undefined {
    const secret = cookieValue(header ?? '');
    const session = secret === undefined ? undefined : this.#bySecret.get(secret);
    if (session) session.lastSeenAt = Date.now();
    return session;
  }

  byLogin(sessionId: string): BaselineSession<Socket> | undefined {
    return this.#byLogin.get(sessionId);
  }

  /** A login on a session: a fresh session_id, and a fresh cookie secret. */
  beginLogin(session: BaselineSession<Socket>, userId: string): string {
    if (session.login) this.#byLogin.delete(session.login.sessionId);
    const sessionId = randomUUID();
    session.login = { sessionId, userId, answered: false };
    this.#byLogin.set(sessionId, session);
    this.#bySecret.delete(session.secret);
    session.secret = randomBytes(32).toString('base64url');
    this.#bySecret.set(session.secret, session);
    return sessionId;
  }
}

export function cookieValue(header: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function tokenMatches(expected: string, received: string | null): boolean {
  if (received === null || received.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(received));
}

/** The login page's form, as much of it as a browser needs: the token in its hidden input. */
export function loginPage(csrf: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><form id="login" method="post" action="/login">
  <input type="hidden" name="csrf" value="${csrf}">
  <input name="username"><input name="password" type="password"><button>Sign in</button>
</form></body></html>\n`;
}

/** The bus as a hand-written gateway holds it: mqtt.js, Nagle off, QoS 1. */
export function connectBus(
  brokerUrl: string,
  onReady: (ready: { session_id: string; redirect_url: string; app_name: string }) => void,
) {
  const url = new URL(brokerUrl);
  const stream = () =>
    net.createConnection({ host: url.hostname, port: Number(url.port), noDelay: true });
  const bus = new MqttClient(stream, {
    clientId: `bench-baseline-${process.pid}`,
    clean: true,
    protocolVersion: 4,
  });
  bus.on('message', (_topic, payload) => onReady(JSON.parse(payload.toString('utf8'))));
  const subscribed = new Promise<void>((resolve) => {
    bus.on('connect', () => bus.subscribe('modt/app/ready', { qos: 1 }, () => resolve()));
  });
  return { bus, subscribed };
}
