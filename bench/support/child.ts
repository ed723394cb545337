import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const KEPT_OUTPUT_CHARS = 64 * 1024;
const STOP_TIMEOUT_MS = 10_000;
/** Clock ticks per second of /proc/<pid>/stat on Linux (USER_HZ). */
const TICKS_PER_SECOND = 100;

/** A message a bench child sends over IPC: a `type` and what goes with it. */
export interface ChildMessage {
  type: string;
  [key: string]: unknown;
}

export interface ChildCommand {
  /** Names the child in errors. */
  name: string;
  /** A bench script run with tsx, or a plain .cjs/.js file run with node. */
  script: string;
  args?: readonly string[];
  /** Node flags before the script (`--expose-gc`, `-r hook`). */
  nodeFlags?: readonly string[];
  env?: Record<string, string>;
}

// A bench interrupted half way must not leave its servers behind.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * A process the bench started: its output kept, IPC messages queued by type, its CPU time
 * read from /proc. Every child is ended by `stop`, or killed when the bench exits.
 */
export class BenchChild {
  readonly name: string;
  readonly process: ChildProcess;
  #output = '';
  #messages: ChildMessage[] = [];
  #wake = new Set<() => void>();
  #exit: string | undefined;
  #closed: Promise<void>;

  private constructor(name: string, child: ChildProcess) {
    this.name = name;
    this.process = child;
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-KEPT_OUTPUT_CHARS);
      this.#notify();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (message: ChildMessage) => {
      this.#messages.push(message);
      this.#notify();
    });
    this.#closed = new Promise((resolve) => {
      child.once('close', (code, signal) => {
        this.#exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        live.delete(child);
        this.#notify();
        resolve();
      });
    });
    live.add(child);
  }

  static start(command: ChildCommand): BenchChild {
    const typescript = command.script.endsWith('.ts');
    const flags = [...(typescript ? ['--import', 'tsx'] : []), ...(command.nodeFlags ?? [])];
    const child = spawn(process.execPath, [...flags, command.script, ...(command.args ?? [])], {
      cwd: ROOT,
      env: { ...process.env, ...command.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new BenchChild(command.name, child);
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  output(): string {
    return this.#output;
  }

  /** The next IPC message of this type; rejects if the child exits or stays silent. */
  async next(type: string, timeoutMs = 60_000): Promise<ChildMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.#messages.findIndex((m) => m.type === type);
      if (index >= 0) return this.#messages.splice(index, 1)[0]!;
      const failure = this.#messages.find((m) => m.type === 'error');
      if (failure) throw new Error(`${this.name}: ${String(failure.reason)}`);
      if (this.#exit !== undefined) throw this.#failure(`${this.#exit} before '${type}'`);
      if (Date.now() > deadline) throw this.#failure(`sent no '${type}' within ${timeoutMs} ms`);
      await this.#change(deadline - Date.now());
    }
  }

  /** Resolves once the child's output matches; rejects if it exits first or stays silent. */
  async line(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.#output)) {
      if (this.#exit !== undefined) throw this.#failure(`${this.#exit} before printing ${pattern}`);
      if (Date.now() > deadline)
        throw this.#failure(`did not print ${pattern} within ${timeoutMs} ms`);
      await this.#change(deadline - Date.now());
    }
  }

  /** Sends a command and waits for the child's answer of type `<cmd>-done`. */
  async request(cmd: string, detail: object = {}, timeoutMs = 120_000): Promise<ChildMessage> {
    this.process.send({ cmd, ...detail });
    return this.next(`${cmd}-done`, timeoutMs);
  }

  send(cmd: string, detail: object = {}): void {
    this.process.send({ cmd, ...detail });
  }

  /** User plus system CPU time the process has used so far, in ms. */
  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  /** The same, split into user and system time. */
  cpuSplitMs(): { userMs: number; systemMs: number } {
    return processCpuSplitMs(this.pid);
  }

  /** Resident memory now, in bytes, from /proc (no GC first). */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return Number(kib ?? Number.NaN) * 1024;
  }

  async stop(): Promise<void> {
    if (this.#exit !== undefined) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.#closed;
    clearTimeout(timer);
  }

  #failure(what: string): Error {
    return new Error(`${this.name} ${what}; its output:\n${this.#output.slice(-4000)}`);
  }

  #notify(): void {
    for (const wake of this.#wake) wake();
    this.#wake.clear();
  }

  #change(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, timeoutMs));
      this.#wake.add(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** User plus system CPU time of a process, in ms, from /proc/<pid>/stat (fields 14 and 15). */
export function processCpuMs(pid: number): number {
  const { userMs, systemMs } = processCpuSplitMs(pid);
  return userMs + systemMs;
}

/**
 * A process's CPU time in its own code (user) and in the kernel on its behalf (system: for
 * a server on loopback, most of it is the TCP sends and what they wake), in ms.
 */
export function processCpuSplitMs(pid: number): { userMs: number; systemMs: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after it are counted from ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const toMs = (ticks: string | undefined) => (Number(ticks) * 1000) / TICKS_PER_SECOND;
  return { userMs: toMs(fields[11]), systemMs: toMs(fields[12]) };
}

/** Stops every child given, in parallel, whatever state each is in. */
export async function stopAll(children: readonly (BenchChild | undefined)[]): Promise<void> {
  await Promise.allSettled(children.map((c) => c?.stop()));
}

/** The pid of a process whose command line holds `fragment` (a server's own config path). */
export function pidOf(fragment: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (command.includes(fragment)) return Number(entry);
    } catch {
      // Gone between the listing and the read.
    }
  }
  return undefined;
}
