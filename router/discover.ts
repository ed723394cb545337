import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyUnit } from './unit.ts';

/** The unit files of a folder: every `.ts` file that is not a test. */
export function unitFiles(folder: string): string[] {
  return readdirSync(folder)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts'))
    .sort()
    .map((name) => join(folder, name));
}

/** Imports every unit of a folder; dropping a file there is all it takes to add one. */
export async function loadUnits(folder: string): Promise<AnyUnit[]> {
  const units: AnyUnit[] = [];
  for (const file of unitFiles(folder)) {
    const module = (await import(pathToFileURL(file).href)) as { default?: AnyUnit };
    const unit = module.default;
    if (!unit || typeof unit.handle !== 'function' || typeof unit.name !== 'string') {
      throw new Error(`${file}: its default export is not a unit (use defineUnit)`);
    }
    units.push(unit);
  }
  return units;
}
