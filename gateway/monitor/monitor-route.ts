import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { isHistoryId, type HistoryStore } from '../../router/index.ts';
import {
  SESSION_COOKIE,
  cookieValues,
  getAndHead,
  html,
  json,
  send,
  type Reply,
} from '../http.ts';
import { messagePage } from '../pages.ts';
import type { SessionRegistry } from '../session-registry.ts';
import { HistoryFeed } from './history-feed.ts';
import { monitorAccess } from './monitor-access.ts';
import { MONITOR_SCRIPT_PATH, MONITOR_STYLE_PATH, monitorPage } from './monitor-page.ts';
import { MONITOR_SCRIPT } from './monitor-script.ts';
import { MonitorSocket, type MonitorSocketEvent } from './monitor-socket.ts';
import { MONITOR_STYLE } from './monitor-style.ts';

/** What the monitor tells the gateway, which emits it. */
export type MonitorEvent = MonitorSocketEvent | { kind: 'history-problem'; reason: string };

export interface MonitorRouteOptions {
  registry: SessionRegistry<unknown>;
  /** Where the monitor unit keeps the history; without one the page says so. */
  history: HistoryStore | undefined;
  publicOrigin: string;
  /** Shown as the limit past which a login with no answer stands out. */
  answerTtlMs: number;
  now: () => number;
  report: (event: MonitorEvent) => void;
}

/** Wraps a handler so that a throw answers 500 instead of reaching the native code. */
export type Guard = (
  handler: (res: HttpResponse, req: HttpRequest) => void,
) => (res: HttpResponse, req: HttpRequest) => void;

const DEFAULT_PAGE = 500;
const MAX_PAGE = 1000;
const NOT_CONFIGURED = 'history is not configured';

/**
 * `/monitor` for admins: the page, its script and style, older pages of the history at
 * `/monitor/history?before=<id>&limit=<n>` (JSON, newest last) and the live records on
 * `/monitor/ws`. A browser with no signed-in session is sent to the login page; a
 * signed-in one that is no admin's gets 403.
 */
export class MonitorRoute {
  #options: MonitorRouteOptions;
  #feed: HistoryFeed | undefined;
  #sockets: MonitorSocket;

  constructor(options: MonitorRouteOptions) {
    this.#options = options;
    const { history, report } = options;
    if (history) {
      const problem = (reason: string) => report({ kind: 'history-problem', reason });
      this.#feed = new HistoryFeed(history, problem);
    }
    this.#sockets = new MonitorSocket({
      registry: options.registry,
      feed: () => this.#feed,
      publicOrigin: options.publicOrigin,
      now: options.now,
      report,
    });
  }

  /** Open monitor pages. */
  get sockets(): number {
    return this.#sockets.size;
  }

  /** Registers the monitor's routes on the app, each behind `guard`. */
  routes(app: TemplatedApp, guard: Guard): TemplatedApp {
    const script = asset('text/javascript', MONITOR_SCRIPT);
    const style = asset('text/css', MONITOR_STYLE);
    getAndHead(app, '/monitor', guard((res, req) => this.#page(res, req)));
    getAndHead(app, '/monitor/history', guard((res, req) => this.#history(res, req)));
    getAndHead(app, MONITOR_SCRIPT_PATH, guard((res) => send(res, script)));
    getAndHead(app, MONITOR_STYLE_PATH, guard((res) => send(res, style)));
    return app.ws('/monitor/ws', this.#sockets.behavior());
  }

  /** Closes the pages of sessions that ended or are no admin's any more. */
  closeEnded(now: number): number {
    return this.#sockets.closeEnded(now);
  }

  async stop(): Promise<void> {
    this.#sockets.closeAll();
    await this.#feed?.stop();
  }

  #page(res: HttpResponse, req: HttpRequest): void {
    const secrets = cookieValues(req.getHeader('cookie'), SESSION_COOKIE);
    const access = monitorAccess(this.#options.registry, secrets, this.#options.now());
    if (!access.ok && access.why === 'anonymous') return send(res, toLoginPage());
    if (!access.ok) {
      const page = messagePage('Not allowed', 'The conversation is shown to admins only.');
      return send(res, html('403 Forbidden', page));
    }
    if (this.#options.history === undefined) {
      const why = 'Start the gateway with a history store: MODT_REDIS_URL or MODT_HISTORY_FILE.';
      const page = messagePage('History is not configured', why);
      return send(res, html('503 Service Unavailable', page));
    }
    send(res, html('200 OK', monitorPage(this.#options.answerTtlMs)));
  }

  #history(res: HttpResponse, req: HttpRequest): void {
    const secrets = cookieValues(req.getHeader('cookie'), SESSION_COOKIE);
    const query = new URLSearchParams(req.getQuery() ?? '');
    const access = monitorAccess(this.#options.registry, secrets, this.#options.now());
    if (!access.ok && access.why === 'anonymous') {
      return send(res, json('401 Unauthorized', { ok: false, error: 'sign in first' }));
    }
    if (!access.ok) return send(res, json('403 Forbidden', { ok: false, error: 'admins only' }));
    const store = this.#options.history;
    if (store === undefined) {
      return send(res, json('503 Service Unavailable', { ok: false, error: NOT_CONFIGURED }));
    }
    const page = pageOf(query);
    if ('error' in page) {
      return send(res, json('400 Bad Request', { ok: false, error: page.error }));
    }

    const aborted = { value: false };
    res.onAborted(() => (aborted.value = true));
    const { before, limit } = page;
    const read = before === null ? store.recent(limit + 1) : store.older(before, limit + 1);
    read.then(
      (found) => {
        if (aborted.value) return;
        const more = found.length > limit;
        send(res, json('200 OK', { ok: true, entries: more ? found.slice(1) : found, more }));
      },
      (err: Error) => {
        this.#options.report({ kind: 'failure', where: 'monitor history', reason: err.message });
        if (aborted.value) return;
        send(res, json('503 Service Unavailable', { ok: false, error: 'history unavailable' }));
      },
    );
  }
}

/** The page of `/monitor/history` a query asks for, or why it is no page. */
type PageQuery = { before: string | null; limit: number } | { error: string };

function pageOf(query: URLSearchParams): PageQuery {
  const before = query.get('before');
  if (before !== null && !isHistoryId(before)) {
    return { error: `before: expected a history id such as 1700000000000-0, got '${before}'` };
  }
  const raw = query.get('limit');
  const limit = raw === null ? DEFAULT_PAGE : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    return { error: `limit: expected a whole number from 1 to ${MAX_PAGE}, got '${raw}'` };
  }
  return { before, limit };
}

/** RFC 9110 §15.4.4: 303 sends the browser to the login page with a GET. */
function toLoginPage(): Reply {
  const headers: [string, string][] = [['location', '/'], ['cache-control', 'no-store']];
  return { status: '303 See Other', headers, body: '' };
}

function asset(type: string, body: string): Reply {
  const headers: [string, string][] = [
    ['content-type', `${type}; charset=utf-8`],
    ['cache-control', 'public, max-age=300'],
  ];
  return { status: '200 OK', headers, body };
}
