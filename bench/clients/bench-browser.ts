import http from 'node:http';
import WebSocket from 'ws';
import { monoMs } from '../support/clock.ts';

/** What an HTTP request answered. */
export interface Answer {
  status: number;
  setCookie: string | undefined;
  body: string;
}

/** A request over a keep-alive agent, body read whole. */
export function request(
  agent: http.Agent,
  method: string,
  url: URL,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const setCookie = res.headers['set-cookie']?.[0];
        resolve({
          status: res.statusCode ?? 0,
          setCookie,
          body: Buffer.concat(chunks).toString('utf8'),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One browser as the bench drives it: a page, a socket, logins; every frame handed over. */
export interface SessionClient {
  /** Opens the login page (where there is one) and the page's socket. */
  open(): Promise<void>;
  /** Posts a login; resolves with the HTTP status once the answer is read. */
  login(username: string, password: string): Promise<number>;
  /** Called with each frame and the monoMs() it arrived at. */
  onFrame: ((text: string, atMs: number) => void) | undefined;
  close(): void;
}

/**
 * A browser on the gateway, doing what test/support/browser-client.ts does, request for
 * request: GET / keeping the cookie it sets and the form token of the page's hidden
 * input; the socket with that cookie and the page's Origin; POST /login of the form
 * (token, username, password) with cookie, Origin and content type, keeping the cookie
 * the answer sets (it is renewed at login). It adds only what tens of thousands of them
 * need: a shared keep-alive agent and a loopback source address of their own.
 */
export class BenchBrowser implements SessionClient {
  readonly base: URL;
  readonly origin: string;
  cookie = '';
  csrf = '';
  socket: WebSocket | undefined;
  onFrame: ((text: string, atMs: number) => void) | undefined;
  #agent: http.Agent;
  #localAddress: string;

  constructor(base: URL, agent: http.Agent, localAddress: string) {
    this.base = base;
    this.origin = base.origin;
    this.#agent = agent;
    this.#localAddress = localAddress;
  }

  async open(): Promise<void> {
    const page = await request(this.#agent, 'GET', new URL('/', this.base), this.#headers());
    this.#keepCookie(page.setCookie);
    const token = /<input type="hidden" name="csrf" value="([^"]*)">/.exec(page.body)?.[1];
    if (token !== undefined) this.csrf = token;
    await this.#openSocket();
  }

  async login(username: string, password: string): Promise<number> {
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin };
    const body = new URLSearchParams({ csrf: this.csrf, username, password }).toString();
    const url = new URL('/login', this.base);
    const answer = await request(this.#agent, 'POST', url, { ...this.#headers(), ...form }, body);
    this.#keepCookie(answer.setCookie);
    return answer.status;
  }

  close(): void {
    this.socket?.terminate();
  }

  #openSocket(): Promise<void> {
    const url = new URL('/ws', this.base);
    url.protocol = 'ws:';
    const headers = { ...this.#headers(), origin: this.origin };
    const socket = new WebSocket(url, { headers, localAddress: this.#localAddress });
    this.socket = socket;
    socket.on('message', (data) => this.onFrame?.(data.toString(), monoMs()));
    return opened(socket);
  }

  #headers(): Record<string, string> {
    return this.cookie ? { cookie: this.cookie } : {};
  }

  #keepCookie(setCookie: string | undefined): void {
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
  }
}

/**
 * A browser on the floor server: a socket named by an id, and a login that posts that id.
 * The same agent, socket library and source addresses as BenchBrowser.
 */
export class FloorBrowser implements SessionClient {
  readonly id: string;
  onFrame: ((text: string, atMs: number) => void) | undefined;
  #base: URL;
  #agent: http.Agent;
  #localAddress: string;
  #socket: WebSocket | undefined;

  constructor(base: URL, agent: http.Agent, localAddress: string, id: string) {
    this.#base = base;
    this.#agent = agent;
    this.#localAddress = localAddress;
    this.id = id;
  }

  open(): Promise<void> {
    const url = new URL(`/ws?id=${encodeURIComponent(this.id)}`, this.#base);
    url.protocol = 'ws:';
    const socket = new WebSocket(url, {
      headers: { origin: this.#base.origin },
      localAddress: this.#localAddress,
    });
    this.#socket = socket;
    socket.on('message', (data) => this.onFrame?.(data.toString(), monoMs()));
    return opened(socket);
  }

  async login(): Promise<number> {
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      origin: this.#base.origin,
    };
    const body = new URLSearchParams({ id: this.id }).toString();
    return (await request(this.#agent, 'POST', new URL('/login', this.#base), headers, body))
      .status;
  }

  close(): void {
    this.#socket?.terminate();
  }
}

function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) =>
      reject(new Error(`socket refused: ${res.statusCode}`)),
    );
    socket.once('error', reject);
  });
}
