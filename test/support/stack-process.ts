import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface StackProcess {
  child: ChildProcess;
  output(): string;
  /** SIGTERM and the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs what `npm start` runs (or `npm run dev`, with `stack/dev.ts`), in its own process,
 * and resolves once it printed that it is up; rejects with everything it printed if it exits
 * or stays silent.
 */
export function startStack(
  env: Record<string, string>,
  timeoutMs = 20_000,
  script = 'stack/start.ts',
): Promise<StackProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));

  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stack: StackProcess = {
    child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(`not up within ${timeoutMs} ms`), timeoutMs);
    const poll = setInterval(() => {
      if (!output.includes('MoDT is up')) return;
      clearTimeout(timer);
      clearInterval(poll);
      resolve(stack);
    }, 50);
    function fail(why: string) {
      clearTimeout(timer);
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(new Error(`stack ${why}:\n${output}`));
    }
    void exited.then((code) => fail(`exited with ${code}`));
  });
}
