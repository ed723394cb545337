import WebSocket from 'ws';

/** How long a test waits for a frame unless it says otherwise. */
const FRAME_WAIT_MS = 5000;

/** What the gateway answered a POST /login. */
export interface LoginAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** How a socket closed. */
export interface SocketClose {
  code: number;
  reason: string;
}

/**
 * A scripted browser for the gateway, speaking plain HTTP and WebSocket: it keeps the
 * session cookie the login page gives it, the way a browser would.
 */
export class BrowserClient {
  readonly base: string;
  readonly origin: string;
  cookie = '';
  /** The login form's token, read from the login page. */
  csrf = '';
  /** Whether the client acknowledges redirects, as the real page does. */
  acknowledge = true;
  #frames: string[] = [];
  #closes = new WeakMap<WebSocket, Promise<SocketClose>>();
  #waiter: (() => void) | undefined;
  socket: WebSocket | undefined;

  constructor(base: string, origin = new URL(base).origin) {
    this.base = base;
    this.origin = origin;
  }

  /** GET / and keep the session cookie it sets and the form token the page carries. */
  async openLoginPage(headers: Record<string, string> = {}): Promise<Response> {
    const url = new URL('/', this.base);
    const response = await fetch(url, { headers: { ...this.#headers(), ...headers } });
    this.#keepCookie(response);
    const page = await response.clone().text();
    const token = /<input type="hidden" name="csrf" value="([^"]*)">/.exec(page)?.[1];
    if (token !== undefined) this.csrf = token;
    return response;
  }

  /** Opens the page's WebSocket with the cookie and this client's Origin. */
  openSocket(origin = this.origin): Promise<WebSocket> {
    const url = new URL('/ws', this.base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, { headers: { ...this.#headers(), origin } });
    this.socket = socket;
    this.#closes.set(socket, new Promise((resolve) => {
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    }));
    socket.on('message', (data) => {
      const frame = data.toString();
      // As the page does: a redirect in hand is acknowledged, unless a test says not to.
      if (this.acknowledge && frame.includes('"type":"redirect"')) {
        socket.send(JSON.stringify({ type: 'ack', id: JSON.parse(frame).id }));
      }
      this.#frames.push(frame);
      this.#waiter?.();
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`socket refused: ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  /** POSTs the login form with the page's token, as the page's script does. */
  async login(username: string, password: string): Promise<LoginAnswer> {
    return this.postLogin({ csrf: this.csrf, username, password });
  }

  /**
   * POSTs exactly these form fields (a missing or foreign token, say), with this client's
   * cookie and Origin unless `headers` says otherwise; keeps a cookie the answer sets.
   */
  async postLogin(
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<LoginAnswer> {
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin };
    const response = await fetch(new URL('/login', this.base), {
      method: 'POST',
      headers: { ...this.#headers(), ...form, ...headers },
      body: new URLSearchParams(fields),
    });
    this.#keepCookie(response);
    const body = (await response.json()) as Record<string, unknown>;
    return { status: response.status, body, headers: response.headers };
  }

  /** How a socket this client opened closed (the latest one unless told); rejects if open. */
  closeOf(socket = this.socket, timeoutMs = FRAME_WAIT_MS): Promise<SocketClose> {
    const close = socket && this.#closes.get(socket);
    if (close === undefined) throw new Error('no socket opened by this client');
    let timer: NodeJS.Timeout | undefined;
    const open = new Promise<never>((_, reject) => {
      const still = () => reject(new Error(`socket still open after ${timeoutMs} ms`));
      timer = setTimeout(still, timeoutMs);
    });
    return Promise.race([close, open]).finally(() => clearTimeout(timer));
  }

  /** GETs a page with the session cookie. */
  get(url: string): Promise<Response> {
    return fetch(url, { headers: this.#headers() });
  }

  /** The next frame the gateway pushed, parsed. */
  async nextFrame(timeoutMs = FRAME_WAIT_MS): Promise<{ type: string; url: string; app_name: string }> {
    if (this.#frames.length === 0) await this.#arrival(timeoutMs);
    const frame = this.#frames.shift();
    if (frame === undefined) throw new Error(`no frame within ${timeoutMs} ms`);
    return JSON.parse(frame);
  }

  /** Resolves if no frame arrives within `ms`; rejects with the frame if one does. */
  async expectNoFrame(ms: number): Promise<void> {
    if (this.#frames.length === 0) await this.#arrival(ms);
    if (this.#frames.length > 0) throw new Error(`unexpected frame: ${this.#frames[0]}`);
  }

  close(): void {
    this.socket?.terminate();
  }

  #headers(): Record<string, string> {
    return this.cookie ? { cookie: this.cookie } : {};
  }

  #keepCookie(response: Response): void {
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
  }

  #arrival(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiter = () => {
        this.#waiter = undefined;
        done();
      };
    });
  }
}
