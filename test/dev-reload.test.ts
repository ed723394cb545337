import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import {
  collect,
  connectClient,
  freePort,
  publishRaw,
  startMosquitto,
  startStack,
  type Collector,
  type StackProcess,
} from './support/index.ts';

const ROUTER = pathToFileURL(fileURLToPath(new URL('../router/index.ts', import.meta.url))).href;

/** A unit that answers each ping with its version: the behaviour a reload must change. */
const echo = (version: number) => `import { RAW, defineUnit, publish } from '${ROUTER}';
export default defineUnit({
  name: 'echo',
  subscribe: { 'modt/test/ping': RAW },
  publishes: ['modt/test/pong'],
  handle: () => [publish('modt/test/pong', { version: ${version} })],
});
`;

/** A unit that stays as it is while its neighbour reloads. */
const bystander = `import { RAW, defineUnit } from '${ROUTER}';
export default defineUnit({
  name: 'bystander',
  subscribe: { 'modt/test/other': RAW },
  publishes: [],
  handle: () => [],
});
`;

/** Resolves once the stack printed `text` `times` times; rejects with its output if not. */
async function printed(stack: StackProcess, text: string, times = 1, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (stack.output().split(text).length - 1 < times) {
    if (Date.now() > deadline) throw new Error(`no ${times}x '${text}':\n${stack.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function ping(bus: Awaited<ReturnType<typeof connectClient>>, pongs: Collector) {
  await publishRaw(bus, 'modt/test/ping', '{}');
  return pongs.nextJson();
}

test('npm run dev reloads an edited unit; the others and the gateway stay connected', async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const folder = await mkdtemp(join(tmpdir(), 'modt-dev-'));
  t.after(() => rm(folder, { recursive: true, force: true }));
  await writeFile(join(folder, 'package.json'), '{ "type": "module" }\n');
  await writeFile(join(folder, 'echo.ts'), echo(1));
  await writeFile(join(folder, 'bystander.ts'), bystander);

  const port = await freePort();
  const env = {
    MODT_MQTT_URL: broker.url,
    MODT_FUNCTIONS_DIR: folder,
    MODT_HISTORY_FILE: join(folder, 'history.jsonl'),
    MODT_HOST: '127.0.0.1',
    PORT: String(port),
  };
  const stack = await startStack(env, 20_000, 'stack/dev.ts');
  t.after(() => stack.stop());
  await printed(stack, 'watching units');
  // Readable lines, not JSON: the unit's name, then the message.
  await printed(stack, 'bystander: unit ready');
  await printed(stack, 'echo: unit ready');
  await printed(stack, 'gateway: gateway on the bus');

  const bus = await connectClient(broker.url);
  t.after(() => bus.endAsync(true));
  const pongs = await collect(bus, 'modt/test/pong');
  assert.deepEqual(await ping(bus, pongs), { version: 1 });

  const connects = (clientId: string) => broker.output().split(` as ${clientId} (`).length - 1;
  const before = { bystander: connects('modt-bystander'), gateway: connects('modt-gateway') };
  assert.deepEqual(before, { bystander: 1, gateway: 1 });

  await writeFile(join(folder, 'echo.ts'), echo(2));
  await printed(stack, 'echo: unit reloaded');
  assert.deepEqual(await ping(bus, pongs), { version: 2 });
  assert.equal(connects('modt-echo'), 2, 'the edited unit connected again');
  const after = { bystander: connects('modt-bystander'), gateway: connects('modt-gateway') };
  assert.deepEqual(after, before, 'the others did not reconnect');

  await writeFile(join(folder, 'echo.ts'), 'export default {');
  await printed(stack, 'unit not reloaded, the old one runs on');
  assert.deepEqual(await ping(bus, pongs), { version: 2 });

  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const counted = /^modt_messages_received_total\{unit="echo"\} 3$/m;
  assert.match(metrics, counted, 'counts outlive a reload');
  assert.match(metrics, /^modt_unit_up\{unit="bystander"\} 1$/m);
});
