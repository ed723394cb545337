import { closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';

/**
 * Stops start-up when the file history cannot be written: a folder, or a path where no file
 * can be made. Found only at the first message, it would be an error line at each retry of
 * the monitor, every record of the run waiting unacknowledged, none kept. Opening for
 * append makes the file, as the store would at its first record, and changes nothing else.
 */
export function checkHistoryFile(path: string): void {
  const refuse = (why: string) => {
    throw new ModtFailure(ErrorCodes.SETTING_INVALID, `MODT_HISTORY_FILE: ${why}`);
  };
  const found = statSync(path, { throwIfNoEntry: false });
  if (found?.isDirectory()) refuse(`expected a file, got '${path}', a folder`);

  try {
    mkdirSync(dirname(path), { recursive: true });
    closeSync(openSync(path, 'a'));
  } catch (err) {
    refuse(`cannot write '${path}': ${(err as Error).message}`);
  }
}
