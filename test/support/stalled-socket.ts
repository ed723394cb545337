import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';

/** RFC 6455 §1.3: what the server hashes with the client's key to accept it. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE_TEXT = 1;
const OPCODE_CLOSE = 8;

/** The connection as the kernel sees it: the bytes it holds on their way to the reader. */
export interface KernelQueues {
  /** Received by the reader's kernel, not read by it (its Recv-Q). */
  readerReceiveQueue: number;
  /** Sent by the server's kernel, not yet taken by the reader's (the server's Send-Q). */
  serverSendQueue: number;
  /** The server end's TCP state as `ss` names it: `ESTAB`, `FIN-WAIT-1` once it closed. */
  serverState: string;
}

/** What a stalled reader read once it read again, up to the end of the connection. */
export interface StalledRead {
  texts: string[];
  /** Every byte that came after the handshake, frame headers included. */
  bytes: number;
  /** The close frame's code, when one came. */
  closeCode?: number;
  closeReason?: string;
}

/**
 * A WebSocket client on a bare TCP socket: it does the handshake (RFC 6455 §4.1) and then
 * stops reading, so what the server sends piles up, first in the kernel's buffers, then in
 * the server's own. `readAgain` reads everything that was held back.
 */
export class StalledSocket {
  readonly socket: net.Socket;
  #head: Buffer;

  private constructor(socket: net.Socket, head: Buffer) {
    this.socket = socket;
    this.#head = head;
  }

  /** Opens `url` with these headers and stops reading once the server said 101. */
  static open(url: string, headers: Record<string, string>): Promise<StalledSocket> {
    const target = new URL(url);
    const key = randomBytes(16).toString('base64');
    const lines = [
      `GET ${target.pathname} HTTP/1.1`,
      `Host: ${target.host}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${key}`,
      'Sec-WebSocket-Version: 13',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    const socket = net.connect({ host: target.hostname, port: Number(target.port) });
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    return new Promise((resolve, reject) => {
      let received = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const end = received.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        socket.pause();
        const answer = received.subarray(0, end).toString('latin1');
        const accept = createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
        if (!answer.startsWith('HTTP/1.1 101') || !answer.includes(accept)) {
          socket.destroy();
          return reject(new Error(`handshake refused: ${answer.split('\r\n')[0]}`));
        }
        resolve(new StalledSocket(socket, received.subarray(end + 4)));
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
  }

  /** The local port, which names this connection in `ss`. */
  get port(): number {
    return this.socket.localPort!;
  }

  /** Bytes read from the kernel before the pause took hold, not yet handed to the test. */
  get heldByNode(): number {
    return this.#head.length + this.socket.readableLength;
  }

  /** The connection's kernel queues, as `ss` shows them on both of its ends. */
  async kernelQueues(): Promise<KernelQueues> {
    const filter = `( sport = :${this.port} or dport = :${this.port} )`;
    const { stdout } = await promisify(execFile)('ss', ['-tnH', filter]);
    const queues: KernelQueues = { readerReceiveQueue: 0, serverSendQueue: 0, serverState: '' };
    for (const line of stdout.trim().split('\n')) {
      const [state = '', recvQ, sendQ, local] = line.trim().split(/\s+/);
      if (local?.endsWith(`:${this.port}`)) {
        queues.readerReceiveQueue = Number(recvQ);
      } else {
        queues.serverSendQueue = Number(sendQ);
        queues.serverState = state;
      }
    }
    return queues;
  }

  /** Whether the server closed its end, though the reader has not read that yet. */
  async closedByServer(): Promise<boolean> {
    return (await this.kernelQueues()).serverState !== 'ESTAB';
  }

  /** Reads again until the connection ends or `timeoutMs` passes, and parses the frames. */
  readAgain(timeoutMs: number): Promise<StalledRead & { ended: boolean }> {
    const chunks = [this.#head];
    this.#head = Buffer.alloc(0);
    const collect = (chunk: Buffer) => chunks.push(chunk);
    return new Promise((resolve) => {
      const finish = (ended: boolean) => {
        clearTimeout(timer);
        this.socket.off('data', collect);
        resolve({ ...parseFrames(Buffer.concat(chunks)), ended });
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      if (this.socket.closed) return finish(true);
      this.socket.on('data', collect);
      this.socket.once('close', () => finish(true));
      this.socket.once('error', () => undefined);
      this.socket.resume();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The server's frames (unmasked, RFC 6455 §5.2) in `bytes`, up to a close frame. */
function parseFrames(bytes: Buffer): StalledRead {
  const read: StalledRead = { texts: [], bytes: bytes.length };
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (start + length > bytes.length) break;
    const payload = bytes.subarray(start, start + length);
    at = start + length;
    if (opcode === OPCODE_TEXT) read.texts.push(payload.toString('utf8'));
    if (opcode !== OPCODE_CLOSE) continue;
    if (payload.length >= 2) read.closeCode = payload.readUInt16BE(0);
    read.closeReason = payload.subarray(2).toString('utf8');
    break;
  }
  return read;
}
