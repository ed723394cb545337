import type http from 'node:http';
import { io, type Socket } from 'socket.io-client';
import { monoMs } from '../support/clock.ts';
import { request, type SessionClient } from './bench-browser.ts';

/**
 * A browser on the Socket.IO baseline: GET / for the cookie, as BenchBrowser does, then a
 * Socket.IO connection on the WebSocket transport with that cookie and the page's Origin.
 */
export function socketIoBrowser(base: URL, agent: http.Agent, localAddress: string): SessionClient {
  let cookie = '';
  let socket: Socket | undefined;
  const client: SessionClient = {
    onFrame: undefined,
    async open() {
      const page = await request(agent, 'GET', new URL('/', base), {});
      cookie = page.setCookie?.split(';')[0] ?? '';
      socket = io(base.origin, {
        transports: ['websocket'],
        extraHeaders: { cookie, origin: base.origin },
        localAddress,
        reconnection: false,
        forceNew: true,
      } as Parameters<typeof io>[1]);
      socket.on('redirect', (frame) =>
        client.onFrame?.(JSON.stringify({ type: 'redirect', ...frame }), monoMs()),
      );
      await new Promise<void>((resolve, reject) => {
        socket!.once('connect', () => resolve());
        socket!.once('connect_error', reject);
      });
    },
    async login() {
      throw new Error('the Socket.IO baseline measures held sessions only');
    },
    close() {
      socket?.disconnect();
    },
  };
  return client;
}
