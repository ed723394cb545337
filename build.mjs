// Bundles every unit (with the router) and the gateway into dist/, one CommonJS file each,
// to start with plain `node` from an empty folder: what a distroless image gives them.
// CommonJS, because its `require` works for Node's built-ins inside bundled dependencies
// (field case C11: an ESM bundle of mqtt.js fails on `require("stream")`).
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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

/** The entry of one unit's bundle: its file, run by the router's main. */
export function unitEntry(name) {
  return {
    contents:
      `import unit from './functions/${name}.ts';\n` +
      `import { runUnitMain } from './router/main.ts';\n` +
      'runUnitMain(unit);\n',
    resolveDir: root,
    sourcefile: `${name}-main.ts`,
    loader: 'ts',
  };
}

/** What every bundle is built with, the toolkit's included. */
const baseOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Optional native speed-ups of `ws` (mqtt.js's WebSocket transport, in modt.cjs only),
  // loaded in try/catch when present.
  external: ['bufferutil', 'utf-8-validate'],
  // `import.meta.url` has no CommonJS meaning; give it the bundle's own file URL.
  define: { 'import.meta.url': '__bundle_url' },
  banner: { js: "var __bundle_url=require('url').pathToFileURL(__filename).href;" },
};

// Stand-ins for packages, or parts of packages, that a unit or the gateway never runs. Each
// names the package it stands in for (`by`, the importer; any, without it) and says why.
// What those packages do on Node is unchanged: these are their browser, MQTT 5 and worker
// paths.
const STAND_INS = {
  // mqtt.js's main module loads every transport it has (WebSocket, SOCKS, WeChat, Alipay)
  // for `mqtt.connect`; MqttLink gives MqttClient the net or tls stream it opens itself.
  // An ES module, so that importing anything else of mqtt.js's fails the build.
  mqtt: { by: 'modt', contents: "export { default as MqttClient } from 'mqtt/lib/client';" },
  // Node's own streams, republished for browsers and old Nodes; with READABLE_STREAM=disable
  // it gives Node's, and so does this.
  'readable-stream': { contents: "module.exports = require('node:stream');" },
  // debug picks its browser or its Node half when it is loaded; this is Node. Unless DEBUG
  // asks for lines, its loggers are functions that do nothing: mqtt-packet calls one several
  // times a packet, and each call asked whether its namespace was enabled, some 2 % of a
  // busy unit.
  debug: {
    contents: `
      if (process.env.DEBUG) module.exports = require('debug/src/node.js');
      else {
        const off = (namespace) => {
          const logger = () => {};
          logger.namespace = namespace;
          logger.enabled = false;
          logger.log = () => {};
          logger.destroy = () => false;
          logger.extend = (sub, delimiter = ':') => off(namespace + delimiter + sub);
          return logger;
        };
        module.exports = Object.assign(off, {
          default: off,
          enable() {},
          disable: () => '',
          enabled: () => false,
          names: [],
          skips: [],
          formatters: {},
        });
      }`,
  },
  // Timers in a web worker, for browsers; on Node mqtt.js takes Node's own (get-timer.js).
  'worker-timers': {
    by: 'mqtt',
    contents: 'module.exports = { setInterval, clearInterval, setTimeout, clearTimeout };',
  },
  // pino's transports run in a worker thread; MoDT's processes log to standard output.
  'thread-stream': {
    by: 'pino',
    contents: leftOut('pino transports', 'MoDT processes log to standard output'),
  },
  // mqtt.js keeps MQTT 5 topic aliases in an LRU cache; MqttLink speaks MQTT 3.1.1.
  'lru-cache': {
    by: 'mqtt',
    contents: leftOut('MQTT 5 topic aliases', 'MqttLink speaks MQTT 3.1.1', 'LRUCache'),
  },
  // ioredis's Redis Cluster client, a second client beside the one the store makes: the
  // history store speaks to one Redis server (`new Redis(url)`).
  './cluster': {
    by: 'ioredis',
    contents: leftOut('Redis Cluster clients', 'the history store uses one server', 'default'),
  },
};

/** A stand-in whose constructor fails, saying why, should what it replaces be used. */
function leftOut(what, why, name) {
  const message = JSON.stringify(`${what} are left out of this bundle (build.mjs): ${why}`);
  const exported = name ? `{ ${name}: LeftOut }` : 'LeftOut';
  return `function LeftOut() { throw new Error(${message}); }\nmodule.exports = ${exported};`;
}

