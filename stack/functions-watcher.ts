import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/** An editor's save is several file events in a few milliseconds: they count as one. */
const SETTLE_MS = 150;

/**
 * Watches a folder of units (fs.watch) and calls `changed` once per saved unit file, after
 * its events settle: written, replaced by a rename, created or deleted. Tests and `.d.ts`
 * files are not units and are ignored. Only the folder itself is watched: a helper module
 * that a unit imports from elsewhere is not re-read (TODO(fix): follow a unit's imports).
 */
export class FunctionsWatcher {
  #watcher: FSWatcher;
  #timers = new Map<string, NodeJS.Timeout>();

  constructor(folder: string, changed: (file: string) => void) {
    this.#watcher = watch(folder, (_event, name) => {
      if (name === null || !isUnitFile(name)) return;
      const file = join(folder, name);
      clearTimeout(this.#timers.get(file));
      const timer = setTimeout(() => {
        this.#timers.delete(file);
        changed(file);
      }, SETTLE_MS);
      this.#timers.set(file, timer);
    });
  }

  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#watcher.close();
  }
}

function isUnitFile(name: string): boolean {
  if (name.startsWith('.') || !name.endsWith('.ts')) return false;
  return !name.endsWith('.test.ts') && !name.endsWith('.d.ts');
}
