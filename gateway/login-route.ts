import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { ErrorCodes, Topics, type ErrorCode } from '../protocol/index.ts';
import { clientAddressOf, forwardedHttps, type TrustedProxies } from './client-address.ts';
import { csrfTokenMatches } from './csrf-token.ts';
import {
  SESSION_COOKIE,
  cookieValues,
  html,
  json,
  peerAddress,
  readBody,
  send,
  sessionCookie,
  type Reply,
} from './http.ts';
import { parseLoginForm } from './login-form.ts';
import type { LoginThrottle } from './login-throttle.ts';
import { loginPage } from './pages.ts';
import type { BrowserSession, SessionRegistry } from './session-registry.ts';
import type { Identity, UserStore } from './user-store.ts';

/** A browser request the gateway refused: which rule, why, and from where. */
export interface GatewayRefusal {
  code: ErrorCode;
  reason: string;
  address?: string;
}

/** What the login route tells the gateway, which counts it and emits it. */
export type LoginEvent =
  | { kind: 'login'; userId: string; sessionId: string }
  | { kind: 'login-failed'; reason: string; address: string }
  | { kind: 'refused'; refusal: GatewayRefusal }
  | { kind: 'failure'; reason: string };

export interface LoginRouteOptions<Socket> {
  registry: SessionRegistry<Socket>;
  throttle: LoginThrottle;
  proxies: TrustedProxies;
  users: UserStore;
  publicUrl: URL;
  now: () => number;
  /** Publishes at QoS 1; false when the broker did not take it in time. */
  publish: (topic: string, payload: string) => Promise<boolean>;
  report: (event: LoginEvent) => void;
}

/** What a login needs from its request, copied before the first await (field case C05). */
interface LoginRequest {
  /** Every `modt_sid` the request carries: the first that names a live session counts. */
  secrets: string[];
  origin: string;
  contentType: string;
  address: string;
  secure: boolean;
}

const MAX_LOGIN_BODY_BYTES = 4096;

/**
 * `GET /` and `POST /login`: the page that starts a session and carries its form token, and
 * the form's checks, cheapest first, up to the `modt/auth/success` of a correct login.
 */
export class LoginRoute<Socket> {
  #options: LoginRouteOptions<Socket>;
  #publicOrigin: string;
  #stopping = false;

  constructor(options: LoginRouteOptions<Socket>) {
    this.#options = options;
    this.#publicOrigin = options.publicUrl.origin;
  }

  /** The login page; a browser without a live session gets a new one and its cookie. */
  page(res: HttpResponse, req: HttpRequest): void {
    const { registry, now } = this.#options;
    const secrets = cookieValues(req.getHeader('cookie'), SESSION_COOKIE);
    const existing = registry.touch(secrets, now());
    const origin = this.#publicOrigin;
    if (existing) return send(res, html('200 OK', loginPage(existing.csrf, origin)));

    const session = registry.create(now());
    const cookie = sessionCookie(session.secret, this.#secureFor(peerAddress(res), req));
    send(res, html('200 OK', loginPage(session.csrf, origin), [['set-cookie', cookie]]));
  }

  /** From now on every login answers 503: the gateway is stopping. */
  stopTaking(): void {
    this.#stopping = true;
  }

  post(res: HttpResponse, req: HttpRequest): void {
    // Everything needed from the request is copied before the first await: uWebSockets.js
    // frees it when this handler returns (field case C05).
    // The peer's address costs a system call (getpeername): it is read once.
    const peer = peerAddress(res);
    const forwardedFor = req.getHeader('x-forwarded-for');
    const request: LoginRequest = {
      secrets: cookieValues(req.getHeader('cookie'), SESSION_COOKIE),
      origin: req.getHeader('origin'),
      contentType: req.getHeader('content-type'),
      address: clientAddressOf(peer, forwardedFor, this.#options.proxies),
      secure: this.#secureFor(peer, req),
    };
    const aborted = { value: false };
    res.onAborted(() => (aborted.value = true));

    void this.#finish(res, aborted, request).catch((err: Error) => {
      this.#options.report({ kind: 'failure', reason: err.message });
      if (aborted.value) return;
      send(res, json('500 Internal Server Error', { ok: false, error: 'internal error' }));
    });
  }

  /** Whether the browser came over https: the public URL says so, or a trusted proxy does. */
  #secureFor(peer: string, req: HttpRequest): boolean {
    if (this.#options.publicUrl.protocol === 'https:') return true;
    const proto = req.getHeader('x-forwarded-proto');
    return forwardedHttps(peer, proto, this.#options.proxies);
  }

  async #finish(res: HttpResponse, aborted: { value: boolean }, request: LoginRequest) {
    const body = await readBody(res, MAX_LOGIN_BODY_BYTES, aborted);
    if (aborted.value) return;
    const reply = await this.#reply(body, request);
    if (!aborted.value) send(res, reply);
  }

