import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { MOSQUITTO, REDIS_SERVER } from '../../test/support/index.ts';
import { ROOT } from './child.ts';

function firstLine(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
      .split('\n')[0]!
      .trim();
  } catch (err) {
    return (err as { stdout?: string }).stdout?.split('\n')[0]?.trim() || 'not found';
  }
}

/** Read from the file itself: a package's exports map may keep package.json from require. */
function packageVersion(name: string): string {
  try {
    const file = join(ROOT, 'node_modules', name, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

/** What the figures were measured on: the machine, its load, and every version in play. */
export function describeMachine() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    loadAverage: os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    node: process.version,
    mosquitto: firstLine(MOSQUITTO, ['-h']).replace(/^mosquitto version /, ''),
    redis: firstLine(REDIS_SERVER, ['--version']).replace(/^Redis server v=(\S+).*/, '$1'),
    packages: Object.fromEntries(
      [
        'uWebSockets.js',
        'mqtt',
        'ioredis',
        'ws',
        'socket.io',
        'esbuild',
        '@sinclair/typebox',
        'pino',
      ].map((name) => [name, packageVersion(name)]),
    ),
  };
}

/** The open-file limits of this process: soft (in force) and hard (the most it may rise to). */
function fileLimits(): { soft: number; hard: number } {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const [, soft = '1024', hard = '1024'] = /Max open files\s+(\d+)\s+(\d+)/.exec(limits) ?? [];
  return { soft: Number(soft), hard: Number(hard) };
}

/**
 * Raises this process's open-file limit, which every child inherits: tens of thousands of
 * sockets need more than the default. Past the hard limit only CAP_SYS_RESOURCE may go; without
 * it the soft limit is raised to the hard one. Returns the limit in force.
 */
export function raiseFileLimit(wanted: number): number {
  const pid = String(process.pid);
  for (const limit of [wanted, fileLimits().hard]) {
    try {
      execFileSync('prlimit', ['--pid', pid, `--nofile=${limit}:${limit}`], { stdio: 'ignore' });
      break;
    } catch {
      // Not permitted, or no prlimit: try the next, then live with what there is.
    }
  }
  return fileLimits().soft;
}
