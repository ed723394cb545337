import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { Topics } from '../protocol/index.ts';
import {
  connectClient,
  freePort,
  publishJson,
  publishRaw,
  runModt,
  startModt,
  startMosquitto,
  type Mosquitto,
} from './support/index.ts';

const SESSION = '6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f';
const URL_X = 'http://localhost:8080/apps/x/';
const TIMESTAMP = '2026-12-03T10:07:04Z';
const login = { user_id: 'alice', session_id: SESSION, role: 'user', timestamp: TIMESTAMP };
const ready = { session_id: SESSION, redirect_url: URL_X, app_name: 'x' };

describe('modt tail against a real Mosquitto', () => {
  let broker: Mosquitto;
  let bus: MqttClient;
  before(async () => {
    broker = await startMosquitto();
    bus = await connectClient(broker.url);
  });
  after(async () => {
    await bus?.endAsync(true);
    await broker?.stop();
  });

  /** Starts `modt tail` on the broker and resolves once it follows. */
  async function tail(args: string[]) {
    const following = startModt(['tail', ...args], { env: { MODT_MQTT_URL: broker.url } });
    await following.waitForStderr('modt tail: following');
    return following;
  }

  test('prints one line per message with its key fields, or why it would be dropped', async () => {
    const following = await tail(['--count', '4']);
    await publishJson(bus, Topics.authSuccess, login);
    await publishJson(bus, Topics.appReady, ready);
    await publishJson(bus, Topics.appReady, { session_id: SESSION, app_name: 'x' });
    await publishRaw(bus, 'modt/other/thing', "{'not': 'json'}");

    const { code, stdout, stderr } = await following.exited;
    assert.equal(code, 0, stderr);
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z {2}modt\/auth\/success +user_id=alice /);
    assert.ok(lines[0]!.includes(`session_id=${SESSION} role=user`));
    assert.match(lines[1]!, / modt\/app\/ready +session_id=\S+ app_name=x /);
    assert.ok(lines[1]!.endsWith(`redirect_url=${URL_X}`));
    assert.match(lines[2]!, / modt\/app\/ready +refused MODT_ERR_PAYLOAD_INVALID: redirect_url: /);
    assert.match(lines[3]!, / modt\/other\/thing +refused MODT_ERR_PAYLOAD_NOT_JSON: /);
  });

  test('follows only the topic filter it is given', async () => {
    const following = await tail(['modt/app/+', '--count', '1']);
    await publishJson(bus, Topics.authSuccess, login);
    await publishJson(bus, Topics.appReady, ready);
    const { stdout } = await following.exited;
    assert.match(stdout, /^\S+ {2}modt\/app\/ready /);
    assert.equal(stdout.trim().split('\n').length, 1);
  });

  test('stops on Ctrl-C with exit 0', async () => {
    const following = await tail([]);
    const { code } = await following.stop();
    assert.equal(code, 0);
  });
});

test('modt tail without a broker exits 1 and names the broker it tried', async () => {
  const url = `mqtt://127.0.0.1:${await freePort()}`;
  const result = await runModt(['tail'], { env: { MODT_MQTT_URL: url } });
  assert.equal(result.code, 1);
  const said = `MODT_ERR_BROKER_UNAVAILABLE: cannot reach the broker at ${url}`;
  assert.ok(result.stderr.includes(said), result.stderr);
});
