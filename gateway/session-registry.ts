import { randomBytes, randomUUID } from 'node:crypto';
import type { AppDisplay } from '../protocol/index.ts';
import type { Identity } from './user-store.ts';

/** A redirect waiting for its browser's socket (PROTOCOL.md, field case C06). */
export interface PendingRedirect {
  url: string;
  appName: string;
  expiresAt: number;
}

/** One login: the protocol's `session_id`, fresh at each login, is the only id on the bus. */
export interface Login extends Identity {
  sessionId: string;
  at: number;
  answeredBy?: string;
  displays: Map<string, AppDisplay>;
}

/** One browser, known by its cookie; what it is and holds never travels on the bus. */
export interface BrowserSession<Socket = unknown> {
  secret: string;
  lastSeenAt: number;
  login?: Login;
  sockets: Set<Socket>;
  pending?: PendingRedirect;
}

export interface SessionLimits {
  /** Sessions beyond this evict the least recently seen one that has no open socket. */
  maxSessions: number;
  /** A session with no open socket that has not been seen for this long is forgotten. */
  idleMs: number;
}

/** Apps whose pages one login may hold; a unit that sends more replaces the oldest. */
const MAX_DISPLAYS_PER_LOGIN = 16;

/**
 * The gateway's browser sessions in memory, found by cookie secret and by the `session_id`
 * of their current login. Map order doubles as recency, so eviction is cheap.
 */
export class SessionRegistry<Socket = unknown> {
  #bySecret = new Map<string, BrowserSession<Socket>>();
  #byLogin = new Map<string, BrowserSession<Socket>>();
  #limits: SessionLimits;

  constructor(limits: SessionLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#bySecret.size;
  }

  /** A new session with a cookie secret of 256 random bits. */
  create(now: number): BrowserSession<Socket> {
    const session: BrowserSession<Socket> = {
      secret: randomBytes(32).toString('base64url'),
      lastSeenAt: now,
      sockets: new Set(),
    };
    this.#bySecret.set(session.secret, session);
    this.#evictOverflow();
    return session;
  }

  /** The session of a cookie secret, marked as seen now. */
  touch(secret: string | undefined, now: number): BrowserSession<Socket> | undefined {
    if (secret === undefined) return undefined;
    const session = this.#bySecret.get(secret);
    if (session === undefined) return undefined;
    session.lastSeenAt = now;
    this.#bySecret.delete(secret);
    this.#bySecret.set(secret, session);
    return session;
  }

  byLogin(sessionId: string): BrowserSession<Socket> | undefined {
    return this.#byLogin.get(sessionId);
  }

  /** Starts a login with a fresh UUID; the previous login's id no longer finds the session. */
  beginLogin(session: BrowserSession<Socket>, identity: Identity, now: number): Login {
    if (session.login) this.#byLogin.delete(session.login.sessionId);
    session.pending = undefined;
    const login: Login = { ...identity, sessionId: randomUUID(), at: now, displays: new Map() };
    session.login = login;
    this.#byLogin.set(login.sessionId, session);
    return login;
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

  /** Forgets sessions idle past the limit that hold no socket. */
  sweep(now: number): number {
    let removed = 0;
    for (const session of this.#bySecret.values()) {
      if (now - session.lastSeenAt < this.#limits.idleMs) break;
      if (session.sockets.size > 0) continue;
      this.#remove(session);
      removed += 1;
    }
    return removed;
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
    this.#bySecret.delete(session.secret);
    if (session.login) this.#byLogin.delete(session.login.sessionId);
  }
}
