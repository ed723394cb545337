import { EventEmitter } from 'node:events';
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_listen_socket } from 'uWebSockets.js';
import {
  AppDisplay,
  AppReady,
  ErrorCodes,
  ModtFailure,
  Topics,
  decodePayload,
  type ModtError,
} from '../protocol/index.ts';
import { MqttLink } from '../router/index.ts';
import { SESSION_COOKIE, cookieValue, html, json, readBody, send, sessionCookie, type Reply } from './http.ts';
import { LOGIN_SCRIPT, STYLE_SHEET, displayPage, loginPage, messagePage } from './pages.ts';
import { RedirectDispatcher, type Push } from './redirect-dispatcher.ts';
import { allowedOriginsOf } from './redirect-policy.ts';
import { SessionRegistry, type BrowserSession } from './session-registry.ts';
import type { UserStore } from './user-store.ts';
import { loadUws } from './uws.ts';

export interface GatewayOptions {
  host: string;
  port: number;
  publicUrl: URL;
  redirectOrigins: readonly string[];
  mqttUrl: URL;
  clientId: string;
  users: UserStore;
  pendingTtlMs: number;
  answerTtlMs: number;
  sessionIdleMs: number;
  maxSessions: number;
  maxPayloadBytes: number;
  /** How long a login waits for the broker to take its `modt/auth/success`. */
  publishTimeoutMs: number;
  clock?: () => number;
}

interface SocketData {
  session: BrowserSession<Socket>;
  closed: boolean;
}
type Socket = WebSocket<SocketData>;

/** A message the gateway refused: which topic and why (PROTOCOL.md: never silent). */
export interface GatewayDrop {
  topic: string;
  code: ModtError['code'];
  reason: string;
}

const MAX_LOGIN_BODY_BYTES = 4096;
const SWEEP_EVERY_MS = 60_000;
/** Close code the page takes as "reload": the socket had no valid session. */
const CLOSE_NO_SESSION = 4401;

/**
 * The identify unit: serves the login page, checks credentials, owns every browser session
 * and its WebSockets, publishes `modt/auth/success`, and pushes the redirect of the first
 * valid `modt/app/ready` to the right browser. Emits `login`, `push`, `held`, `drop`,
 * `ready`, `down` and `problem`; the process at the edge logs them.
 */
export class Gateway extends EventEmitter {
  readonly stats = {
    logins: 0,
    loginFailures: 0,
    pushes: 0,
    held: 0,
    dropped: {} as Record<string, number>,
  };
  port = 0;
  #options: GatewayOptions;
  #now: () => number;
  #app: TemplatedApp;
  #uws: ReturnType<typeof loadUws>;
  #listenSocket: us_listen_socket | undefined;
  #link: MqttLink;
  #registry: SessionRegistry<Socket>;
  #dispatcher: RedirectDispatcher<Socket>;
  #sockets = new Set<Socket>();
  #sweep: NodeJS.Timeout | undefined;
  #publicOrigin: string;
  #secure: boolean;

