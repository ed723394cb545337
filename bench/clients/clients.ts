import http from 'node:http';
import { BenchBrowser, FloorBrowser, type SessionClient } from './bench-browser.ts';

/** Which server the browsers talk to; `modt` and `ws` speak the same pages and forms. */
export type Target = 'modt' | 'ws' | 'floor' | 'socketio';

/** Sockets from one loopback source address, well inside its ~28k ephemeral ports. */
const SESSIONS_PER_ADDRESS = 20_000;

/**
 * Makes the browsers of one client process. Each gets a loopback source address of its
 * own block (127.<block>.<n>.1), so tens of thousands of sockets never run out of ports.
 */
export class ClientFactory {
  #target: Target;
  #base: URL;
  #block: number;
  #agents = new Map<string, http.Agent>();
  #made = 0;
  #socketIo: ((base: URL, agent: http.Agent, localAddress: string) => SessionClient) | undefined;

  constructor(target: Target, base: string, block: number) {
    this.#target = target;
    this.#base = new URL(base);
    this.#block = block;
  }

  async make(): Promise<SessionClient> {
    const index = this.#made++;
    const localAddress = `127.${this.#block}.${Math.floor(index / SESSIONS_PER_ADDRESS)}.1`;
    const agent = this.#agentFor(localAddress);
    if (this.#target === 'floor')
      return new FloorBrowser(this.#base, agent, localAddress, `${this.#block}-${index}`);
    if (this.#target === 'socketio') {
      this.#socketIo ??= (await import('./socket-io-browser.ts')).socketIoBrowser;
      return this.#socketIo(this.#base, agent, localAddress);
    }
    return new BenchBrowser(this.#base, agent, localAddress);
  }

  #agentFor(localAddress: string): http.Agent {
    let agent = this.#agents.get(localAddress);
    if (agent === undefined) {
      agent = new http.Agent({ keepAlive: true, maxSockets: 32, localAddress });
      this.#agents.set(localAddress, agent);
    }
    return agent;
  }
}

/** Runs `task` for 0 … count-1, at most `concurrency` at once; counts what failed. */
export async function inParallel(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
) {
  let next = 0;
  let failed = 0;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (err) {
        failed += 1;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { failed, firstError };
}
