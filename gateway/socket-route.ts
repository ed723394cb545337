import type { HttpRequest, HttpResponse, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import { ErrorCodes } from '../protocol/index.ts';
import { clientAddressOf, type TrustedProxies } from './client-address.ts';
import { SESSION_COOKIE, cookieValues, peerAddress, send, text } from './http.ts';
import type { GatewayRefusal } from './login-route.ts';
import { MessageBudget } from './message-budget.ts';
import type { Push, RedirectDispatcher } from './redirect-dispatcher.ts';
import type { BrowserSession, SessionRegistry } from './session-registry.ts';

/**
 * What a socket carries. uWebSockets.js copies these properties onto the socket's own object
 * (`getUserData()` is the socket), so they are kept to three: V8 gives the object room for
 * three more properties at a time.
 */
export interface SocketData {
  session: BrowserSession<Socket>;
  /** Made at the socket's first message: the login page sends none until it is redirected. */
  budget: MessageBudget | undefined;
  closed: boolean;
}
export type Socket = WebSocket<SocketData>;

/** What the socket route tells the gateway, which counts it and emits it. */
export type SocketEvent =
  | { kind: 'socket-refused'; reason: 'origin' | 'session'; origin?: string }
  | { kind: 'refused'; refusal: GatewayRefusal }
  | { kind: 'push'; push: Push };

export interface SocketRouteOptions {
  registry: SessionRegistry<Socket>;
  dispatcher: RedirectDispatcher<Socket>;
  publicOrigin: string;
  /** Sockets one session may hold open at once: a browser's tabs, bounded. */
  maxSocketsPerSession: number;
  /** Whose X-Forwarded-For names the client in a refusal. */
  proxies: TrustedProxies;
  now: () => number;
  report: (event: SocketEvent) => void;
}

/** Sockets one session may hold open at once unless `MODT_MAX_SOCKETS_PER_SESSION` says. */
export const DEFAULT_MAX_SOCKETS_PER_SESSION = 16;
/** A browser message larger than this closes its socket; uWebSockets.js enforces it. */
const SOCKET_MAX_PAYLOAD_BYTES = 1024;
/** Messages a browser socket may send per window. The login page sends none. */
const SOCKET_MAX_MESSAGES = 20;
const SOCKET_WINDOW_MS = 10_000;
/** Close code the page takes as "reload": the socket had no valid session. */
const CLOSE_NO_SESSION = 4401;
/** What the page sends once a redirect is in hand: `{"type":"ack","id":<the redirect's id>}`. */
const ACK = /^\{"type":"ack","id":(\d{1,15})\}$/;
/** RFC 6455 §7.4.1: a message that violates the endpoint's policy. */
const CLOSE_POLICY_VIOLATION = 1008;
/** IANA WebSocket close codes: try again later. */
const CLOSE_TRY_AGAIN = 1013;
/** Bytes a socket may have queued in the gateway; past them uWebSockets.js drops frames. */
const SOCKET_MAX_BACKPRESSURE_BYTES = 64 * 1024;
/** What `send` answers when it dropped a frame because the socket's queue is full. */
const DROPPED = 2;
/** RFC 6455 §7.1.5: the connection ended without a close frame. */
const CLOSE_ABNORMAL = 1006;

/**
 * `/ws`: the browser sockets. One opens only from the gateway's own Origin with a live
 * session cookie and fewer than `maxSocketsPerSession` open, is bound to that session
 * object, sends little, and is closed when its session ends.
 */
export class SocketRoute {
  #options: SocketRouteOptions;
  /**
   * Open sockets. They are found through their sessions, held or ended, rather than in a Set
   * of their own, which would cost some 30 bytes more per idle session.
   */
  #openSockets = 0;
  /** Set by `closeAll()`: the gateway is stopping and takes no socket any more. */
  #stopped = false;

  constructor(options: SocketRouteOptions) {
    this.#options = options;
  }

  /** Open sockets. */
  get size(): number {
    return this.#openSockets;
  }

  behavior(): WebSocketBehavior<SocketData> {
    return {
      maxPayloadLength: SOCKET_MAX_PAYLOAD_BYTES,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      maxBackpressure: SOCKET_MAX_BACKPRESSURE_BYTES,
      upgrade: (res, req, context) => this.#upgrade(res, req, context),
      open: (ws) => this.#open(ws),
      message: (ws, message) => this.#message(ws, message),
      close: (ws, code, message) => this.#close(ws, code, message),
    };
  }

  /**
   * Closes with 4401, so the page says to reload, every socket whose session has ended by
   * `now`: the registry forgets what expired, then hands over each session it forgot while
   * a socket of it was open.
   */
  closeEnded(now: number): number {
    const { registry } = this.#options;
    registry.sweep(now);
    let closed = 0;
    for (const session of registry.takeEnded()) {
      for (const socket of session.sockets) {
        if (socket.getUserData().closed) continue;
        socket.end(CLOSE_NO_SESSION, 'session expired');
        closed += 1;
      }
    }
    return closed;
  }

  /**
   * Ends every socket with 1001, and from now on refuses new ones (503): a connection kept
   * alive from before the port closed could still upgrade, and nothing would end that socket.
   */
  closeAll(): void {
    this.#stopped = true;
    const { registry } = this.#options;
    for (const session of [...registry.takeEnded(), ...registry.sessions()]) {
      for (const socket of session.sockets) socket.end(1001, 'gateway stopping');
    }
  }

  #upgrade(res: HttpResponse, req: HttpRequest, context: unknown): void {
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const origin = req.getHeader('origin');
    const secrets = cookieValues(req.getHeader('cookie'), SESSION_COOKIE);
    const forwardedFor = req.getHeader('x-forwarded-for');

    if (this.#stopped) return send(res, text('503 Service Unavailable', 'gateway stopping'));
    if (origin !== this.#options.publicOrigin) {
      this.#options.report({ kind: 'socket-refused', reason: 'origin', origin });
      return send(res, text('403 Forbidden', 'origin not allowed'));
    }
    const now = this.#options.now();
    const session = this.#options.registry.touch(secrets, now);
    if (session === undefined) {
      this.#options.report({ kind: 'socket-refused', reason: 'session' });
      return send(res, text('401 Unauthorized', 'no session'));
    }
    // uWebSockets.js runs `open` within `upgrade`, so the count is exact here, bursts too.
    const max = this.#options.maxSocketsPerSession;
    if (session.sockets.size >= max) {
      const address = clientAddressOf(peerAddress(res), forwardedFor, this.#options.proxies);
      const reason = `a session with ${max} sockets open opened another: refused`;
      const refusal = { code: ErrorCodes.SOCKETS_EXCEEDED, reason, address };
      this.#options.report({ kind: 'refused', refusal });
      return send(res, text('429 Too Many Requests', 'too many sockets for this session'));
    }
    const data: SocketData = { session, budget: undefined, closed: false };
    res.upgrade<SocketData>(data, key, protocol, extensions, context as never);
  }

  #open(ws: Socket): void {
    const data = ws.getUserData();
    this.#openSockets += 1;
    data.session.sockets.add(ws);
    const push = this.#options.dispatcher.onSocketOpen(data.session, this.#options.now());
    if (push) this.#options.report({ kind: 'push', push });
  }

  /**
   * The page sends one thing, `{"type":"ack","id":n}` once redirect `n` arrived; anything
   * else is ignored. A socket that sends past its budget is closed.
   */
  #message(ws: Socket, message: ArrayBuffer): void {
    const data = ws.getUserData();
    if (data.closed) return;
    const now = this.#options.now();
    data.budget ??= new MessageBudget(SOCKET_MAX_MESSAGES, SOCKET_WINDOW_MS, now);
    if (data.budget.take(now)) {
      const text = Buffer.from(message).toString('utf8');
      const ack = ACK.exec(text);
      if (ack !== null) this.#options.dispatcher.onAck(data.session, Number(ack[1]));
      return;
    }
    const reason = `more than ${SOCKET_MAX_MESSAGES} messages in ${SOCKET_WINDOW_MS} ms`;
    this.#options.report({ kind: 'refused', refusal: { code: ErrorCodes.SOCKET_FLOODED, reason } });
    ws.end(CLOSE_POLICY_VIOLATION, 'too many messages');
  }

  #close(ws: Socket, code: number, message: ArrayBuffer): void {
    const data = ws.getUserData();
    data.closed = true;
    const refusal = refusalOfClose(code, message);
    if (refusal) this.#options.report({ kind: 'refused', refusal });
    this.#openSockets -= 1;
    // Only this socket is removed: a newer socket of the same session stays (field case C07).
    data.session.sockets.delete(ws);
    // The idle limit counts from when the browser's last socket went away.
    if (data.session.sockets.size > 0) return;
    this.#options.registry.seen(data.session, this.#options.now());
  }
}

