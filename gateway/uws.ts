import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';

export type Uws = typeof import('uWebSockets.js');

/** The file name of the native binding for this platform and Node ABI. */
const { platform, arch, versions } = process;
export const UWS_BINARY = `uws_${platform}_${arch}_${versions.modules}.node`;

/**
 * Loads the native uWebSockets.js binding itself. The package's own entry falls back to a
 * slow `ws`-based imitation without a word when the binary does not load; the gateway
 * refuses to start instead. Looked for: `MODT_UWS_BINARY`, beside the running bundle
 * (`dist/`), then in the installed package.
 */
export function loadUws(): Uws {
  const require = createRequire(import.meta.url);
  const candidates = uwsCandidates(require);
  const failures: string[] = [];
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    try {
      const binding = require(path) as Uws;
      if (typeof binding.App === 'function') return binding;
      failures.push(`${path}: not a uWebSockets.js binding`);
    } catch (err) {
      failures.push(`${path}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const tried =
    failures.length > 0 ? failures.join('; ') : `no ${UWS_BINARY} in ${candidates.join(', ')}`;
  throw new ModtFailure(
    ErrorCodes.UWS_NATIVE_MISSING,
    `the native uWebSockets.js binding did not load (${tried}); ` +
      'the gateway will not run on the slow fallback',
  );
}

function uwsCandidates(require: NodeJS.Require): string[] {
  const candidates: string[] = [];
  if (process.env.MODT_UWS_BINARY) candidates.push(process.env.MODT_UWS_BINARY);
  candidates.push(join(dirname(fileURLToPath(import.meta.url)), UWS_BINARY));
  try {
    const pkg = dirname(require.resolve('uWebSockets.js/package.json'));
    candidates.push(join(pkg, 'binaries', UWS_BINARY));
  } catch {
    // Not installed beside us: a bundle carries its binary next to it instead.
  }
  return candidates;
}
