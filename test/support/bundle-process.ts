import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

export interface BundleProcess {
  dir: string;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  /** Resolves once the output holds `text`; rejects with the output after `timeoutMs`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, the exit code, and the folder removed. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process gets no chance to finish anything. */
  kill(): Promise<void>;
}

/**
 * Copies bundles from dist/ alone into an empty folder (no node_modules, as in a distroless
 * image) and starts the first with plain node and only the given environment.
 */
export async function startBundle(
  files: string[],
  env: Record<string, string>,
): Promise<BundleProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'modt-bundle-'));
  for (const file of files) await copyFile(join(DIST, file), join(dir, file));
  const child = spawn(process.execPath, [files[0]!], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  return {
    dir,
    pid: child.pid!,
    output: () => output,
    exited,
    async waitFor(text, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no '${text}' from ${files[0]}:\n${output}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const code = await exited;
      await rm(dir, { recursive: true, force: true });
      return code;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
