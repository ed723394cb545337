import { EventEmitter } from 'node:events';
import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import {
  AppDisplay,
  AppReady,
  ErrorCodes,
  ModtFailure,
  Topics,
  decodePayload,
  displayAppOf,
  type ErrorCode,
  type ModtError,
} from '../protocol/index.ts';
import { DeadLetterBox, MetricsRegistry, MqttLink, type HistoryStore } from '../router/index.ts';
import { GATEWAY_ACCOUNT, GATEWAY_READS } from './bus-topics.ts';
import { metricsReply, observeGateway } from './gateway-metrics.ts';
import { bearerMatches } from './metrics-token.ts';
import { TrustedProxies } from './client-address.ts';
import {
  SESSION_COOKIE,
  answerWithoutBody,
  cookieValues,
  getAndHead,
  html,
  json,
  send,
  text,
  type Reply,
} from './http.ts';
import { LoginRoute, type LoginEvent } from './login-route.ts';
import { LoginThrottle } from './login-throttle.ts';
import { MonitorRoute } from './monitor/index.ts';
import { LOGIN_SCRIPT, STYLE_SHEET, displayPage, messagePage } from './pages.ts';
import { PushAnnouncer } from './push-announcer.ts';
import { RedirectDispatcher, type Push } from './redirect-dispatcher.ts';
import { allowedOriginsOf } from './redirect-policy.ts';
import { SessionRegistry } from './session-registry.ts';
import {
  DEFAULT_MAX_SOCKETS_PER_SESSION,
  SocketRoute,
  sendFrame,
  type Socket,
  type SocketData,
  type SocketEvent,
} from './socket-route.ts';
import type { UserStore } from './user-store.ts';
import { loadUws } from './uws.ts';

export interface GatewayOptions {
  host: string;
  port: number;
  publicUrl: URL;
  redirectOrigins: readonly string[];
  /** Direct peers (addresses, CIDR ranges) whose X-Forwarded-For and -Proto are believed. */
  trustedProxies: readonly string[];
  mqttUrl: URL;
  clientId: string;
  users: UserStore;
  pendingTtlMs: number;
  answerTtlMs: number;
  /**
   * A login no app has answered after this long: its page is told so. An answer that comes
   * later is still pushed, up to `answerTtlMs`.
   */
  noAnswerNoticeMs: number;
  /** A session without a socket is forgotten after this long unseen. */
  sessionIdleMs: number;
  /** A session is forgotten this long after its secret was issued (at login it is renewed). */
  sessionMaxMs: number;
  maxSessions: number;
  /**
   * Sockets one session may hold open at once (a browser's tabs); one more is refused with
   * 429. `DEFAULT_MAX_SOCKETS_PER_SESSION` unless set.
   */
  maxSocketsPerSession?: number;
  /** Login attempts, failed or in flight, one client address may make per `loginWindowMs`. */
  loginMaxPerIp: number;
  /** The same, on one username from any address. */
  loginMaxPerUser: number;
  loginWindowMs: number;
  maxPayloadBytes: number;
  /** How long a login waits for the broker to take its `modt/auth/success`. */
  publishTimeoutMs: number;
  clock?: () => number;
  /** The history the monitor unit keeps, shown to admins at `/monitor`; none: it says so. */
  history?: HistoryStore;
  /** Served at `GET /metrics`; the stack passes the one its embedded units count into. */
  metrics?: MetricsRegistry;
  /** When set, `/metrics` answers only `Authorization: Bearer <this>`. */
  metricsToken?: string;
}

export type { GatewayRefusal } from './login-route.ts';

/** A message the gateway refused: which topic and why (PROTOCOL.md: never silent). */
export interface GatewayDrop {
  topic: string;
  code: ModtError['code'];
  reason: string;
}

const SWEEP_EVERY_MS = 60_000;
/** Login windows remembered at most, per client address and per username. */
const MAX_THROTTLE_KEYS = 10_000;

/** uSockets' LIBUS_LISTEN_EXCLUSIVE_PORT: no SO_REUSEPORT. */
const LISTEN_EXCLUSIVE_PORT = 1;

/**
 * The identify unit: serves the login page, checks credentials, owns every browser session
 * and its WebSockets, publishes `modt/auth/success`, and pushes the redirect of the first
 * valid `modt/app/ready` to the right browser. Emits `login`, `login-failed`, `refused`,
 * `socket-refused`, `push`, `held`, `unanswered`, `drop`, `sockets-expired`, `failure`,
 * `ready`, `down`, `problem` and `history-problem`; the process at the edge logs them.
 */
