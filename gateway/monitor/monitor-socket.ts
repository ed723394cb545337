import type { HttpRequest, HttpResponse, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import { SESSION_COOKIE, cookieValues, send, text } from '../http.ts';
import { MessageBudget } from '../message-budget.ts';
import type { BrowserSession, SessionRegistry } from '../session-registry.ts';
import type { FeedReader, HistoryFeed } from './history-feed.ts';
import { monitorAccess, watches } from './monitor-access.ts';

export interface MonitorSocketData {
  session: BrowserSession<unknown>;
  budget: MessageBudget;
  closed: boolean;
  reader?: FeedReader;
}
type MonitorWebSocket = WebSocket<MonitorSocketData>;

/** What the monitor's sockets tell the gateway, which emits it. */
export type MonitorSocketEvent =
  | { kind: 'socket-refused'; reason: 'origin' | 'session' | 'role'; origin?: string }
  | { kind: 'failure'; where: string; reason: string };

export interface MonitorSocketOptions {
  registry: SessionRegistry<unknown>;
  feed: () => HistoryFeed | undefined;
  publicOrigin: string;
  now: () => number;
  report: (event: MonitorSocketEvent) => void;
}

/** Records a page starts from. */
export const SNAPSHOT_LIMIT = 500;
/** Close codes the page takes as "reload": the session ended, or is no admin's any more. */
const CLOSE_NO_SESSION = 4401;
const CLOSE_NOT_ADMIN = 4403;
/** RFC 6455 §7.4.1: an unexpected condition kept the server from going on. */
const CLOSE_INTERNAL = 1011;
const CLOSE_POLICY_VIOLATION = 1008;
const CLOSE_TRY_AGAIN = 1013;
/** What `send` answers when it dropped a frame because the socket's queue is full. */
const DROPPED = 2;
/** A page that reads slower than this is queued for is closed; it reconnects afresh. */
const MAX_BACKPRESSURE_BYTES = 4 * 1024 * 1024;

/**
 * `/monitor/ws`: pushes the history to admins' pages as it is stored. Bound like `/ws`: the
 * gateway's own Origin, a live cookie, and here a signed-in admin's. It carries JSON
 * frames `{ type: 'snapshot', entries, more }` once, then `{ type: 'records', entries }`.
 * The page sends nothing; a socket that does is closed past the same budget as `/ws`.
 */
export class MonitorSocket {
  #options: MonitorSocketOptions;
  #sockets = new Set<MonitorWebSocket>();
  /** Set by `closeAll()`: the gateway is stopping and takes no socket any more. */
  #stopped = false;

  constructor(options: MonitorSocketOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#sockets.size;
  }

  behavior(): WebSocketBehavior<MonitorSocketData> {
    return {
      maxPayloadLength: 1024,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      maxBackpressure: MAX_BACKPRESSURE_BYTES,
      upgrade: (res, req, context) => this.#upgrade(res, req, context),
      open: (ws) => this.#open(ws),
      message: (ws) => this.#message(ws),
      close: (ws) => this.#close(ws),
    };
  }

  /** Closes every socket whose session ended or is no admin's any more. */
  closeEnded(now: number): number {
    let closed = 0;
    for (const socket of this.#sockets) {
      if (socket.getUserData().closed) continue;
      if (this.#closeIfEnded(socket, now)) closed += 1;
    }
    return closed;
  }

  /** Ends every socket with 1001 and refuses new ones (503), as the browser sockets do. */
  closeAll(): void {
    this.#stopped = true;
    for (const socket of this.#sockets) socket.end(1001, 'gateway stopping');
  }

  #upgrade(res: HttpResponse, req: HttpRequest, context: unknown): void {
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const origin = req.getHeader('origin');
    const secrets = cookieValues(req.getHeader('cookie'), SESSION_COOKIE);
    const { publicOrigin, registry, report } = this.#options;

    if (this.#stopped) return send(res, text('503 Service Unavailable', 'gateway stopping'));
    if (origin !== publicOrigin) {
      report({ kind: 'socket-refused', reason: 'origin', origin });
      return send(res, text('403 Forbidden', 'origin not allowed'));
    }
    const now = this.#options.now();
    const access = monitorAccess(registry, secrets, now);
    if (!access.ok && access.why === 'anonymous') {
      report({ kind: 'socket-refused', reason: 'session' });
      return send(res, text('401 Unauthorized', 'no signed-in session'));
    }
    if (!access.ok) {
      report({ kind: 'socket-refused', reason: 'role' });
      return send(res, text('403 Forbidden', 'the monitor is for admins'));
    }
    if (this.#options.feed() === undefined) {
      return send(res, text('503 Service Unavailable', 'history is not configured'));
    }
    const budget = new MessageBudget(20, 10_000, now);
    const data: MonitorSocketData = { session: access.session, budget, closed: false };
    res.upgrade<MonitorSocketData>(data, key, protocol, extensions, context as never);
  }

  #open(ws: MonitorWebSocket): void {
    const data = ws.getUserData();
    this.#sockets.add(ws);
    const feed = this.#options.feed();
    if (feed === undefined) return ws.end(CLOSE_INTERNAL, 'history is not configured');

    const reader: FeedReader = {
      snapshot: ({ entries, more }) => sendJson(ws, { type: 'snapshot', entries, more }),
      deliver: (entries) => {
        if (this.#closeIfEnded(ws, this.#options.now())) return;
        sendJson(ws, { type: 'records', entries });
      },
    };
    data.reader = reader;
    feed.join(reader, SNAPSHOT_LIMIT).catch((err: Error) => {
      this.#options.report({ kind: 'failure', where: 'monitor snapshot', reason: err.message });
      if (!data.closed) ws.end(CLOSE_INTERNAL, 'history unavailable');
    });
  }

  #message(ws: MonitorWebSocket): void {
    const data = ws.getUserData();
    if (data.closed || data.budget.take(this.#options.now())) return;
    ws.end(CLOSE_POLICY_VIOLATION, 'too many messages');
  }

  #close(ws: MonitorWebSocket): void {
    const data = ws.getUserData();
    data.closed = true;
    this.#sockets.delete(ws);
    if (data.reader) this.#options.feed()?.leave(data.reader);
  }

  #closeIfEnded(ws: MonitorWebSocket, now: number): boolean {
    const data = ws.getUserData();
    if (data.closed) return true;
    if (!this.#options.registry.holds(data.session, now)) {
      ws.end(CLOSE_NO_SESSION, 'session expired');
      return true;
    }
    if (watches(data.session)) return false;
    ws.end(CLOSE_NOT_ADMIN, 'not an admin any more');
    return true;
  }
}

/**
 * Sends a JSON frame while the socket is open (uWebSockets.js forbids touching a closed
 * one). A frame dropped for backpressure leaves a hole in the page's history: the socket
 * is closed with 1013, try again later (IANA WebSocket close codes), and the page
 * reconnects to a fresh snapshot. The close frame is queued behind the rest, so it is
 * dropped with them: what the socket had queued here is freed at once, the page reads what
 * the kernel still held and then sees the connection end (test/slow-readers.test.ts).
 */
function sendJson(ws: MonitorWebSocket, value: unknown): void {
  if (ws.getUserData().closed) return;
  if (ws.send(JSON.stringify(value), false) === DROPPED) ws.end(CLOSE_TRY_AGAIN, 'reader too slow');
}
