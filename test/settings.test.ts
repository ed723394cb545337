import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { ErrorCodes } from '../protocol/index.ts';
import { readRuntimeOptions } from '../router/index.ts';
import { readGatewayOptions } from '../gateway/index.ts';
import { freePort, startMosquitto, startStack, startTestGateway, testUsers } from './support/index.ts';

const badSettings: { env: Record<string, string>; names: string }[] = [
  { env: { PORT: 'eighty' }, names: 'PORT' },
  { env: { PORT: '70000' }, names: 'PORT' },
  { env: { MODT_PUBLIC_URL: 'localhost:8080' }, names: 'MODT_PUBLIC_URL' },
  { env: { MODT_PUBLIC_URL: 'ftp://example.test/' }, names: 'MODT_PUBLIC_URL' },
  { env: { MODT_MQTT_URL: 'http://broker:1883' }, names: 'MODT_MQTT_URL' },
  { env: { MODT_REDIRECT_ORIGINS: 'https://ok.test,javascript:x' }, names: 'MODT_REDIRECT_ORIGINS' },
  { env: { MODT_PENDING_TTL_MS: '-5' }, names: 'MODT_PENDING_TTL_MS' },
  { env: { MODT_MAX_SESSIONS: '1.5' }, names: 'MODT_MAX_SESSIONS' },
];
for (const { env, names } of badSettings) {
  test(`a bad ${names} (${Object.values(env)[0]}) stops start-up with a line naming it`, async () => {
    const users = await testUsers([]);
    assert.throws(() => readGatewayOptions(env, users), (err: Error & { code?: string }) => {
      assert.equal(err.code, ErrorCodes.SETTING_INVALID);
      assert.match(err.message, new RegExp(`^${names}: expected`));
      return true;
    });
  });
}

test('a unit refuses a bad MODT_CLIENT_ID or MODT_MAX_PACKET_BYTES by name', () => {
  for (const [name, value] of [['MODT_CLIENT_ID', 'has spaces'], ['MODT_MAX_PACKET_BYTES', '0']] as const) {
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

test('npm start on a taken port stops with one line that says what to set', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const taken = (blocker.address() as net.AddressInfo).port;

  await assert.rejects(
    startStack({ MODT_BROKER_PORT: String(taken), PORT: String(await freePort()) }),
    /port \d+ is taken: set MODT_BROKER_PORT/,
  );
  await assert.rejects(
    startStack({ MODT_BROKER_PORT: String(await freePort()), PORT: String(taken), MODT_HOST: '127.0.0.1' }),
    /port \d+ on 127\.0\.0\.1 is taken or not ours: set PORT/,
  );
});

test('a second gateway on the port of a running one stops with MODT_ERR_PORT_IN_USE', async (t) => {
  const broker = await startMosquitto();
  t.after(() => broker.stop());
  const first = await startTestGateway(broker.url);
  t.after(() => first.stop());
  await assert.rejects(startTestGateway(broker.url, { port: first.port }), (err: Error & { code?: string }) => {
    assert.equal(err.code, ErrorCodes.PORT_IN_USE);
    return true;
  });
});