/**
 * What a browser sent that made uWebSockets.js drop its socket, a frame the page never sends:
 * over the size limit, or text that is no UTF-8 (RFC 6455 §8.1). The binding says so only in
 * the reason it hands the close handler (code 1006, nothing went on the wire), so that text
 * is read here; any other close, a tab that went away, is no refusal.
 */
function refusalOfClose(code: number, message: ArrayBuffer): GatewayRefusal | undefined {
  if (code !== CLOSE_ABNORMAL) return undefined;
  const reason = Buffer.from(message).toString('latin1');
  if (reason === 'Received too big message') {
    const over = `a message over ${SOCKET_MAX_PAYLOAD_BYTES} bytes`;
    return { code: ErrorCodes.PAYLOAD_TOO_LARGE, reason: `${over}: socket closed` };
  }
  if (reason === 'Received invalid UTF-8') {
    return { code: ErrorCodes.PAYLOAD_NOT_UTF8, reason: 'a text message not UTF-8: socket closed' };
  }
  return undefined;
}

/**
 * Sends on a socket only while it is open; uWebSockets.js forbids touching a closed one.
 * A frame dropped because the page stopped reading (its queue is past the limit) closes
 * the socket: left open, it would never carry that redirect, and a page that wakes up
 * would act on the stale ones queued before it. Closed, its queue is freed at once, and
 * the page, once it reads again, reconnects and is sent the redirect still pending.
 */
export function sendFrame(socket: Socket, frame: string): boolean {
  if (socket.getUserData().closed) return false;
  if (socket.send(frame, false) !== DROPPED) return true;
  socket.end(CLOSE_TRY_AGAIN, 'reader too slow');
  return false;
}
