import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';

export const SESSION_COOKIE = 'modt_sid';

/**
 * Every value of one cookie in a Cookie header, in the order sent. A browser sends one name
 * more than once when it holds cookies of that name for several paths or domains (RFC 6265
 * §5.4), a stale one among them, perhaps first: the caller tries each.
 */
export function cookieValues(header: string, name: string): string[] {
  const values: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) values.push(part.slice(eq + 1).trim());
  }
  return values;
}

/** The direct peer's address as text; uWebSockets.js hands it over in an ArrayBuffer. */
export function peerAddress(res: HttpResponse): string {
  return Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
}

/** The session cookie: `Secure` whenever the browser reaches the gateway over https. */
export function sessionCookie(secret: string, secure: boolean): string {
  const flags = `Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  return `${SESSION_COOKIE}=${secret}; ${flags}`;
}

type Headers = readonly (readonly [string, string])[];

/** Headers every response gets, whatever it carries: JSON, a 404, a refused upgrade. */
export const COMMON_HEADERS: Headers = [
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'same-origin'],
];

/** Headers every HTML page gets, the login page's policy for scripts among them. */
export const PAGE_HEADERS: Headers = [
  ['content-type', 'text/html; charset=utf-8'],
  ['cache-control', 'no-store'],
  [
    'content-security-policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
      "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  ],
];

export interface Reply {
  status: string;
  headers: Headers;
  body: string;
}

const JSON_HEADERS: Headers = [
  ['content-type', 'application/json'],
  ['cache-control', 'no-store'],
  ['content-security-policy', "default-src 'none'; frame-ancestors 'none'"],
];

export function json(status: string, value: unknown, headers: Headers = []): Reply {
  return { status, headers: [...JSON_HEADERS, ...headers], body: JSON.stringify(value) };
}

/** A plain-text reply, for answers that are no page (a refused upgrade). */
export function text(status: string, body: string): Reply {
  return { status, headers: [['content-type', 'text/plain; charset=utf-8']], body };
}

export function html(status: string, body: string, headers: Headers = []): Reply {
  return { status, headers: [...PAGE_HEADERS, ...headers], body };
}

/** The responses to HEAD requests, whose body must not be sent. */
const headResponses = new WeakSet<HttpResponse>();

/**
 * Marks a response as one to a HEAD request: `send` writes its status and headers only. A
 * body after them would be read by the client, or a proxy that keeps the connection, as the
 * start of the next response (RFC 9110 §9.3.2). The length is then 0: this binding's
 * `endWithoutBody` ends the process when called from a request handler.
 */
export function answerWithoutBody(res: HttpResponse): void {
  headResponses.add(res);
}

/**
 * Routes GET and HEAD of `pattern` to one handler: a HEAD is answered as its GET would be,
 * without the body (RFC 9110 §9.3.2), not with the 404 of a route that is not there.
 * uWebSockets.js routes each method on its own; the handler is to go through the guard
 * that marks a HEAD's response (`answerWithoutBody`).
 */
export function getAndHead(
  app: TemplatedApp,
  pattern: string,
  handler: (res: HttpResponse, req: HttpRequest) => void,
): TemplatedApp {
  return app.get(pattern, handler).head(pattern, handler);
}

/** Writes a whole reply in one corked batch. */
export function send(res: HttpResponse, reply: Reply): void {
  res.cork(() => {
    res.writeStatus(reply.status);
    for (const [key, value] of COMMON_HEADERS) res.writeHeader(key, value);
    for (const [key, value] of reply.headers) res.writeHeader(key, value);
    res.end(headResponses.has(res) ? '' : reply.body);
  });
}

/**
 * Collects a request body up to `maxBytes`. uWebSockets.js hands chunks that are only valid
 * during the callback, so each is copied. Resolves null when the body is too large or the
 * client went away; the caller must have registered `onAborted` first (field case C05).
 */
export function readBody(
  res: HttpResponse,
  maxBytes: number,
  aborted: { value: boolean },
): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.onData((chunk, isLast) => {
      if (aborted.value) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        resolve(null);
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0)));
      if (isLast) resolve(Buffer.concat(chunks));
    });
  });
}
