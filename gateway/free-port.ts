import net from 'node:net';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';
import { readPort, type Env } from '../router/index.ts';
import { DEFAULT_PORT } from './options.ts';

/**
 * `PORT=0` asks for any free port. The public URL follows the port (`http://localhost:$PORT`)
 * and everything follows the public URL: the address `npm start` prints, the socket's Origin
 * check and the `redirect_url` of each app, which the units read before the gateway listens.
 * So unless `MODT_PUBLIC_URL` names the address, the port is taken here first, from the
 * kernel, and `PORT` set to it. Another process could take it in the instant before the
 * gateway binds it: the gateway then stops with MODT_ERR_PORT_IN_USE, never on another port.
 */
export async function settlePort(env: Env): Promise<Env> {
  if (readPort(env, 'PORT', DEFAULT_PORT) !== 0 || env.MODT_PUBLIC_URL) return env;
  const port = await kernelPort(env.MODT_HOST || '0.0.0.0');
  return { ...env, PORT: String(port) };
}

/**
 * Refuses, as the gateway's own listen would, when the port the gateway is to listen on is
 * taken: `npm start` checks before it starts a broker and units, so that the refusal is the
 * only thing it says.
 */
export async function checkPortFree(env: Env): Promise<void> {
  const port = readPort(env, 'PORT', DEFAULT_PORT);
  const host = env.MODT_HOST || '0.0.0.0';
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenFailure(err, host, port)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * Why the gateway could not listen, in the setting to change: a port taken or below 1024 is
 * PORT's; a host that names no address of this machine is MODT_HOST's.
 */
function listenFailure(err: NodeJS.ErrnoException, host: string, port: number): ModtFailure {
  if (err.code === 'EADDRINUSE' || err.code === 'EACCES') {
    const message = `port ${port} on ${host} is taken or not ours: set PORT to a free port`;
    return new ModtFailure(ErrorCodes.PORT_IN_USE, message);
  }
  const message = `MODT_HOST: expected an address of this machine, got '${host}' (${err.code})`;
  return new ModtFailure(ErrorCodes.SETTING_INVALID, message);
}

function kernelPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenFailure(err, host, 0)));
    server.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
