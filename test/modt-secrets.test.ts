import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { UserStore } from '../gateway/index.ts';
import { runModt } from './support/index.ts';

const accounts = 'modt secrets makes one account per unit and the gateway';
test(`${accounts}, and keeps them when run again`, async (t) => {
  const dir = join(await mkdtemp(join(tmpdir(), 'modt-secrets-cli-')), 'secrets');
  t.after(() => rm(join(dir, '..'), { recursive: true, force: true }));

  const first = await runModt(['secrets', '--dir', dir]);
  assert.equal(first.code, 0, first.stdout);
  const admin = /admin \/ (\S+) \(shown once\)/.exec(first.stdout)?.[1];
  assert.ok(admin, first.stdout);
  const metricsToken = /gateway \/metrics token (\S+) /.exec(first.stdout)?.[1];
  assert.ok(metricsToken, first.stdout);
  for (const account of ['gateway', 'dummy-app', 'monitor']) {
    const env = await readFile(join(dir, `${account}.env`), 'utf8');
    // The gateway's alone also holds the token its /metrics answers.
    const token = account === 'gateway' ? `MODT_METRICS_TOKEN=${metricsToken}\\n` : '';
    const url = `MODT_MQTT_URL=mqtt://${account}:[\\w-]+@mosquitto:1883\\n`;
    assert.match(env, new RegExp(`^${url}${token}$`));
    assert.equal((await stat(join(dir, `${account}.env`))).mode & 0o777, 0o600);
  }
  const passwd = await readFile(join(dir, 'mosquitto.passwd'), 'utf8');
  assert.deepEqual(
    passwd
      .trim()
      .split('\n')
      .map((l) => l.split(':')[0]),
    ['gateway', 'dummy-app', 'monitor'],
  );
  assert.deepEqual(await (await UserStore.load(join(dir, 'users.json'))).check('admin', admin), {
    userId: 'admin',
    role: 'admin',
  });

  const gatewayEnv = await readFile(join(dir, 'gateway.env'), 'utf8');
  const again = await runModt(['secrets', '--dir', dir]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /new broker accounts: none/);
  assert.doesNotMatch(again.stdout, /shown once|metrics token/);
  assert.equal(await readFile(join(dir, 'gateway.env'), 'utf8'), gatewayEnv);
});

test('modt secrets gives a gateway env file made before the metrics token one, printed once',
  async (t) => {
    const dir = join(await mkdtemp(join(tmpdir(), 'modt-secrets-cli-')), 'secrets');
    t.after(() => rm(join(dir, '..'), { recursive: true, force: true }));
    const gatewayEnv = join(dir, 'gateway.env');
    assert.equal((await runModt(['secrets', '--dir', dir])).code, 0);
    const url = /^MODT_MQTT_URL=.+$/m.exec(await readFile(gatewayEnv, 'utf8'))![0];
    await writeFile(gatewayEnv, url);

    const again = await runModt(['secrets', '--dir', dir]);
    assert.equal(again.code, 0, again.stdout);
    assert.match(again.stdout, /new broker accounts: none/);
    const token = /gateway \/metrics token (\S+) /.exec(again.stdout)?.[1];
    assert.ok(token, again.stdout);
    assert.equal(await readFile(gatewayEnv, 'utf8'), `${url}\nMODT_METRICS_TOKEN=${token}\n`);

    const third = await runModt(['secrets', '--dir', dir]);
    assert.doesNotMatch(third.stdout, /metrics token/);
  });
