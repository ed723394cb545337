import { loadUnits, type AnyUnit } from '../router/index.ts';

/**
 * The units of a folder, for the commands that read them (new, replay, deploy, asyncapi,
 * secrets). They are TypeScript: `npm run modt` loads them through tsx, plain `node` does
 * not, so `node dist/modt.cjs` says which commands it has instead of Node's own words.
 */
export async function loadCommandUnits(folder: string, command: string): Promise<AnyUnit[]> {
  try {
    return await loadUnits(folder);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
    const message = `${command} loads the TypeScript units of ${folder}, which plain node ` +
      `cannot: run npm run modt -- ${command} (node dist/modt.cjs has tail, history and users)`;
    throw new Error(message);
  }
}
