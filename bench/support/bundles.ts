import { copyFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { bundleOptions, unitEntry, unitNames } from '../../build.mjs';
import * as esbuild from 'esbuild';
import { UWS_BINARY } from '../../gateway/index.ts';
import { ROOT } from './child.ts';

/** Where the bench builds its own copy: `dist/` may be rebuilt under it by a test run. */
export const BENCH_BUILD = join(ROOT, 'node_modules', '.cache', 'modt-bench');

export interface Bundle {
  name: string;
  file: string;
  bytes: number;
  /** Bytes in the output by where they came from: a package name, or `modt` for our code. */
  bySource: Map<string, number>;
}

export interface Builds {
  /** Each unit and the gateway as `node build.mjs` writes them. */
  bundled: Bundle[];
  /** The same entries with every package left to `require` from node_modules. */
  unbundled: Bundle[];
}

export { unitNames };

// The options of build.mjs itself, so the sizes are those of the bundles we ship.
const shared: esbuild.BuildOptions = { ...bundleOptions, metafile: true };

let built: Promise<Builds> | undefined;

/**
 * Builds every unit and the gateway twice, as shipped and leaving packages external; once
 * per bench run, so every scenario measures the same bundles.
 */
export function buildAll(): Promise<Builds> {
  built ??= build();
  return built;
}

async function build(): Promise<Builds> {
  const bundled = join(BENCH_BUILD, 'dist');
  const unbundled = join(BENCH_BUILD, 'unbundled');
  const builds: Builds = { bundled: [], unbundled: [] };
  for (const [dir, list, external] of [
    [bundled, builds.bundled, false],
    [unbundled, builds.unbundled, true],
  ] as const) {
    mkdirSync(dir, { recursive: true });
    for (const name of unitNames()) list.push(await buildUnit(name, dir, external));
    list.push(await buildGateway(dir, external));
  }
  const uws = dirname(createRequire(import.meta.url).resolve('uWebSockets.js/package.json'));
  // Copied beside and renamed over: a gateway of another bench run may have the old file
  // mapped, and writing into it in place kills that process with SIGBUS.
  const binary = join(bundled, UWS_BINARY);
  copyFileSync(join(uws, 'binaries', UWS_BINARY), `${binary}.${process.pid}`);
  renameSync(`${binary}.${process.pid}`, binary);
  return builds;
}

const servers = new Map<string, Promise<string>>();

/**
 * A bench server (`servers/<name>.ts`) bundled with build.mjs's options, as the units ship:
 * run from source under tsx, each function the router makes per message also went through
 * tsx's naming helper, a few per cent of a drain that no shipped unit pays. Its baseline is
 * bundled the same way. Built once a run; the path of the bundle.
 */
export function bundledServer(name: string): Promise<string> {
  let bundle = servers.get(name);
  if (bundle === undefined) {
    bundle = (async () => {
      const outfile = join(BENCH_BUILD, 'servers', `${name}.cjs`);
      const entryPoints = [join(ROOT, 'bench', 'servers', `${name}.ts`)];
      await esbuild.build({ ...bundleOptions, entryPoints, outfile });
      return outfile;
    })();
    servers.set(name, bundle);
  }
  return bundle;
}

async function buildUnit(name: string, dir: string, external: boolean): Promise<Bundle> {
  const outfile = join(dir, `${name}.cjs`);
  const result = await esbuild.build({
    ...shared,
    ...(external ? { packages: 'external' as const } : {}),
    stdin: unitEntry(name),
    outfile,
  });
  return bundleOf(name, outfile, result.metafile!);
}

async function buildGateway(dir: string, external: boolean): Promise<Bundle> {
  const outfile = join(dir, 'gateway.cjs');
  const result = await esbuild.build({
    ...shared,
    ...(external ? { packages: 'external' as const } : {}),
    entryPoints: [join(ROOT, 'gateway/main.ts')],
    outfile,
  });
  return bundleOf('gateway', outfile, result.metafile!);
}

function bundleOf(name: string, file: string, metafile: esbuild.Metafile): Bundle {
  const bySource = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const source = packageOf(input);
      bySource.set(source, (bySource.get(source) ?? 0) + bytesInOutput);
    }
  }
  return { name, file, bytes: statSync(file).size, bySource };
}

/** `node_modules/@scope/pkg/x.js` → `@scope/pkg`; our own files → `modt`. */
function packageOf(input: string): string {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return 'modt';
  const parts = input.slice(at + 'node_modules/'.length).split('/');
  return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}