export class Gateway extends EventEmitter {
  readonly stats = {
    received: 0,
    deadLetters: 0,
    logins: 0,
    loginFailures: 0,
    pushes: 0,
    resent: 0,
    held: 0,
    unanswered: 0,
    dropped: {} as Record<string, number>,
    refused: {} as Record<string, number>,
  };
  port = 0;
  readonly metrics: MetricsRegistry;
  #options: GatewayOptions;
  #now: () => number;
  #app: TemplatedApp;
  #uws: ReturnType<typeof loadUws>;
  #listenSocket: us_listen_socket | undefined;
  #link: MqttLink;
  #deadLetters = new DeadLetterBox(GATEWAY_ACCOUNT);
  #registry: SessionRegistry<Socket>;
  #dispatcher: RedirectDispatcher<Socket>;
  #throttle: LoginThrottle;
  #login: LoginRoute<Socket>;
  #sockets: SocketRoute;
  #sweep: NodeJS.Timeout | undefined;
  /** The notice timer of each login not answered yet, by its `session_id`. */
  #unanswered = new Map<string, NodeJS.Timeout>();
  /** Announces each login's first push on `modt/gateway/pushed`, many in one message. */
  #announcer: PushAnnouncer;
  #monitor: MonitorRoute;

  constructor(options: GatewayOptions) {
    super();
    this.#options = options;
    this.metrics = options.metrics ?? new MetricsRegistry();
    observeGateway(this.metrics, this);
    this.#now = options.clock ?? Date.now;
    this.#uws = loadUws();
    this.#registry = new SessionRegistry({
      maxSessions: options.maxSessions,
      idleMs: options.sessionIdleMs,
      maxAgeMs: options.sessionMaxMs,
    });
    this.#throttle = new LoginThrottle({
      maxPerAddress: options.loginMaxPerIp,
      maxPerUser: options.loginMaxPerUser,
      windowMs: options.loginWindowMs,
      maxKeys: MAX_THROTTLE_KEYS,
    });
    const proxies = trustedProxiesOf(options.trustedProxies);
    this.#login = new LoginRoute({
      registry: this.#registry,
      throttle: this.#throttle,
      proxies,
      users: options.users,
      publicUrl: options.publicUrl,
      now: this.#now,
      publish: (topic, payload) => this.#publishWithin(topic, payload),
      report: (event) => this.#onLoginEvent(event),
    });
    this.#dispatcher = new RedirectDispatcher(
      this.#registry,
      {
        allowedOrigins: allowedOriginsOf(options.publicUrl, options.redirectOrigins),
        answerTtlMs: options.answerTtlMs,
        pendingTtlMs: options.pendingTtlMs,
      },
      sendFrame,
    );
    this.#monitor = new MonitorRoute({
      registry: this.#registry,
      history: options.history,
      publicOrigin: options.publicUrl.origin,
      answerTtlMs: options.answerTtlMs,
      now: this.#now,
      report: ({ kind, ...detail }) => this.emit(kind, detail),
    });
    this.#sockets = new SocketRoute({
      registry: this.#registry,
      dispatcher: this.#dispatcher,
      publicOrigin: options.publicUrl.origin,
      maxSocketsPerSession: options.maxSocketsPerSession ?? DEFAULT_MAX_SOCKETS_PER_SESSION,
      proxies,
      now: this.#now,
      report: (event) => this.#onSocketEvent(event),
    });
    this.#link = new MqttLink({
      url: options.mqttUrl,
      clientId: options.clientId,
      subscriptions: GATEWAY_READS,
      onMessage: async (topic, payload) => this.#onBusMessage(topic, payload),
    });
    for (const event of ['ready', 'down', 'problem'] as const) {
      this.#link.on(event, (detail) => this.emit(event, detail));
    }
    // Published like a dead letter, from outside the message handler's wait.
    const announce = (payload: string) =>
      void this.#link.publish(Topics.redirectPushed, payload, 1).catch(() => undefined);
    this.#announcer = new PushAnnouncer(announce, this.#now);
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
    // uWebSockets.js listens with SO_REUSEPORT unless told otherwise: a second gateway on the
    // same port would then start without a word and take half the connections, whose
    // sessions live in the other process.
    const listen = this.#app.listen as unknown as (
      host: string,
      port: number,
      options: number,
      cb: (socket: us_listen_socket | false) => void,
    ) => void;
    return new Promise((resolve, reject) => {
      listen.call(this.#app, host, port, LISTEN_EXCLUSIVE_PORT, (socket) => {
        if (!socket) {
          const message = `port ${port} on ${host} is taken or not ours: set PORT to a free port`;
          reject(new ModtFailure(ErrorCodes.PORT_IN_USE, message));
          return;
        }
        this.#listenSocket = socket;
        this.port = this.#uws.us_socket_local_port(socket as never);
        this.#sweep = setInterval(() => this.sweep(), SWEEP_EVERY_MS);
        this.#sweep.unref();
        resolve();
      });
    });
  }

  /** Waits for the broker link, up to `timeoutMs`. */
  waitBus(timeoutMs: number): Promise<void> {
    return this.#link.waitReady(timeoutMs);
  }

  /**
   * Stops taking logins, the first step of stopping: the port takes no new connection, and a
   * login on a connection still open answers 503 (`MODT_ERR_GATEWAY_STOPPING`). The bus link
   * and the open sockets stay, so the answers to logins already made still reach their page
   * while the units finish what they hold.
   */
  stopTaking(): void {
    this.#login.stopTaking();
    if (this.#listenSocket) this.#uws.us_listen_socket_close(this.#listenSocket);
    this.#listenSocket = undefined;
  }

  async stop(): Promise<void> {
    clearInterval(this.#sweep);
    for (const timer of this.#unanswered.values()) clearTimeout(timer);
    this.#unanswered.clear();
    this.stopTaking();
    this.#sockets.closeAll();
    this.#announcer.flush();
    await this.#monitor.stop();
    await this.#link.close();
  }

  /**
   * What the timer runs every minute: forgets expired sessions and login windows, and closes
   * the sockets of sessions that ended, so the page says to reload.
   */
  sweep(): void {
    const now = this.#now();
    // Sweeps the registry too, once: the sessions it forgets are those whose sockets close.
    const closed = this.#sockets.closeEnded(now);
    this.#throttle.sweep(now);
    this.#monitor.closeEnded(now);
    if (closed === 0) return;
    this.#count(ErrorCodes.SESSION_EXPIRED, closed);
    this.emit('sockets-expired', { code: ErrorCodes.SESSION_EXPIRED, sockets: closed });
  }

  #routes(app: TemplatedApp): TemplatedApp {
    // A throw inside a uWebSockets.js callback would end the process: every route answers
    // 500 instead, and the failure is reported.
    const guard = (handler: (res: HttpResponse, req: HttpRequest) => void) => {
      return (res: HttpResponse, req: HttpRequest) => {
        try {
          if (req.getMethod() === 'head') answerWithoutBody(res);
          handler(res, req);
        } catch (err) {
          this.emit('failure', { where: req.getUrl(), reason: (err as Error).message });
          send(res, text('500 Internal Server Error', 'internal error'));
        }
      };
    };
    const script = (res: HttpResponse) => asset(res, 'text/javascript', LOGIN_SCRIPT);
    const style = (res: HttpResponse) => asset(res, 'text/css', STYLE_SHEET);
    const notFound = (res: HttpResponse) => {
      send(res, html('404 Not Found', messagePage('Not found', 'Nothing here.')));
    };
    const pages: [string, (res: HttpResponse, req: HttpRequest) => void][] = [
      ['/', (res, req) => this.#login.page(res, req)],
      ['/apps/:app/', (res, req) => this.#appPage(res, req)],
      ['/healthz', (res) => this.#health(res)],
      ['/metrics', (res, req) => this.#metricsPage(res, req)],
      ['/assets/login.js', script],
      ['/assets/style.css', style],
    ];
    this.#monitor.routes(app, guard);
    for (const [pattern, handler] of pages) getAndHead(app, pattern, guard(handler));
    return app
      .post('/login', guard((res, req) => this.#login.post(res, req)))
      .ws<SocketData>('/ws', this.#sockets.behavior())
      .any('/*', guard(notFound));
  }

  #onLoginEvent(event: LoginEvent): void {
    if (event.kind === 'login') {
      this.stats.logins += 1;
      this.#awaitAnswer(event.sessionId);
      this.emit('login', { userId: event.userId, sessionId: event.sessionId });
      return;
    }
    if (event.kind === 'login-failed') {
      this.stats.loginFailures += 1;
      this.emit('login-failed', { reason: event.reason, address: event.address });
      return;
    }
    if (event.kind === 'refused') {
      this.#count(event.refusal.code);
      this.emit('refused', event.refusal);
      return;
    }
    this.emit('failure', { where: 'login', reason: event.reason });
  }

  #onSocketEvent(event: SocketEvent): void {
    if (event.kind === 'push') return this.#pushed(event.push);
    if (event.kind === 'refused') {
      this.#count(event.refusal.code);
      this.emit('refused', event.refusal);
      return;
    }
    // A foreign Origin is most often the page opened under another name than the public URL
    // (127.0.0.1 for localhost): the line names the origin expected.
    const expected = event.reason === 'origin' ? this.#options.publicUrl.origin : undefined;
    this.emit('socket-refused', { reason: event.reason, origin: event.origin, expected });
  }

  /**
   * Tells the page of a login that no app answered it in `noAnswerNoticeMs`, so the user is
   * not left waiting without a word; the page still follows an answer that comes later.
   */
  #awaitAnswer(sessionId: string): void {
    const timer = setTimeout(() => {
      this.#unanswered.delete(sessionId);
      const told = this.#dispatcher.onNoAnswer(sessionId, this.#now());
      if (told === undefined) return;
      this.stats.unanswered += 1;
      this.emit('unanswered', told);
    }, this.#options.noAnswerNoticeMs);
    timer.unref();
    this.#unanswered.set(sessionId, timer);
  }

  #count(code: ErrorCode, by = 1): void {
    this.stats.refused[code] = (this.stats.refused[code] ?? 0) + by;
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
    const secrets = cookieValues(req.getHeader('cookie'), SESSION_COOKIE);
    const display = this.#registry.touch(secrets, this.#now())?.login?.displays.get(app);
    if (display === undefined) {
      const page = messagePage('Nothing to show', 'This page is for the browser that signed in.');
      return send(res, html('404 Not Found', page));
    }
    send(res, html('200 OK', displayPage(display)));
  }

  #metricsPage(res: HttpResponse, req: HttpRequest): void {
    const token = this.#options.metricsToken;
    if (token === undefined || bearerMatches(req.getHeader('authorization'), token)) {
      return send(res, metricsReply(this.metrics));
    }
    const refused = text('401 Unauthorized', 'metrics need Authorization: Bearer <token>\n');
    const challenge: [string, string] = ['www-authenticate', 'Bearer realm="metrics"'];
    send(res, { ...refused, headers: [...refused.headers, challenge] });
  }

  #health(res: HttpResponse): void {
    const ok = this.#link.ready;
    const body = {
      status: ok ? 'ok' : 'degraded',
      bus: ok,
      sessions: this.#registry.size,
      sockets: this.#sockets.size,
    };
    send(res, json(ok ? '200 OK' : '503 Service Unavailable', body));
  }

  #onBusMessage(topic: string, payload: Buffer): void {
    const now = this.#now();
    this.stats.received += 1;
    if (topic === Topics.appReady) {
      const ready = decodePayload(payload, AppReady, this.#options.maxPayloadBytes);
      if (!ready.ok) return this.#drop(topic, payload, ready.error);
      const result = this.#dispatcher.onReady(ready.value, now);
      if ('code' in result) return this.#drop(topic, payload, result);
      clearTimeout(this.#unanswered.get(ready.value.session_id));
      this.#unanswered.delete(ready.value.session_id);
      if (result.push) return this.#pushed(result.push);
      this.stats.held += 1;
      this.emit('held', { sessionId: ready.value.session_id, appName: ready.value.app_name });
      return;
    }
    const app = displayAppOf(topic);
    if (app !== undefined) {
      const display = decodePayload(payload, AppDisplay, this.#options.maxPayloadBytes);
      if (!display.ok) return this.#drop(topic, payload, display.error);
      const refused = this.#dispatcher.onDisplay(app, display.value, now);
      if (refused) this.#drop(topic, payload, refused);
    }
  }

  #pushed(push: Push): void {
    if (push.resend) this.stats.resent += 1;
    else this.stats.pushes += 1;
    this.emit('push', push);
    if (!push.resend) this.#announcer.add(push);
  }

  /** Counts and reports a refused message, and announces it on `modt/dead/gateway`. */
  #drop(topic: string, payload: Buffer, error: ModtError): void {
    this.stats.dropped[error.code] = (this.stats.dropped[error.code] ?? 0) + 1;
    const drop: GatewayDrop = { topic, code: error.code, reason: error.message };
    this.emit('drop', drop);

    const letter = this.#deadLetters.letterFor(topic, payload, error, this.#now());
    if (letter === null) return;
    this.stats.deadLetters += 1;
    // Published from outside the message handler's wait: the handler returns at once.
    const letterTopic = this.#deadLetters.topic;
    void this.#link.publish(letterTopic, JSON.stringify(letter), 1).catch(() => undefined);
  }
}

function trustedProxiesOf(entries: readonly string[]): TrustedProxies {
  const proxies = TrustedProxies.parse(entries);
  if ('code' in proxies) throw new ModtFailure(proxies.code, `trustedProxies: ${proxies.message}`);
  return proxies;
}

function asset(res: HttpResponse, type: string, body: string): void {
  const headers: [string, string][] = [
    ['content-type', `${type}; charset=utf-8`],
    ['cache-control', 'public, max-age=300'],
  ];
  send(res, { status: '200 OK', headers, body } satisfies Reply);
}
