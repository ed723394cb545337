// `npm test`: brings what the tests need, typechecks, builds the bundles, runs every test.
// Tests start their own Mosquitto and Redis on free ports and drive Debian's Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const needs = [
  { binary: '/usr/sbin/mosquitto', pkg: 'mosquitto' },
  { binary: '/usr/bin/redis-server', pkg: 'redis-server' },
  { binary: '/usr/bin/chromium', pkg: 'chromium' },
  // test/pipeline-writes.test.ts makes a self-signed certificate for its mqtts: broker.
  { binary: '/usr/bin/openssl', pkg: 'openssl' },
];

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

function bringPrerequisites() {
  const missing = needs.filter((n) => !existsSync(n.binary)).map((n) => n.pkg);
  if (missing.length === 0) return;
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall) {
    const install = `sudo apt-get install -y ${missing.join(' ')}`;
    console.error(`npm test needs ${missing.join(', ')}: ${install}`);
    process.exit(1);
  }
  console.log(`installing ${missing.join(', ')} from Debian's packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

function testFiles(folder) {
  const files = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const skipped = entry.name === 'node_modules' || entry.name === 'dist';
    if (skipped || entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) files.push(...testFiles(path));
    else if (entry.name.endsWith('.test.ts')) files.push(relative(root, path));
  }
  return files.sort();
}

// A folder names every test file under it: `node --test` on Node 20 takes files only.
const only = process.argv
  .slice(2)
  .flatMap((arg) => (existsSync(arg) && statSync(arg).isDirectory() ? testFiles(arg) : [arg]));
if (process.argv.length > 2 && only.length === 0) {
  console.error(`no test files in ${process.argv.slice(2).join(' ')}`);
  process.exit(1);
}
bringPrerequisites();
run('npx', ['tsc', '--noEmit']);
run('node', ['build.mjs']);
const files = only.length ? only : testFiles(root);
run('node', ['--import', 'tsx', '--test', '--test-timeout=300000', ...files]);
