import { basename } from 'node:path';
import type { AnyUnit } from '../router/index.ts';

/**
 * Why a unit may not come from its file, or undefined when it may: a unit is named after its
 * file. The build names a bundle by its file (`dist/<file>.cjs`) and the deployment names the
 * image, the account and the bundle it copies by the unit, so a name of its own would build
 * and then fail at `docker compose build`.
 */
export function unitNameMismatch(file: string, unit: AnyUnit): string | undefined {
  const expected = basename(file, '.ts');
  if (unit.name === expected) return undefined;
  return `${basename(file)}: its unit is named '${unit.name}'; a unit is named after its file ` +
    `('${expected}')`;
}
