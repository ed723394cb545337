import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { test } from 'node:test';
import { coalesceWrites } from './mqtt-link.ts';

/** A connected socket whose system-level writes are counted, and the bytes its peer read. */
async function countedSocket(coalesce: boolean) {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const socket = net.createConnection({ host: '127.0.0.1', port, noDelay: true });
  const [peer] = (await once(server, 'connection')) as [net.Socket];
  await once(socket, 'connect');
  if (coalesce) coalesceWrites(socket);
  const writes: number[] = [];
  const internals = socket as unknown as {
    _writev(chunks: { chunk: Buffer }[], cb: () => void): void;
    _write(chunk: Buffer, encoding: string, cb: () => void): void;
  };
  const writev = internals._writev.bind(socket);
  const write = internals._write.bind(socket);
  internals._writev = (chunks, cb) => {
    writes.push(chunks.length);
    writev(chunks, cb);
  };
  internals._write = (chunk, encoding, cb) => {
    writes.push(1);
    write(chunk, encoding, cb);
  };
  let read = '';
  peer.on('data', (data: Buffer) => (read += data.toString('latin1')));
  const close = () => {
    socket.destroy();
    peer.destroy();
    server.close();
  };
  return { socket, writes, read: () => read, close };
}

/** Writes one packet-sized chunk from each of several callbacks of the same turn. */
async function writeFromCallbacks(socket: net.Socket, parts: string[]) {
  await new Promise<void>((resolve) => {
    setImmediate(() => {
      for (const part of parts) queueMicrotask(() => socket.write(part));
      queueMicrotask(() => process.nextTick(() => socket.write('|')));
    });
    setImmediate(() => setImmediate(resolve));
  });
}

test('writes made from different callbacks of one turn go out in one system call', async (t) => {
  const counted = await countedSocket(true);
  t.after(counted.close);
  await writeFromCallbacks(counted.socket, ['a', 'b', 'c', 'd']);
  assert.deepEqual(counted.writes, [5]);
  while (counted.read().length < 5) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(counted.read(), 'abcd|');
});

test('without the coalescing, the same writes take one system call each', async (t) => {
  // The control: shows that the case above would fail if the socket were left as it is.
  const counted = await countedSocket(false);
  t.after(counted.close);
  await writeFromCallbacks(counted.socket, ['a', 'b', 'c', 'd']);
  assert.ok(counted.writes.length > 1, `writes: ${JSON.stringify(counted.writes)}`);
});

test('a write of a later turn goes out in a system call of its own', async (t) => {
  const counted = await countedSocket(true);
  t.after(counted.close);
  await writeFromCallbacks(counted.socket, ['a', 'b']);
  await writeFromCallbacks(counted.socket, ['c']);
  assert.deepEqual(counted.writes, [3, 2]);
  while (counted.read().length < 5) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(counted.read(), 'ab|c|');
});