/** `node_modules/@scope/pkg/x.js` → `@scope/pkg`; our own files → `modt`. */
function packageOf(file) {
  const at = file.lastIndexOf('node_modules');
  if (at < 0) return 'modt';
  const [scope, name] = file.slice(at + 'node_modules'.length + 1).split(/[\\/]/);
  return scope.startsWith('@') ? `${scope}/${name}` : scope;
}

/**
 * Puts the stand-ins in place, and trims mqtt.js's package.json (which it reads for its
 * version) to that version. Only where packages are bundled: with `packages: 'external'`
 * they are required from node_modules as they are.
 */
const standIns = {
  name: 'modt-stand-ins',
  setup(build) {
    if (build.initialOptions.packages === 'external') return;
    const names = Object.keys(STAND_INS).map((name) => name.replace(/[./]/g, '\\$&'));
    build.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, ({ path, importer }) => {
      const { by } = STAND_INS[path];
      if (by !== undefined && by !== packageOf(importer)) return undefined;
      return { path, namespace: 'modt-stand-in' };
    });
    build.onLoad({ filter: /.*/, namespace: 'modt-stand-in' }, ({ path }) => ({
      contents: STAND_INS[path].contents,
      resolveDir: root,
      loader: 'js',
    }));
    const mqttPackage = require.resolve('mqtt/package.json');
    build.onLoad({ filter: /[\\/]mqtt[\\/]package\.json$/ }, ({ path }) => {
      if (path !== mqttPackage) return undefined;
      return { contents: JSON.stringify({ version: require(path).version }), loader: 'json' };
    });
  },
};

const OPEN_STORE = join(root, 'router', 'history', 'open-store.ts');
const NO_STORE = join(root, 'router', 'history', 'no-store.ts');
const UNIT_IMPORT = /from '\.\/functions\/([^']+\.ts)'/;

/**
 * In the bundle of a unit that returns no records, no-store.ts takes the place of
 * open-store.ts, and the history stores, ioredis with them, are left out. Whether the unit
 * records is read from the unit itself, as the router reads it (`unit.records`).
 */
const storeOnlyWhereRecorded = {
  name: 'modt-store-only-where-recorded',
  setup(build) {
    const unit = build.initialOptions.stdin?.contents.match(UNIT_IMPORT)?.[1];
    if (unit === undefined) return;
    let recording;
    const records = () => (recording ??= declaresRecords(join(root, 'functions', unit)));
    build.onResolve({ filter: /[\\/]open-store\.ts$/ }, async ({ path, resolveDir }) => {
      if (resolve(resolveDir, path) !== OPEN_STORE) return undefined;
      return (await records()) ? undefined : { path: NO_STORE };
    });
    // The router's index still names the stores; loading ioredis, which only they use, has
    // no effect of its own, so with the stores unused it goes too.
    const external = build.initialOptions.packages === 'external';
    build.onResolve({ filter: /^ioredis$/ }, async ({ path }) => {
      if (await records()) return undefined;
      const resolved = external ? { path, external } : { path: require.resolve(path) };
      return { ...resolved, sideEffects: false };
    });
  },
};

let probes = 0;

/** Whether a unit file's unit declares `records: true`: built and loaded, packages aside. */
async function declaresRecords(file) {
  const name = `probe-${process.pid}-${++probes}.cjs`;
  const probe = join(root, 'node_modules', '.cache', 'modt-build', name);
  mkdirSync(dirname(probe), { recursive: true });
  const options = { ...baseOptions, packages: 'external', logLevel: 'error' };
  await esbuild.build({ ...options, entryPoints: [file], outfile: probe });
  try {
    return require(probe).default?.records === true;
  } finally {
    delete require.cache[probe];
    rmSync(probe, { force: true });
  }
}

/** The esbuild options of the unit and gateway bundles; the bench builds with the same. */
export const bundleOptions = { ...baseOptions, plugins: [standIns, storeOnlyWhereRecorded] };

export async function build() {
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });

  const units = unitNames();
  for (const name of units) {
    await esbuild.build({
      ...bundleOptions,
      stdin: unitEntry(name),
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

  // The toolkit's `tail` takes mqtt.js whole (`mqtt.connect`), so it gets none of the above.
  await esbuild.build({
    ...baseOptions,
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
