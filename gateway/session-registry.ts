import { randomUUID } from 'node:crypto';
import type { AppDisplay } from '../protocol/index.ts';
import { newCsrfToken } from './csrf-token.ts';
import { randomSecret } from './random-secret.ts';
import { SessionSockets } from './session-sockets.ts';
import type { Identity } from './user-store.ts';

/** A redirect waiting for its browser's socket (PROTOCOL.md, field case C06). */
export interface PendingRedirect {
  /** Names this redirect in the page's acknowledgement, so a late one clears no later one. */
  id: number;
  url: string;
  appName: string;
  expiresAt: number;
  /** Whether it went down a socket at least once, unacknowledged so far. */
  sent?: boolean;
}

/** One login: the protocol's `session_id`, fresh at each login, is the only id on the bus. */
export interface Login extends Identity {
  sessionId: string;
  at: number;
  answeredBy?: string;
  displays: Map<string, AppDisplay>;
  /**
   * Set once the login's renewed cookie was issued: until then the login vouches for
   * nothing (a login whose `modt/auth/success` the broker refused never is).
   */
  signedIn: boolean;
}

/** One browser, known by its cookie; what it is and holds never travels on the bus. */
export interface BrowserSession<Socket = unknown> {
  secret: string;
  /** The login form's token (CSRF): it stays with the browser when the secret is renewed. */
  csrf: string;
  /**
   * When the current secret was issued, in ms since the registry's first `now`: the
   * absolute limit counts from here.
   */
  createdAt: number;
  lastSeenAt: number;
  login?: Login;
  sockets: SessionSockets<Socket>;
  pending?: PendingRedirect;
}

export interface SessionLimits {
  /** Sessions beyond this evict the least recently seen one that has no open socket. */
  maxSessions: number;
  /** A session with no open socket that has not been seen for this long is forgotten. */
  idleMs: number;
  /** A session is forgotten this long after its secret was issued, sockets or not. */
  maxAgeMs: number;
}

/** Apps whose pages one login may hold; a unit that sends more replaces the oldest. */
const MAX_DISPLAYS_PER_LOGIN = 16;

/**
 * The gateway's browser sessions in memory, found by cookie secret and by the `session_id`
 * of their current login. Map order doubles as recency, so eviction is cheap. Every lookup
 * enforces both limits: an expired session is removed the moment it is asked for.
 */
export class SessionRegistry<Socket = unknown> {
  #bySecret = new Map<string, BrowserSession<Socket>>();
  #byLogin = new Map<string, BrowserSession<Socket>>();
  #limits: SessionLimits;
  /** Sessions forgotten while a socket of theirs was open, until `takeEnded`. */
  #ended: BrowserSession<Socket>[] = [];
  /** The first `now` this registry was given; its times count from here. */
  #epochMs: number | undefined;

  constructor(limits: SessionLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#bySecret.size;
  }

  /** A new session: a cookie secret and a form token, 256 random bits each. */
  create(now: number): BrowserSession<Socket> {
    this.#epochMs ??= now;
    const at = this.#sinceMs(now);
    const session: BrowserSession<Socket> = {
      secret: randomSecret(),
      csrf: newCsrfToken(),
      createdAt: at,
      lastSeenAt: at,
      sockets: new SessionSockets(),
    };
    this.#bySecret.set(session.secret, session);
    this.#evictOverflow();
    return session;
  }

  /** The live session of a cookie secret, marked as seen now. */
  touch(secret: string | undefined, now: number): BrowserSession<Socket> | undefined {
    if (secret === undefined) return undefined;
    const session = this.#live(this.#bySecret.get(secret), now);
    if (session !== undefined) this.#refresh(session, now);
    return session;
  }

  /** The live session whose current login has this `session_id`. */
  byLogin(sessionId: string, now: number): BrowserSession<Socket> | undefined {
    return this.#live(this.#byLogin.get(sessionId), now);
  }

