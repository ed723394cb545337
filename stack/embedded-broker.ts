import net from 'node:net';
import { Aedes } from 'aedes';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The broker of the one-command default: Aedes in this process, on loopback only, with
 * Nagle's algorithm off on every client socket.
 */
export async function startEmbeddedBroker(
  port: number,
  host = '127.0.0.1',
): Promise<EmbeddedBroker> {
  const broker = await Aedes.createBroker();
  const server = net.createServer({ noDelay: true }, broker.handle);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      broker.close();
      if (err.code !== 'EADDRINUSE') return reject(err);
      const message =
        `port ${port} is taken: set MODT_BROKER_PORT to a free port, ` +
        'or MODT_MQTT_URL to use the broker already there';
      reject(new ModtFailure(ErrorCodes.PORT_IN_USE, message));
    });
    server.listen(port, host, () => resolve());
  });

  const bound = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://${host}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
