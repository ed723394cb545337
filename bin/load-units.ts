import { importUnit, unitFiles, type AnyUnit } from '../router/index.ts';
import { unitNameMismatch } from '../stack/unit-file-name.ts';

/**
 * The units of a folder, for the commands that read them (new, replay, deploy, asyncapi,
 * secrets), each named after its file, as the build and the deployment need. They are
 * TypeScript: `npm run modt` loads them through tsx, plain `node` does not, so
 * `node dist/modt.cjs` says which commands it has instead of Node's own words.
 */
export async function loadCommandUnits(folder: string, command: string): Promise<AnyUnit[]> {
  const units: AnyUnit[] = [];
  for (const file of unitFiles(folder)) {
    const unit = await importUnit(file).catch((err: Error & { code?: string }) => {
      if (err.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
      const message = `${command} loads the TypeScript units of ${folder}, which plain node ` +
        `cannot: run npm run modt -- ${command} (node dist/modt.cjs has tail, history and users)`;
      throw new Error(message);
    });
    const mismatch = unitNameMismatch(file, unit);
    if (mismatch !== undefined) throw new Error(mismatch);
    units.push(unit);
  }
  return units;
}
