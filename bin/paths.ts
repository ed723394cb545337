import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository `modt` belongs to: the files it writes are there. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The repository's units, which the derived files (compose, ACL, AsyncAPI) describe. */
export const FUNCTIONS = join(ROOT, 'functions');

/** A path inside the repository as people write it: `deploy/mosquitto/acl`. */
export function fromRoot(path: string): string {
  return path.startsWith(ROOT) ? path.slice(ROOT.length) : path;
}