  /**
   * The checks of a login, cheapest first: a gateway still taking logins, size, Origin,
   * session, the form's token, the attempt limits, and only then the scrypt check.
   */
  async #reply(body: Buffer | null, request: LoginRequest): Promise<Reply> {
    const { registry, throttle, users, now } = this.#options;
    if (this.#stopping) {
      const error = 'the gateway is stopping, try again in a moment';
      return refusedReply('503 Service Unavailable', ErrorCodes.GATEWAY_STOPPING, error);
    }
    if (body === null) {
      const error = 'login request too large';
      return refusedReply('413 Payload Too Large', ErrorCodes.PAYLOAD_TOO_LARGE, error);
    }
    if (request.origin !== '' && request.origin !== this.#publicOrigin) {
      const error = `login from a foreign origin: open the page at ${this.#publicOrigin}/`;
      return refusedReply('403 Forbidden', ErrorCodes.ORIGIN_NOT_ALLOWED, error);
    }
    const session = registry.touch(request.secrets, now());
    if (session === undefined) return noSession();

    const form = parseLoginForm(body, request.contentType);
    if ('code' in form) return this.#refuse(form.status, form.code, form.message, request);
    if (!csrfTokenMatches(session.csrf, form.csrf)) {
      const error = 'the login form token is missing or wrong: reload the login page';
      return this.#refuse('403 Forbidden', ErrorCodes.LOGIN_TOKEN_INVALID, error, request);
    }
    const credentials = form.credentials;
    if (credentials === undefined) return this.#failed('malformed form', request);

    const admission = throttle.admit(request.address, credentials.username, now());
    if (!admission.ok) return this.#throttled(admission.retryAfterMs, request);
    const identity = await users.check(credentials.username, credentials.password);
    if (!identity) return this.#failed('credentials', request);
    throttle.succeeded(admission, now());
    return this.#loggedIn(session, identity, request);
  }

  async #loggedIn(session: BrowserSession<Socket>, identity: Identity, request: LoginRequest) {
    const { registry, now } = this.#options;
    const at = now();
    if (!registry.holds(session, at)) return noSession();
    const login = registry.beginLogin(session, identity, at);
    const success = {
      user_id: identity.userId,
      session_id: login.sessionId,
      role: identity.role,
      timestamp: new Date(at).toISOString(),
    };
    const published = await this.#options.publish(Topics.authSuccess, JSON.stringify(success));
    if (!published) {
      // Told it failed, the browser owes this login nothing: an answer to it is refused.
      registry.abandonLogin(session, login);
      const error = 'the message bus is unavailable, try again';
      return refusedReply('503 Service Unavailable', ErrorCodes.BROKER_UNAVAILABLE, error);
    }

    // A fresh cookie secret at login, so one planted or seen before it is worth nothing
    // after (OWASP session management: renew the id on a change of privilege).
    registry.signIn(session, login, now());
    this.#options.report({ kind: 'login', userId: identity.userId, sessionId: login.sessionId });
    const cookie = sessionCookie(session.secret, request.secure);
    const body = { ok: true, user_id: identity.userId, role: identity.role };
    return json('200 OK', body, [['set-cookie', cookie]]);
  }

  /** One answer for an unknown user and a wrong password, after the same scrypt work. */
  #failed(reason: string, request: LoginRequest): Reply {
    this.#options.report({ kind: 'login-failed', reason, address: request.address });
    const error = 'wrong username or password';
    return refusedReply('401 Unauthorized', ErrorCodes.LOGIN_FAILED, error);
  }

  /** 429 with Retry-After in whole seconds (RFC 9110 §10.2.3), at least one. */
  #throttled(retryAfterMs: number, request: LoginRequest): Reply {
    const retryAfter = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    const error = 'too many login attempts, try again later';
    const status = '429 Too Many Requests';
    return this.#refuse(status, ErrorCodes.LOGIN_THROTTLED, error, request, [
      ['retry-after', retryAfter],
    ]);
  }

  #refuse(
    status: string,
    code: ErrorCode,
    error: string,
    request: LoginRequest,
    headers: Reply['headers'] = [],
  ): Reply {
    const refusal: GatewayRefusal = { code, reason: error, address: request.address };
    this.#options.report({ kind: 'refused', refusal });
    return refusedReply(status, code, error, headers);
  }
}

function noSession(): Reply {
  const error = 'no session: open the login page first';
  return refusedReply('401 Unauthorized', ErrorCodes.SESSION_MISSING, error);
}

/** A refused login's JSON: `code` for programs (protocol/errors.ts), `error` for people. */
function refusedReply(
  status: string,
  code: ErrorCode,
  error: string,
  headers: Reply['headers'] = [],
): Reply {
  return json(status, { ok: false, code, error }, headers);
}
