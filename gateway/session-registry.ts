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
  /**
   * Sessions held at most: a new one first evicts the least recently seen session without an
   * open socket that never signed in, and only when there is none such a signed-in one.
   */
  maxSessions: number;
  /** A session with no open socket that has not been seen for this long is forgotten. */
  idleMs: number;
  /** A session is forgotten this long after its secret was issued, sockets or not. */
  maxAgeMs: number;
}

/** The `modt_sid` values a request carries, in the order sent (a lone one, or none). */
export type CookieSecrets = readonly string[] | string | undefined;

/** Apps whose pages one login may hold; a unit that sends more replaces the oldest. */
const MAX_DISPLAYS_PER_LOGIN = 16;

/**
 * The gateway's browser sessions in memory, found by cookie secret and by the `session_id`
 * of their current login. They are kept in two maps by cookie secret, those that never
 * signed in and those that did, so that a flood of page loads, each a new session, evicts
 * only its like; in each, Map order doubles as recency, so eviction is cheap. Every lookup
 * enforces both limits: an expired session is removed the moment it is asked for.
 */
export class SessionRegistry<Socket = unknown> {
  /** Sessions that never signed in: the first to go past the cap. */
  #anonymous = new Map<string, BrowserSession<Socket>>();
  /** Sessions signed in at least once (`signIn`), whatever their current login. */
  #signedIn = new Map<string, BrowserSession<Socket>>();
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
    return this.#anonymous.size + this.#signedIn.size;
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
    this.#makeRoom();
    this.#anonymous.set(session.secret, session);
    return session;
  }

  /**
   * The live session of the first of these cookie secrets that names one, marked as seen
   * now. A browser may send several (a stale cookie of another path or domain besides the
   * live one, RFC 6265 §5.4): one that names nothing must not hide the one that does.
   */
  touch(secrets: CookieSecrets, now: number): BrowserSession<Socket> | undefined {
    if (secrets === undefined) return undefined;
    for (const secret of typeof secrets === 'string' ? [secrets] : secrets) {
      const session = this.#live(this.#held(secret), now);
      if (session === undefined) continue;
      this.#refresh(session, now);
      return session;
    }
    return undefined;
  }

  /** The live session whose current login has this `session_id`. */
  byLogin(sessionId: string, now: number): BrowserSession<Socket> | undefined {
    return this.#live(this.#byLogin.get(sessionId), now);
  }

  /** Whether a session is still held and within its limits. */
  holds(session: BrowserSession<Socket>, now: number): boolean {
    if (this.#held(session.secret) !== session) return false;
    return this.#live(session, now) !== undefined;
  }

  /** Marks a held session as seen now (its last socket closed, say). */
  seen(session: BrowserSession<Socket>, now: number): void {
    if (this.#held(session.secret) === session) this.#refresh(session, now);
  }

  /**
   * Signs a session's login in: a fresh secret and a fresh lifetime (OWASP: renew the
   * session id at login), and from now on the session is evicted only after every one that
   * never signed in. The old secret finds nothing afterwards; the object stays the same, so
   * sockets opened under the old secret keep receiving what is pushed to it.
   */
  signIn(session: BrowserSession<Socket>, login: Login, now: number): void {
    const map = this.#mapOf(session);
    if (map === undefined) return;
    map.delete(session.secret);
    session.secret = randomSecret();
    session.createdAt = this.#sinceMs(now);
    session.lastSeenAt = session.createdAt;
    this.#signedIn.set(session.secret, session);
    if (session.login === login) login.signedIn = true;
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
    for (const session of this.sessions()) {
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
  *sessions(): IterableIterator<BrowserSession<Socket>> {
    yield* this.#anonymous.values();
    yield* this.#signedIn.values();
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

  #held(secret: string): BrowserSession<Socket> | undefined {
    return this.#anonymous.get(secret) ?? this.#signedIn.get(secret);
  }

  /** The map that holds this very session, if one does. */
  #mapOf(session: BrowserSession<Socket>) {
    if (this.#anonymous.get(session.secret) === session) return this.#anonymous;
    if (this.#signedIn.get(session.secret) === session) return this.#signedIn;
    return undefined;
  }

  #refresh(session: BrowserSession<Socket>, now: number): void {
    session.lastSeenAt = this.#sinceMs(now);
    const map = this.#mapOf(session);
    map?.delete(session.secret);
    map?.set(session.secret, session);
  }

  /** At the cap, evicts one session to make room for a new one: a never signed-in first. */
  #makeRoom(): void {
    if (this.size < this.#limits.maxSessions) return;
    if (!this.#evictFrom(this.#anonymous)) this.#evictFrom(this.#signedIn);
  }

  /**
   * Evicts the least recently seen session of `map` that holds no socket; false if none.
   * One with a socket is moved to the back as it is passed over, so a run of them at the
   * front is walked once, not at each eviction: the order counts for nothing else, and
   * the session is moved back again (`seen`) when its last socket closes.
   */
  #evictFrom(map: Map<string, BrowserSession<Socket>>): boolean {
    for (let left = map.size; left > 0; left -= 1) {
      const session = map.values().next().value as BrowserSession<Socket>;
      map.delete(session.secret);
      if (session.sockets.size === 0) {
        this.#forgetLogin(session);
        return true;
      }
      map.set(session.secret, session);
    }
    return false;
  }

  #remove(session: BrowserSession<Socket>): void {
    const map = this.#mapOf(session);
    if (map !== undefined) {
      map.delete(session.secret);
      if (session.sockets.size > 0) this.#ended.push(session);
    }
    this.#forgetLogin(session);
  }

  #forgetLogin(session: BrowserSession<Socket>): void {
    const login = session.login;
    if (login && this.#byLogin.get(login.sessionId) === session) {
      this.#byLogin.delete(login.sessionId);
    }
  }
}
