import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { freePort, quietUnit, startStack, unitFolderEnv } from './support/index.ts';

/** Starts the stack, which must stop: what it printed. */
async function refusedStart(env: Record<string, string>): Promise<string> {
  const error = await startStack(env).then(
    async (stack) => {
      await stack.stop();
      assert.fail(`the stack started:\n${stack.output()}`);
    },
    (err: Error) => err,
  );
  assert.match(error.message, /exited with 1/);
  return error.message;
}

describe('npm start refuses a folder of units it cannot run', { concurrency: 2 }, () => {
  test('a unit not named after its file stops it with a line naming both', async (t) => {
    // A copy of a unit under another file name: two units of one client id.
    const files = { 'echo.ts': quietUnit('echo'), 'echo-copy.ts': quietUnit('echo') };
    const env = await unitFolderEnv(t, files);
    const output = await refusedStart(env);
    const said = "echo-copy.ts: its unit is named 'echo'; a unit is named after its file";
    assert.ok(output.includes(`"reason":"${said} ('echo-copy')"`), output);
    assert.doesNotMatch(output, /unit ready/, 'no unit connected');
  });

  test('a unit file that throws as it loads stops it with a line naming the file', async (t) => {
    const broken = 'throw new Error("no config");\n';
    const files = { 'a-unit.ts': quietUnit('a-unit'), 'broken.ts': broken };
    const output = await refusedStart(await unitFolderEnv(t, files));
    assert.match(output, /"reason":"broken.ts: no config"/);
    assert.match(output, /"code":"MODT_ERR_UNIT_INVALID"/);
    assert.doesNotMatch(output, /unit ready/, 'no unit connected before the folder was read');
  });

  test('a unit whose filter the broker would refuse stops it with a line naming the file',
    async (t) => {
      const bad = quietUnit('bad-filter').replace("'modt/test/bad-filter'", "'modt/#/bad'");
      const files = { 'a-unit.ts': quietUnit('a-unit'), 'bad-filter.ts': bad };
      const output = await refusedStart(await unitFolderEnv(t, files));
      assert.match(output, /"code":"MODT_ERR_UNIT_INVALID"/);
      const said = "bad-filter.ts: subscribe: 'modt/#/bad' is no MQTT topic filter";
      assert.ok(output.includes(`"reason":"${said}"`), output);
      assert.doesNotMatch(output, /unit ready/, 'no unit connected');
    });

  test('a MODT_CLIENT_ID that its units would share stops it with a line naming it', async (t) => {
    const env = await unitFolderEnv(t, { 'one.ts': quietUnit('one'), 'two.ts': quietUnit('two') });
    const output = await refusedStart({ ...env, MODT_CLIENT_ID: 'mine' });
    assert.match(output, /"code":"MODT_ERR_SETTING_INVALID","reason":"MODT_CLIENT_ID: /);
  });

  test("a MODT_GATEWAY_CLIENT_ID that is a unit's client id stops it naming both", async (t) => {
    const env = await unitFolderEnv(t, { 'one.ts': quietUnit('one') });
    const output = await refusedStart({ ...env, MODT_GATEWAY_CLIENT_ID: 'modt-one-out' });
    const said = "MODT_GATEWAY_CLIENT_ID: 'modt-one-out' is the client id of the unit one";
    assert.ok(output.includes(`"reason":"${said}"`), output);
  });
});

test('npm start with a broker that cannot be reached says so in its banner', async (t) => {
  const env = await unitFolderEnv(t, { 'one.ts': quietUnit('one') });
  const away = `mqtt://127.0.0.1:${await freePort()}`;
  const stack = await startStack({ ...env, MODT_MQTT_URL: away }, 25_000);
  t.after(() => stack.stop());
  assert.match(stack.output(), /"code":"MODT_ERR_BROKER_UNAVAILABLE","reason":"ECONNREFUSED/);
  const banner = stack.output().slice(stack.output().indexOf('MoDT is up'));
  const said = `The bus: ${away} not connected yet (MODT_MQTT_URL; the lines above say why)`;
  assert.ok(banner.includes(said), banner);
  assert.doesNotMatch(banner, /npm run modt -- tail/);
});

test('npm start on a folder with no unit says in its banner that no app will answer', async (t) => {
  const env = await unitFolderEnv(t, {});
  const stack = await startStack(env);
  t.after(() => stack.stop());
  const said = `No units in ${env.MODT_FUNCTIONS_DIR}: no app will answer a login`;
  assert.ok(stack.output().includes(said), stack.output());
});

test('npm start, sent SIGTERM, says it stopped once every part has, and exits 0', async (t) => {
  const stack = await startStack(await unitFolderEnv(t, { 'one.ts': quietUnit('one') }));
  assert.equal(await stack.stop(), 0);
  const output = stack.output();
  assert.match(output, /"signal":"SIGTERM","msg":"stack stopping"/);
  assert.match(output.slice(output.indexOf('stack stopping')), /"msg":"stack stopped"/);
});
