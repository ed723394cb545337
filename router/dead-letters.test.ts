import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import {
  AuthSuccess,
  DeadLetter,
  ErrorCodes,
  Topics,
  checkValue,
  modtError,
} from '../protocol/index.ts';
import {
  collect,
  connectClient,
  publishJson,
  publishRaw,
  startMosquitto,
  type Mosquitto,
} from '../test/support/index.ts';
import { DeadLetterBox, UnitRunner, defineUnit, publish } from './index.ts';

const invalid = modtError(ErrorCodes.PAYLOAD_NOT_JSON, 'payload is not strict JSON');

describe('DeadLetterBox', () => {
  test('a refused message becomes a dead letter that meets the protocol schema', () => {
    const box = new DeadLetterBox('dummy-app', { perSecond: 1, burst: 1 }, 0);
    const letter = box.letterFor(Topics.authSuccess, Buffer.from("{'a':1}"), invalid, 1000);
    assert.ok(letter);
    assert.equal(checkValue(letter, DeadLetter).ok, true);
    assert.deepEqual(
      [
        letter.unit,
        letter.topic,
        letter.code,
        letter.excerpt,
        letter.excerpt_encoding,
        letter.bytes,
      ],
      ['dummy-app', Topics.authSuccess, ErrorCodes.PAYLOAD_NOT_JSON, "{'a':1}", 'utf8', 7],
    );
    assert.equal(box.topic, 'modt/dead/dummy-app');
  });

  test('the excerpt is bounded, and bytes that are not UTF-8 come as base64', () => {
    const box = new DeadLetterBox('u', { perSecond: 10, burst: 10 }, 0);
    const long = box.letterFor('t', Buffer.from('é'.repeat(5000)), invalid, 0)!;
    assert.ok(long.excerpt.length <= 200);
    assert.doesNotMatch(long.excerpt, /\uFFFD/);
    const bytes = box.letterFor('t', Buffer.from([0xff, 0xfe, 0x00]), invalid, 0)!;
    assert.deepEqual([bytes.excerpt, bytes.excerpt_encoding], ['//4A', 'base64']);
  });

  test('past the burst, letters come at the configured rate and the rest are counted', () => {
    const box = new DeadLetterBox('u', { perSecond: 2, burst: 3 }, 0);
    const sent = (at: number) => (box.letterFor('t', Buffer.from('x'), invalid, at) ? 1 : 0);
    let letters = 0;
    for (let i = 0; i < 100; i++) letters += sent(0);
    assert.equal(letters, 3);
    assert.equal(box.suppressed, 97);
    for (let i = 0; i < 100; i++) letters += sent(1000);
    assert.equal(letters, 5, 'one second later, two more');
  });

  test('a dead letter is never made of a dead letter', () => {
    const box = new DeadLetterBox('u', { perSecond: 10, burst: 10 }, 0);
    assert.equal(box.letterFor('modt/dead/other', Buffer.from('x'), invalid, 0), null);
    assert.equal(box.suppressed, 0);
  });
});

describe('dead letters on a real broker', () => {
  let broker: Mosquitto;
  let client: MqttClient;
  before(async () => {
    broker = await startMosquitto();
    client = await connectClient(broker.url);
  });
  after(async () => {
    await client?.endAsync(true);
    await broker?.stop();
  });

  const app = defineUnit({
    name: 'letters-app',
    subscribe: { [Topics.authSuccess]: AuthSuccess },
    publishes: [Topics.appReady],
    handle: (_topic, login) => [
      publish(Topics.appReady, {
        session_id: login.session_id,
        redirect_url: 'http://x.test/',
        app_name: 'a',
      }),
    ],
  });

  test('a flood of bad input is announced on modt/dead/<unit> at a bounded rate, and valid input still flows', async (t) => {
    const runner = new UnitRunner(app, {
      mqttUrl: new URL(broker.url),
      settings: {},
      clientId: 'letters-app-test',
      deadLetters: { perSecond: 1, burst: 5 },
    });
    t.after(() => runner.stop());
    await runner.waitReady(10_000);
    const letters = await collect(client, 'modt/dead/letters-app');
    const readies = await collect(client, Topics.appReady);

    for (let i = 0; i < 200; i++) await publishRaw(client, Topics.authSuccess, `{'bad': ${i}}`);
    const login = {
      user_id: 'u',
      session_id: crypto.randomUUID(),
      role: 'user',
      timestamp: new Date().toISOString(),
    };
    await publishJson(client, Topics.authSuccess, login);

    assert.equal(
      ((await readies.nextJson()) as { session_id: string }).session_id,
      login.session_id,
    );
    assert.equal(runner.stats.dropped[ErrorCodes.PAYLOAD_NOT_JSON], 200);
    const first = (await letters.nextJson()) as DeadLetter;
    assert.deepEqual(
      [first.topic, first.code, first.excerpt],
      [Topics.authSuccess, ErrorCodes.PAYLOAD_NOT_JSON, "{'bad': 0}"],
    );
    assert.ok(
      runner.stats.deadLetters >= 5 && runner.stats.deadLetters <= 10,
      `${runner.stats.deadLetters} letters`,
    );
    assert.equal(runner.stats.deadLetters + runner.deadLetters.suppressed, 200);
  });
});
