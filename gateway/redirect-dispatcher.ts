import {
  ErrorCodes,
  modtError,
  type AppDisplay,
  type AppReady,
  type ModtError,
} from '../protocol/index.ts';
import { checkRedirect } from './redirect-policy.ts';
import type { BrowserSession, PendingRedirect, SessionRegistry } from './session-registry.ts';

export interface DispatchOptions {
  allowedOrigins: ReadonlySet<string>;
  /** A ready this long after its login pushes nothing (field case C04). */
  answerTtlMs: number;
  /** A ready that came before the socket waits this long for it (field case C06). */
  pendingTtlMs: number;
}

/** A login's page was told that no app answered it in time. */
export interface NoAnswer {
  sessionId: string;
  userId: string;
  /** From the login to the notice. */
  waitedMs: number;
  sockets: number;
}

/** Sends one text frame; false when the socket did not take it. */
export type SendFrame<Socket> = (socket: Socket, frame: string) => boolean;

export interface Push {
  sessionId: string;
  appName: string;
  url: string;
  /** From the login to this push. */
  latencyMs: number;
  sockets: number;
  /** Sent again to a new socket: the browser had not acknowledged the first. */
  resend: boolean;
}

/**
 * Matches each `modt/app/ready` with the browser session of its login and pushes the
 * redirect down that session's open sockets at once, or holds it for the socket to come.
 * The first valid answer of a login wins; any other is refused with its reason.
 */
export class RedirectDispatcher<Socket> {
  /** Counts the redirects made, to name each (PendingRedirect.id). */
  #redirects = 0;
  #registry: SessionRegistry<Socket>;
  #options: DispatchOptions;
  #send: SendFrame<Socket>;

  constructor(
    registry: SessionRegistry<Socket>,
    options: DispatchOptions,
    send: SendFrame<Socket>,
  ) {
    this.#registry = registry;
    this.#options = options;
    this.#send = send;
  }

  /** Pushes or holds a ready; returns what was done, or why nothing was. */
  onReady(ready: AppReady, now: number): { push?: Push; held: boolean } | ModtError {
    const session = this.#registry.byLogin(ready.session_id, now);
    const login = session?.login;
    if (session === undefined || login === undefined) return unknownSession(ready.session_id);
    if (login.answeredBy !== undefined) {
      const message = `login ${ready.session_id} was already answered by ${login.answeredBy}`;
      return modtError(ErrorCodes.ANSWER_DUPLICATE, message);
    }
    const age = now - login.at;
    if (age > this.#options.answerTtlMs) {
      const limit = `over the limit ${this.#options.answerTtlMs} ms`;
      const message = `answer came ${age} ms after the login, ${limit}`;
      return modtError(ErrorCodes.ANSWER_TOO_LATE, message);
    }
    const refused = checkRedirect(ready.redirect_url, this.#options.allowedOrigins);
    if (refused) return refused;

    login.answeredBy = ready.app_name;
    const expiresAt = now + this.#options.pendingTtlMs;
    this.#redirects += 1;
    const pending = { id: this.#redirects, url: ready.redirect_url, appName: ready.app_name,
      expiresAt };
    session.pending = pending;
    const sockets = this.#deliver(session);
    if (sockets === 0) return { held: true };
    return { held: false, push: pushOf(session, pending, sockets, now) };
  }

  /**
   * Keeps an app's page for the login it names, when it came on that app's own display
   * topic: `app_name` is the sender's own word, the topic is what the broker's ACL lets
   * only that app's account write.
   */
  onDisplay(topicApp: string, display: AppDisplay, now: number): ModtError | null {
    if (display.app_name !== topicApp) {
      const expected = `expected '${topicApp}', the app its topic names`;
      const message = `app_name '${display.app_name}' on a display topic, ${expected}`;
      return modtError(ErrorCodes.APP_NAME_MISMATCH, message);
    }
    const login = this.#registry.byLogin(display.session_id, now)?.login;
    if (login === undefined) return unknownSession(display.session_id);
    this.#registry.putDisplay(login, display);
    return null;
  }

  /**
   * Tells every open socket of a login that no app has answered it, unless one has by now
   * or a newer login replaced it. The frame says whether an answer may still be pushed.
   */
  onNoAnswer(sessionId: string, now: number): NoAnswer | undefined {
    const session = this.#registry.byLogin(sessionId, now);
    const login = session?.login;
    if (session === undefined || login === undefined || login.answeredBy !== undefined) {
      return undefined;
    }
    const waitedMs = now - login.at;
    const stillWaiting = waitedMs < this.#options.answerTtlMs;
    const frame = JSON.stringify({ type: 'no-answer', waited_ms: waitedMs, waiting: stillWaiting });
    let sockets = 0;
    for (const socket of session.sockets) {
      if (this.#send(socket, frame)) sockets += 1;
    }
    return { sessionId, userId: login.userId, waitedMs, sockets };
  }

  /** Delivers a held redirect to a socket that just opened, while it is still fresh. */
  onSocketOpen(session: BrowserSession<Socket>, now: number): Push | undefined {
    const pending = session.pending;
    if (pending === undefined) return undefined;
    if (pending.expiresAt < now) {
      session.pending = undefined;
      return undefined;
    }
    const resend = pending.sent === true;
    const sockets = this.#deliver(session);
    return sockets > 0 ? pushOf(session, pending, sockets, now, resend) : undefined;
  }

  /**
   * The page has the redirect in hand: it is no longer pending. Until then it is sent again
   * to each socket the session opens, because a frame sent into a socket that was already
   * dying (a dropped mobile link, say) reaches no one (field case C06).
   */
  onAck(session: BrowserSession<Socket>, id: number): void {
    // An acknowledgement of an earlier redirect (its page was slow to say so, and the
    // browser signed in again meanwhile) leaves the current one pending.
    if (session.pending?.id === id) session.pending = undefined;
  }

  /** Sends the pending redirect to every open socket; it stays pending until acknowledged. */
  #deliver(session: BrowserSession<Socket>): number {
    const pending = session.pending;
    if (pending === undefined) return 0;
    const { id, url, appName } = pending;
    const frame = JSON.stringify({ type: 'redirect', id, url, app_name: appName });
    let delivered = 0;
    for (const socket of session.sockets) {
      if (this.#send(socket, frame)) delivered += 1;
    }
    if (delivered > 0) pending.sent = true;
    return delivered;
  }
}

function pushOf<Socket>(
  session: BrowserSession<Socket>,
  pending: PendingRedirect,
  sockets: number,
  now: number,
  resend = false,
): Push {
  const login = session.login!;
  const { appName, url } = pending;
  return { sessionId: login.sessionId, appName, url, latencyMs: now - login.at, sockets, resend };
}

function unknownSession(sessionId: string): ModtError {
  return modtError(ErrorCodes.SESSION_UNKNOWN, `no browser awaits session_id ${sessionId}`);
}
