import net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing listens on at this moment: the kernel picks it for
 * a throwaway listener, which is closed before the port is handed back.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs `start` on a free port, and again on another one when the port was taken between
 * being picked and being bound (another process on a busy machine got it first).
 */
export async function onFreePort<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      const taken = /address already in use/i.test((err as Error).message);
      if (!taken || attempt >= attempts) throw err;
    }
  }
}

/** Whether something accepts a TCP connection on 127.0.0.1:port right now. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
