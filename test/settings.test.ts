import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCodes } from '../protocol/index.ts';
import { readRuntimeOptions } from '../router/index.ts';
import { readGatewayOptions } from '../gateway/index.ts';
import {
  BrowserClient,
  freePort,
  startMosquitto,
  startStack,
  startTestGateway,
  testUsers,
} from './support/index.ts';

const badSettings: { env: Record<string, string>; names: string }[] = [
  { env: { PORT: 'eighty' }, names: 'PORT' },
  { env: { PORT: '70000' }, names: 'PORT' },
  // Number() reads each of these as 8080 or 1000; a setting is decimal digits only.
  { env: { PORT: ' 8080' }, names: 'PORT' },
  { env: { PORT: '0x1f90' }, names: 'PORT' },
  { env: { PORT: '8080.0' }, names: 'PORT' },
  { env: { MODT_ANSWER_TTL_MS: '1e3' }, names: 'MODT_ANSWER_TTL_MS' },
  { env: { MODT_MAX_SESSIONS: '+100' }, names: 'MODT_MAX_SESSIONS' },
  { env: { MODT_LOG_LEVEL: 'verbose' }, names: 'MODT_LOG_LEVEL' },
  { env: { MODT_PUBLIC_URL: 'localhost:8080' }, names: 'MODT_PUBLIC_URL' },
  { env: { MODT_PUBLIC_URL: 'ftp://example.test/' }, names: 'MODT_PUBLIC_URL' },
  { env: { MODT_MQTT_URL: 'http://broker:1883' }, names: 'MODT_MQTT_URL' },
  {
    env: { MODT_REDIRECT_ORIGINS: 'https://ok.test,javascript:x' },
    names: 'MODT_REDIRECT_ORIGINS',
  },
  { env: { MODT_PENDING_TTL_MS: '-5' }, names: 'MODT_PENDING_TTL_MS' },
  { env: { MODT_MAX_SESSIONS: '1.5' }, names: 'MODT_MAX_SESSIONS' },
  { env: { MODT_METRICS_TOKEN: 'short' }, names: 'MODT_METRICS_TOKEN' },
  { env: { MODT_METRICS_TOKEN: 'a token with spaces in it' }, names: 'MODT_METRICS_TOKEN' },
];
for (const { env, names } of badSettings) {
  const title = `a bad ${names} (${Object.values(env)[0]}) stops start-up with a line naming it`;
  test(title, async () => {
    const users = await testUsers([]);
    assert.throws(() => readGatewayOptions(env, users), (err: Error & { code?: string }) => {
      assert.equal(err.code, ErrorCodes.SETTING_INVALID);
      assert.match(err.message, new RegExp(`^${names}: expected`));
      return true;
    });
  });
}

test('a long MODT_METRICS_TOKEN with a space says where it is, not only its length', async () => {
  const users = await testUsers([]);
  const env = { MODT_METRICS_TOKEN: 'scrape 0123456789abcdef' };
  assert.throws(() => readGatewayOptions(env, users), (err: Error) => {
    assert.match(err.message, /^MODT_METRICS_TOKEN: expected .*, got .* at position 7 of 23$/);
    assert.doesNotMatch(err.message, /0123456789abcdef/);
    return true;
  });
});

test('a unit refuses a bad MODT_CLIENT_ID, MODT_MAX_PACKET_BYTES or MODT_LOG_LEVEL by name', () => {
  const bad = [
    ['MODT_CLIENT_ID', 'has spaces'],
    ['MODT_MAX_PACKET_BYTES', '0'],
    ['MODT_MAX_PACKET_BYTES', '1e6'],
    ['MODT_LOG_LEVEL', 'INFO'],
  ] as const;
  for (const [name, value] of bad) {
    assert.throws(() => readRuntimeOptions({ [name]: value }), (err: Error & { code?: string }) => {
      assert.equal(err.code, ErrorCodes.SETTING_INVALID);
      assert.match(err.message, new RegExp(`^${name}: expected`));
      return true;
    });
  }
});

test('the defaults hold when nothing is set', async () => {
  const options = readGatewayOptions({}, await testUsers([]));
  assert.equal(options.port, 8080);
  assert.equal(options.publicUrl.href, 'http://localhost:8080/');
  assert.equal(options.mqttUrl.href, 'mqtt://127.0.0.1:1883');
});

