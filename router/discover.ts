import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ErrorCodes, ModtFailure } from '../protocol/index.ts';
import type { Env } from './settings.ts';
import type { AnyUnit } from './unit.ts';
import { unitShapeProblem } from './unit-shape.ts';

/** The repository's `functions/`: where the units are unless `MODT_FUNCTIONS_DIR` says. */
export const FUNCTIONS_DIR = fileURLToPath(new URL('../functions/', import.meta.url));

/** The folder of units that `npm start`, `npm run dev` and `modt replay` load. */
export function functionsFolder(env: Env): string {
  const raw = env.MODT_FUNCTIONS_DIR;
  if (!raw) return FUNCTIONS_DIR;
  const folder = resolve(raw);
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    const message = `MODT_FUNCTIONS_DIR: expected a folder of unit files, got '${raw}'`;
    throw new ModtFailure(ErrorCodes.SETTING_INVALID, message);
  }
  return folder;
}

/** The unit files of a folder: every `.ts` file that is not a test. */
export function unitFiles(folder: string): string[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts'))
    .sort()
    .map((name) => join(folder, name));
}

/**
 * Imports the unit of one file. A `version` makes the import a new module (a query on its
 * URL), so that an edited file is read again: what `npm run dev` reloads with.
 */
export async function importUnit(file: string, version?: number): Promise<AnyUnit> {
  const url = pathToFileURL(file);
  if (version !== undefined) url.searchParams.set('v', String(version));
  const module = (await import(url.href)) as { default?: AnyUnit };
  const unit = module.default;
  if (!unit || typeof unit.handle !== 'function' || typeof unit.name !== 'string') {
    const message = `${file}: its default export is not a unit (use defineUnit)`;
    throw new ModtFailure(ErrorCodes.UNIT_INVALID, message);
  }
  const problem = unitShapeProblem(unit);
  if (problem !== undefined) throw new ModtFailure(ErrorCodes.UNIT_INVALID, `${file}: ${problem}`);
  return unit;
}

/** Imports every unit of a folder; dropping a file there is all it takes to add one. */
export async function loadUnits(folder: string): Promise<AnyUnit[]> {
  const units: AnyUnit[] = [];
  for (const file of unitFiles(folder)) units.push(await importUnit(file));
  return units;
}
