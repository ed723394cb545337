import WebSocket from 'ws';

/** How long a test waits for a frame unless it says otherwise. */
const FRAME_WAIT_MS = 5000;

/**
 * A scripted browser for the gateway, speaking plain HTTP and WebSocket: it keeps the
 * session cookie the login page gives it, the way a browser would.
 */
export class BrowserClient {
  readonly base: string;
  readonly origin: string;
  cookie = '';
  #frames: string[] = [];
  #waiter: (() => void) | undefined;
  socket: WebSocket | undefined;

  constructor(base: string, origin = new URL(base).origin) {
    this.base = base;
    this.origin = origin;
  }

  /** GET / and keep the session cookie it sets. */
  async openLoginPage(): Promise<Response> {
    const response = await fetch(new URL('/', this.base), { headers: this.#headers() });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0]!;
    return response;
  }

  /** Opens the page's WebSocket with the cookie and this client's Origin. */
  openSocket(origin = this.origin): Promise<WebSocket> {
    const url = new URL('/ws', this.base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url, { headers: { ...this.#headers(), origin } });
    this.socket = socket;
    socket.on('message', (data) => {
      this.#frames.push(data.toString());
      this.#waiter?.();
    });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_req, res) => reject(new Error(`socket refused: ${res.statusCode}`)));
      socket.once('error', reject);
    });
  }

  /** POSTs the login form, as the page's script does. */
  async login(username: string, password: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(new URL('/login', this.base), {
      method: 'POST',
      headers: { ...this.#headers(), 'content-type': 'application/x-www-form-urlencoded', origin: this.origin },
      body: new URLSearchParams({ username, password }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
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