test('npm start with PORT=0 prints the port it took, and the whole stack follows it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'modt-port-0-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const stack = await startStack({
    PORT: '0',
    MODT_BROKER_PORT: String(await freePort()),
    MODT_HISTORY_FILE: join(dir, 'history.jsonl'),
  });
  t.after(() => stack.stop());

  const printed = /MoDT is up: open (\S+) and sign in/.exec(stack.output())?.[1];
  assert.ok(printed, stack.output());
  const url = new URL(printed);
  assert.equal(url.hostname, 'localhost');
  assert.ok(Number(url.port) > 0 && url.port !== '8080', `the port printed: ${url.port}`);
  assert.doesNotMatch(stack.output(), /The gateway listens on port/);

  // Reached by address, from the page's own origin: its socket, login and redirect all work.
  const browser = new BrowserClient(`http://127.0.0.1:${url.port}/`, url.origin);
  t.after(() => browser.close());
  await browser.openLoginPage();
  await browser.openSocket();
  assert.equal((await browser.login('demo', 'demo')).status, 200);
  assert.equal((await browser.nextFrame()).url, new URL('/apps/dummy-app/', url).href);
});

test('npm start on a taken port stops with one line that says what to set', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const taken = (blocker.address() as net.AddressInfo).port;

  await assert.rejects(
    startStack({ MODT_BROKER_PORT: String(taken), PORT: String(await freePort()) }),
    /port \d+ is taken: set MODT_BROKER_PORT/,
  );
  const httpTaken = startStack({ MODT_BROKER_PORT: String(await freePort()), PORT: String(taken) });
  await assert.rejects(httpTaken, (err: Error) => {
    assert.match(err.message, /port \d+ on 127\.0\.0\.1 is taken or not ours: set PORT/);
    // Checked before a broker or unit starts: the refusal is all it says.
    assert.doesNotMatch(err.message, /unit ready|broker problem|gateway on the bus/);
    return true;
  });
});

test('npm start with 1883 taken and no MODT_BROKER_PORT runs its broker on a free port',
  async (t) => {
    // 1883 is taken here by the machine's own Mosquitto, or else by this test.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => {
      blocker.once('error', () => resolve());
      blocker.listen(1883, '127.0.0.1', resolve);
    });
    t.after(() => blocker.close());
    const dir = await mkdtemp(join(tmpdir(), 'modt-1883-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const stack = await startStack({ PORT: '0', MODT_HISTORY_FILE: join(dir, 'history.jsonl') });
    t.after(() => stack.stop());
    const bus = /The bus: mqtt:\/\/127\.0\.0\.1:(\d+) /.exec(stack.output())?.[1];
    assert.ok(bus !== undefined && bus !== '1883', stack.output());
    assert.match(stack.output(), /embedded broker on a free port/);
  });

test('npm start names the bus it runs, for modt tail', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'modt-bus-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const brokerPort = await freePort();
  const stack = await startStack({
    PORT: '0',
    MODT_BROKER_PORT: String(brokerPort),
    MODT_HISTORY_FILE: join(dir, 'history.jsonl'),
  });
  t.after(() => stack.stop());
  const bus = `mqtt://127.0.0.1:${brokerPort}`;
  // The banner's lines are written together, but may come in more than one read.
  const until = Date.now() + 5000;
  while (!stack.output().includes('History:') && Date.now() < until) await sleep(20);
  assert.match(stack.output(), new RegExp(`The bus: ${bus} \\(MODT_MQTT_URL=${bus} npm run`));
  // What the banner says is already true: every unit and the gateway are on the bus.
  const up = stack.output().indexOf('MoDT is up');
  const readyLines = stack.output().slice(0, up).match(/"msg":"unit ready"/g) ?? [];
  assert.equal(readyLines.length, 2, stack.output());
  assert.ok(stack.output().slice(0, up).includes('gateway on the bus'), stack.output());
});

test('a second gateway on the port of a running one stops with MODT_ERR_PORT_IN_USE', async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const first = await startTestGateway(broker.url);
  t.after(() => first.stop());
  const second = startTestGateway(broker.url, { port: first.port });
  await assert.rejects(second, (err: Error & { code?: string }) => {
    assert.equal(err.code, ErrorCodes.PORT_IN_USE);
    return true;
  });
});
