import { readFileSync } from 'node:fs';

const PAGE_BYTES = 4096;

/** What the kernel holds for sockets right now: TCP sockets in use, their buffers, the slab. */
export interface KernelSockets {
  tcpInUse: number;
  /** TCP buffer memory (sockstat `mem`, pages), in bytes. */
  tcpBufferBytes: number;
  /** All slab memory (socket structures, inodes, files, epoll entries among it), in bytes. */
  slabBytes: number;
}

export function kernelSockets(): KernelSockets {
  const sockstat = readFileSync('/proc/net/sockstat', 'utf8');
  const tcp = /TCP: inuse (\d+) orphan \d+ tw \d+ alloc \d+ mem (\d+)/.exec(sockstat);
  const meminfo = readFileSync('/proc/meminfo', 'utf8');
  const slabKiB = Number(/^Slab:\s+(\d+) kB/m.exec(meminfo)?.[1] ?? Number.NaN);
  return {
    tcpInUse: Number(tcp?.[1] ?? Number.NaN),
    tcpBufferBytes: Number(tcp?.[2] ?? Number.NaN) * PAGE_BYTES,
    slabBytes: slabKiB * 1024,
  };
}

/**
 * Kernel bytes per loopback connection between two readings: both ends live in this kernel,
 * so half of it is the server's. Other work on the machine moves these numbers too; with
 * thousands of connections opened between the readings, ours dominate.
 */
export function kernelBytesPerConnection(
  before: KernelSockets,
  after: KernelSockets,
  connections: number,
) {
  const bytes = after.slabBytes - before.slabBytes + (after.tcpBufferBytes - before.tcpBufferBytes);
  return bytes / connections;
}
