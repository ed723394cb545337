/** The child side of the bench's IPC: answers commands, reports what it measured. */

export interface Command {
  cmd: string;
  [key: string]: unknown;
}

/** Sends a message of this type to the bench. */
export function report(type: string, detail: object = {}): void {
  process.send?.({ type, ...detail });
}

/**
 * Runs each command the bench sends through `handle` and answers `<cmd>-done` with what it
 * returns, or `error` with the reason: a child never dies of a command silently.
 */
export function serveCommands(handle: (command: Command) => Promise<object | void>): void {
  process.on('message', (command: Command) => {
    handle(command).then(
      (result) => report(`${command.cmd}-done`, result ?? {}),
      (err: Error) => report('error', { reason: `${command.cmd}: ${err.stack ?? err.message}` }),
    );
  });
  // The bench going away ends its children.
  process.on('disconnect', () => process.exit(0));
}

/** What `--expose-gc` gives; the children that measure memory are started with it. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('start this process with --expose-gc');
  gc();
  gc();
}
