// Bundles every unit (with the router) and the gateway into dist/, one CommonJS file each,
// to start with plain `node` from an empty folder: what a distroless image gives them.
// CommonJS, because its `require` works for Node's built-ins inside bundled dependencies
// (field case C11: an ESM bundle of mqtt.js fails on `require("stream")`).
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = dirname(fileURLToPath(import.meta.url));
const dist = join(root, 'dist');
const require = createRequire(import.meta.url);

export const uwsBinary = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;

/** The units of functions/: every .ts file that is not a test, named by its file. */
export function unitNames() {
  return readdirSync(join(root, 'functions'))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** The esbuild options of every bundle; the bench builds with the same. */
export const bundleOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Optional native speed-ups of `ws` (inside mqtt.js), loaded in try/catch when present.
  external: ['bufferutil', 'utf-8-validate'],
  // `import.meta.url` has no CommonJS meaning; give it the bundle's own file URL.
  define: { 'import.meta.url': '__bundle_url' },
  banner: { js: "var __bundle_url=require('url').pathToFileURL(__filename).href;" },
};

export async function build() {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });

  const units = unitNames();
  for (const name of units) {
    await esbuild.build({
      ...bundleOptions,
      stdin: {
        contents:
          `import unit from './functions/${name}.ts';\n` +
          `import { runUnitMain } from './router/main.ts';\n` +
          'runUnitMain(unit);\n',
        resolveDir: root,
        sourcefile: `${name}-main.ts`,
        loader: 'ts',
      },
      outfile: join(dist, `${name}.cjs`),
    });
  }

  await esbuild.build({
    ...bundleOptions,
    entryPoints: [join(root, 'gateway/main.ts')],
    outfile: join(dist, 'gateway.cjs'),
  });
  const uwsPackage = dirname(require.resolve('uWebSockets.js/package.json'));
  copyFileSync(join(uwsPackage, 'binaries', uwsBinary), join(dist, uwsBinary));

  await esbuild.build({
    ...bundleOptions,
    entryPoints: [join(root, 'bin/modt.ts')],
    outfile: join(dist, 'modt.cjs'),
  });

  return [...units.map((u) => `${u}.cjs`), 'gateway.cjs', uwsBinary, 'modt.cjs'].map((file) => ({
    file,
    bytes: statSync(join(dist, file)).size,
  }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await build();
  for (const { file, bytes } of built)
    console.log(`dist/${file}  ${(bytes / 1024).toFixed(0)} KiB`);
}
