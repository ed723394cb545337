import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How a run of `modt` ended. */
export interface ModtResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A `modt` still running (`tail`), for a test to wait on and stop. */
export interface ModtProcess {
  /** Resolves once standard error holds `text`; rejects with the output after `timeoutMs`. */
  waitForStderr(text: string, timeoutMs?: number): Promise<void>;
  /** How it ended, once it has. */
  exited: Promise<ModtResult>;
  /** SIGINT, as Ctrl-C would, and how it ended. */
  stop(): Promise<ModtResult>;
}

export interface ModtOptions {
  /** The whole environment but PATH: nothing of the test's own leaks in. */
  env?: Record<string, string>;
  /** Standard input, ended once written. */
  input?: string;
  /** The repository to run in, for a copy of it. */
  cwd?: string;
}

/** Starts `bin/modt.ts` of the repository (or of a copy) with arguments. */
export function startModt(args: readonly string[], options: ModtOptions = {}): ModtProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bin/modt.ts', ...args], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? '', ...options.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  const exited = new Promise<ModtResult>((resolve) => {
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });

  return {
    exited,
    async waitForStderr(text, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!stderr.includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null) {
          throw new Error(`no '${text}' from modt ${args.join(' ')}:\n${stdout}${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/** Runs `modt` to its end: the exit code and what it printed. */
export function runModt(args: readonly string[], options: ModtOptions = {}): Promise<ModtResult> {
  return startModt(args, options).exited;
}