  /** Whether a session is still held and within its limits. */
  holds(session: BrowserSession<Socket>, now: number): boolean {
    if (this.#bySecret.get(session.secret) !== session) return false;
    return this.#live(session, now) !== undefined;
  }

  /** Marks a held session as seen now (its last socket closed, say). */
  seen(session: BrowserSession<Socket>, now: number): void {
    if (this.#bySecret.get(session.secret) === session) this.#refresh(session, now);
  }

  /**
   * Gives a session a fresh secret and a fresh lifetime (OWASP: renew the session id at
   * login). The old secret finds nothing afterwards; the object stays the same, so sockets
   * opened under the old secret keep receiving what is pushed to it.
   */
  renew(session: BrowserSession<Socket>, now: number): void {
    if (this.#bySecret.get(session.secret) !== session) return;
    this.#bySecret.delete(session.secret);
    session.secret = randomSecret();
    session.createdAt = this.#sinceMs(now);
    session.lastSeenAt = session.createdAt;
    this.#bySecret.set(session.secret, session);
  }

  /** Starts a login with a fresh UUID; the previous login's id no longer finds the session. */
  beginLogin(session: BrowserSession<Socket>, identity: Identity, now: number): Login {
    if (session.login) this.#byLogin.delete(session.login.sessionId);
    session.pending = undefined;
    const login: Login = {
      ...identity,
      sessionId: randomUUID(),
      at: now,
      displays: new Map(),
      signedIn: false,
    };
    session.login = login;
    this.#byLogin.set(login.sessionId, session);
    return login;
  }

  /**
   * Forgets a login the browser was told failed (its `modt/auth/success` was not taken in
   * time): that message may still reach the apps later, and what they answer to it is then
   * for no browser, like an answer to any `session_id` the gateway does not know.
   */
  abandonLogin(session: BrowserSession<Socket>, login: Login): void {
    if (session.login !== login) return;
    if (this.#byLogin.get(login.sessionId) === session) this.#byLogin.delete(login.sessionId);
    session.login = undefined;
    session.pending = undefined;
  }

  /** Keeps the page an app shows a login, newest per app. */
  putDisplay(login: Login, display: AppDisplay): void {
    login.displays.delete(display.app_name);
    login.displays.set(display.app_name, display);
    if (login.displays.size > MAX_DISPLAYS_PER_LOGIN) {
      const oldest = login.displays.keys().next().value;
      if (oldest !== undefined) login.displays.delete(oldest);
    }
  }

  /**
   * Forgets every session past a limit: idle without a socket, or older than the absolute
   * limit even with sockets (the caller closes those, `takeEnded`). Returns how many were
   * forgotten.
   */
  sweep(now: number): number {
    let removed = 0;
    for (const session of this.#bySecret.values()) {
      if (!this.#expired(session, now)) continue;
      this.#remove(session);
      removed += 1;
    }
    return removed;
  }

  /**
   * The sessions forgotten, by a sweep or at a lookup, while a socket of theirs was open,
   * since the last call: their sockets are to be closed. The registry holds them until then,
   * so the socket route needs no list of its own of every open socket.
   */
  takeEnded(): BrowserSession<Socket>[] {
    const ended = this.#ended;
    this.#ended = [];
    return ended;
  }

  /** Every session held. */
  sessions(): IterableIterator<BrowserSession<Socket>> {
    return this.#bySecret.values();
  }

  /**
   * A time on this registry's clock: whole ms since its first `now`. A session's times are
   * kept so because V8 holds a small integer in the object itself, where a `Date.now()` (or a
   * difference of two, which V8's interpreter leaves a double) takes a 16-byte box per field.
   * `Math.floor` hands V8 an integer; past 2^31 ms (24 days) they are boxed, still exact.
   */
  #sinceMs(now: number): number {
    return Math.floor(now - (this.#epochMs ?? now));
  }

  #expired(session: BrowserSession<Socket>, now: number): boolean {
    const at = this.#sinceMs(now);
    if (at - session.createdAt >= this.#limits.maxAgeMs) return true;
    return session.sockets.size === 0 && at - session.lastSeenAt >= this.#limits.idleMs;
  }

  #live(session: BrowserSession<Socket> | undefined, now: number) {
    if (session === undefined || !this.#expired(session, now)) return session;
    this.#remove(session);
    return undefined;
  }

  #refresh(session: BrowserSession<Socket>, now: number): void {
    session.lastSeenAt = this.#sinceMs(now);
    this.#bySecret.delete(session.secret);
    this.#bySecret.set(session.secret, session);
  }

  #evictOverflow(): void {
    if (this.#bySecret.size <= this.#limits.maxSessions) return;
    for (const session of this.#bySecret.values()) {
      if (session.sockets.size > 0) continue;
      this.#remove(session);
      return;
    }
  }

  #remove(session: BrowserSession<Socket>): void {
    if (this.#bySecret.get(session.secret) === session) {
      this.#bySecret.delete(session.secret);
      if (session.sockets.size > 0) this.#ended.push(session);
    }
    const login = session.login;
    if (login && this.#byLogin.get(login.sessionId) === session) {
      this.#byLogin.delete(login.sessionId);
    }
  }
}