  constructor(options: GatewayOptions) {
    super();
    this.#options = options;
    this.#now = options.clock ?? Date.now;
    this.#publicOrigin = options.publicUrl.origin;
    this.#secure = options.publicUrl.protocol === 'https:';
    this.#uws = loadUws();
    this.#registry = new SessionRegistry({ maxSessions: options.maxSessions, idleMs: options.sessionIdleMs });
    this.#dispatcher = new RedirectDispatcher(
      this.#registry,
      {
        allowedOrigins: allowedOriginsOf(options.publicUrl, options.redirectOrigins),
        answerTtlMs: options.answerTtlMs,
        pendingTtlMs: options.pendingTtlMs,
      },
      (socket, frame) => sendFrame(socket, frame),
    );
    this.#link = new MqttLink({
      url: options.mqttUrl,
      clientId: options.clientId,
      subscriptions: [Topics.appReady, Topics.appDisplay],
      onMessage: async (topic, payload) => this.#onBusMessage(topic, payload),
    });
    for (const event of ['ready', 'down', 'problem'] as const) {
      this.#link.on(event, (detail) => this.emit(event, detail));
    }
    this.#app = this.#routes(this.#uws.App());
  }

  /** Whether the gateway holds its broker link. */
  get busReady(): boolean {
    return this.#link.ready;
  }

  get sessions(): number {
    return this.#registry.size;
  }

  /** Listens; rejects with MODT_ERR_PORT_IN_USE when the port is taken. */
  listen(): Promise<void> {
    const { host, port } = this.#options;
    return new Promise((resolve, reject) => {
      this.#app.listen(host, port, (socket) => {
        if (!socket) {
          const message = `port ${port} on ${host} is taken or not ours: set PORT to a free port`;
          reject(new ModtFailure(ErrorCodes.PORT_IN_USE, message));
          return;
        }
        this.#listenSocket = socket;
        this.port = this.#uws.us_socket_local_port(socket as never);
        this.#sweep = setInterval(() => this.#registry.sweep(this.#now()), SWEEP_EVERY_MS);
        this.#sweep.unref();
        resolve();
      });
    });
  }

  /** Waits for the broker link, up to `timeoutMs`. */
  waitBus(timeoutMs: number): Promise<void> {
    return this.#link.waitReady(timeoutMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweep);
    if (this.#listenSocket) this.#uws.us_listen_socket_close(this.#listenSocket);
    this.#listenSocket = undefined;
    for (const socket of this.#sockets) socket.end(1001, 'gateway stopping');
    await this.#link.close();
  }

  #routes(app: TemplatedApp): TemplatedApp {
    // A throw inside a uWebSockets.js callback would end the process: every route answers
    // 500 instead, and the failure is reported.
    const guard = (handler: (res: HttpResponse, req: HttpRequest) => void) => {
      return (res: HttpResponse, req: HttpRequest) => {
        try {
          handler(res, req);
        } catch (err) {
          this.emit('failure', { where: req.getUrl(), reason: (err as Error).message });
          res.cork(() => res.writeStatus('500 Internal Server Error').end('internal error'));
        }
      };
    };
    return app
      .get('/', guard((res, req) => this.#loginPage(res, req)))
      .post('/login', guard((res, req) => this.#login(res, req)))
      .get('/apps/:app/', guard((res, req) => this.#appPage(res, req)))
      .get('/healthz', guard((res) => this.#health(res)))
      .get('/assets/login.js', guard((res) => asset(res, 'text/javascript; charset=utf-8', LOGIN_SCRIPT)))
      .get('/assets/style.css', guard((res) => asset(res, 'text/css; charset=utf-8', STYLE_SHEET)))
      .ws<SocketData>('/ws', {
        maxPayloadLength: 1024,
        idleTimeout: 120,
        sendPingsAutomatically: true,
        maxBackpressure: 64 * 1024,
        upgrade: (res, req, context) => this.#upgrade(res, req, context),
        open: (ws) => this.#open(ws),
        close: (ws) => this.#close(ws),
      })
      .any('/*', guard((res) => send(res, html('404 Not Found', messagePage('Not found', 'Nothing here.')))));
  }

  #loginPage(res: HttpResponse, req: HttpRequest): void {
    const now = this.#now();
    const existing = this.#registry.touch(cookieValue(req.getHeader('cookie'), SESSION_COOKIE), now);
    if (existing) return send(res, html('200 OK', loginPage()));
    const session = this.#registry.create(now);
    send(res, html('200 OK', loginPage(), [['set-cookie', sessionCookie(session.secret, this.#secure)]]));
  }

  #login(res: HttpResponse, req: HttpRequest): void {
    // Everything needed from the request is copied before the first await: uWebSockets.js
    // frees it when this handler returns (field case C05).
    const secret = cookieValue(req.getHeader('cookie'), SESSION_COOKIE);
    const origin = req.getHeader('origin');
    const contentType = req.getHeader('content-type');
    const aborted = { value: false };
    res.onAborted(() => (aborted.value = true));

    void this.#finishLogin(res, aborted, secret, origin, contentType).catch((err: Error) => {
      this.emit('failure', { where: 'login', reason: err.message });
      if (!aborted.value) send(res, json('500 Internal Server Error', { ok: false, error: 'internal error' }));
    });
  }

  async #finishLogin(
    res: HttpResponse,
    aborted: { value: boolean },
    secret: string | undefined,
    origin: string,
    contentType: string,
  ): Promise<void> {
    const body = await readBody(res, MAX_LOGIN_BODY_BYTES, aborted);
    if (aborted.value) return;
    const reply = await this.#loginReply(body, secret, origin, contentType);
    if (!aborted.value) send(res, reply);
  }

  async #loginReply(body: Buffer | null, secret: string | undefined, origin: string, contentType: string) {
    if (body === null) return json('413 Payload Too Large', { ok: false, error: 'login request too large' });
    if (origin !== '' && origin !== this.#publicOrigin) {
      return json('403 Forbidden', { ok: false, error: 'login from a foreign origin' });
    }
    const session = this.#registry.touch(secret, this.#now());
    if (session === undefined) {
      return json('401 Unauthorized', { ok: false, error: 'no session: open the login page first' });
    }

    const form = parseForm(body, contentType);
    const identity = form && (await this.#options.users.check(form.username, form.password));
    if (!identity) {
      this.stats.loginFailures += 1;
      this.emit('login-failed', { reason: form ? 'credentials' : 'malformed form' });
      return json('401 Unauthorized', { ok: false, error: 'wrong username or password' });
    }

    const now = this.#now();
    const login = this.#registry.beginLogin(session, identity, now);
    const success = {
      user_id: identity.userId,
      session_id: login.sessionId,
      role: identity.role,
      timestamp: new Date(now).toISOString(),
    };
    const published = await this.#publishWithin(Topics.authSuccess, JSON.stringify(success));
    if (!published) {
      return json('503 Service Unavailable', { ok: false, error: 'the message bus is unavailable, try again' });
    }
    this.stats.logins += 1;
    this.emit('login', { userId: identity.userId, sessionId: login.sessionId });
    return json('200 OK', { ok: true, user_id: identity.userId, role: identity.role });
  }

  async #publishWithin(topic: string, payload: string): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.#options.publishTimeoutMs);
    });
    const published = this.#link.publish(topic, payload, 1).then(() => true, () => false);
    const result = await Promise.race([published, timeout]);
    clearTimeout(timer);
    return result;
  }

  #appPage(res: HttpResponse, req: HttpRequest): void {
    const app = req.getParameter(0);
    const session = this.#registry.touch(cookieValue(req.getHeader('cookie'), SESSION_COOKIE), this.#now());
    const display = session?.login?.displays.get(app);
    if (display === undefined) {
      return send(res, html('404 Not Found', messagePage('Nothing to show', 'This page is for the browser that signed in.')));
    }
    send(res, html('200 OK', displayPage(display)));
  }

  #health(res: HttpResponse): void {
    const ok = this.#link.ready;
    const body = { status: ok ? 'ok' : 'degraded', bus: ok, sessions: this.#registry.size, sockets: this.#sockets.size };
    send(res, json(ok ? '200 OK' : '503 Service Unavailable', body));
  }

  #upgrade(res: HttpResponse, req: HttpRequest, context: unknown): void {
    const key = req.getHeader('sec-websocket-key');
    const protocol = req.getHeader('sec-websocket-protocol');
    const extensions = req.getHeader('sec-websocket-extensions');
    const origin = req.getHeader('origin');
    const secret = cookieValue(req.getHeader('cookie'), SESSION_COOKIE);

    if (origin !== this.#publicOrigin) {
      this.emit('socket-refused', { reason: 'origin', origin });
      return send(res, { status: '403 Forbidden', headers: [], body: 'origin not allowed' });
    }
    const session = this.#registry.touch(secret, this.#now());
    if (session === undefined) {
      this.emit('socket-refused', { reason: 'session' });
      return send(res, { status: '401 Unauthorized', headers: [], body: 'no session' });
    }
    res.upgrade<SocketData>({ session, closed: false }, key, protocol, extensions, context as never);
  }

  #open(ws: Socket): void {
    const data = ws.getUserData();
    this.#sockets.add(ws);
    data.session.sockets.add(ws);
    const push = this.#dispatcher.onSocketOpen(data.session, this.#now());
    if (push) this.#pushed(push);
  }

  #close(ws: Socket): void {
    const data = ws.getUserData();
    data.closed = true;
    this.#sockets.delete(ws);
    // Only this socket is removed: a newer socket of the same session stays (field case C07).
    data.session.sockets.delete(ws);
  }

  #onBusMessage(topic: string, payload: Buffer): void {
    const now = this.#now();
    if (topic === Topics.appReady) {
      const ready = decodePayload(payload, AppReady, this.#options.maxPayloadBytes);
      if (!ready.ok) return this.#drop(topic, ready.error);
      const result = this.#dispatcher.onReady(ready.value, now);
      if ('code' in result) return this.#drop(topic, result);
      if (result.push) return this.#pushed(result.push);
      this.stats.held += 1;
      this.emit('held', { sessionId: ready.value.session_id, appName: ready.value.app_name });
      return;
    }
    if (topic === Topics.appDisplay) {
      const display = decodePayload(payload, AppDisplay, this.#options.maxPayloadBytes);
      if (!display.ok) return this.#drop(topic, display.error);
      const refused = this.#dispatcher.onDisplay(display.value);
      if (refused) this.#drop(topic, refused);
    }
  }

  #pushed(push: Push): void {
    this.stats.pushes += 1;
    this.emit('push', push);
  }

  #drop(topic: string, error: ModtError): void {
    this.stats.dropped[error.code] = (this.stats.dropped[error.code] ?? 0) + 1;
    const drop: GatewayDrop = { topic, code: error.code, reason: error.message };
    this.emit('drop', drop);
  }
}

/** Sends on a socket only while it is open; uWebSockets.js forbids touching a closed one. */
function sendFrame(socket: Socket, frame: string): boolean {
  if (socket.getUserData().closed) return false;
  return socket.send(frame, false) !== 2;
}

function asset(res: HttpResponse, type: string, body: string): void {
  const headers: [string, string][] = [
    ['content-type', type],
    ['cache-control', 'public, max-age=300'],
    ['x-content-type-options', 'nosniff'],
  ];
  send(res, { status: '200 OK', headers, body } satisfies Reply);
}

function parseForm(body: Buffer, contentType: string): { username: string; password: string } | null {
  let fields: URLSearchParams;
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    fields = new URLSearchParams(body.toString('utf8'));
  } else if (contentType.startsWith('application/json')) {
    try {
      const value = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      fields = new URLSearchParams();
      for (const key of ['username', 'password']) {
        if (typeof value?.[key] === 'string') fields.set(key, value[key] as string);
      }
    } catch {
      return null;
    }
  } else {
    return null;
  }
  const username = fields.get('username');
  const password = fields.get('password');
  if (!username || !password || username.length > 64 || password.length > 1024) return null;
  return { username, password };
}

