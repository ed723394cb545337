import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test, type TestContext } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { MqttClient } from 'mqtt';
import { ErrorCodes, type ErrorCode } from '../protocol/index.ts';
import {
  collect,
  connectClient,
  freePort,
  publishJson,
  publishRaw,
  queueEvents,
  startMosquitto,
  type AsyncQueue,
  type Collector,
  type Mosquitto,
} from '../test/support/index.ts';
import {
  UnitRunner,
  defineUnit,
  publish,
  publishPacketBytes,
  record,
  type AnyUnit,
  type Drop,
  type HistoryEntry,
  type HistoryRecord,
  type HistoryFollow,
  type HistoryStore,
  type UnitRunnerOptions,
} from './index.ts';

/** The broker's packet limit in this file, given to the runners as maxPacketBytes too. */
const PACKET_LIMIT = 4096;
const READY_MS = 15_000;

const Ping = Type.Object({
  n: Type.Integer(),
  /** How many bytes of padding the answer carries. */
  pad: Type.Optional(Type.Integer()),
  /** Where the answer goes, when not to `<prefix>/out`. */
  to: Type.Optional(Type.String()),
  fail: Type.Optional(Type.Boolean()),
});

/** A unit that answers each ping on `<prefix>/in` with its number on `<prefix>/out`. */
function echoUnit(prefix: string) {
  return defineUnit({
    name: 'echo',
    subscribe: { [`${prefix}/in`]: Ping },
    publishes: [`${prefix}/out`],
    handle(_topic, ping) {
      if (ping.fail) throw new Error('asked to fail');
      const answer = { n: ping.n, pad: 'x'.repeat(ping.pad ?? 0) };
      return [publish(ping.to ?? `${prefix}/out`, answer)];
    },
  });
}

/** A unit that answers each ping and records it: its handling awaits the history store. */
function recordingUnit(prefix: string) {
  return defineUnit({
    name: 'recorder',
    subscribe: { [`${prefix}/in`]: Ping },
    publishes: [`${prefix}/out`],
    records: true,
    handle(topic, ping, { now }) {
      const entry: HistoryRecord = {
        received_at: now.toISOString(),
        topic,
        payload: String(ping.n),
        encoding: 'utf8',
        json: true,
      };
      return [publish(`${prefix}/out`, { n: ping.n }), record(entry)];
    },
  });
}

/** A history store whose appends wait until the test releases them, logging what happens. */
class GatedStore implements HistoryStore {
  readonly location = 'memory';
  readonly records: HistoryRecord[] = [];
  readonly events: string[] = [];
  /** Resolves when the first append starts. */
  readonly appendStarted: Promise<void>;
  #started!: () => void;
  #open: Promise<void>;
  #release!: () => void;

  constructor({ open = false } = {}) {
    this.appendStarted = new Promise((resolve) => (this.#started = resolve));
    this.#open = open ? Promise.resolve() : new Promise((resolve) => (this.#release = resolve));
  }

  release(): void {
    this.#release();
  }

  async append(records: readonly HistoryRecord[]): Promise<void> {
    this.events.push('append');
    this.#started();
    await this.#open;
    this.records.push(...records);
    this.events.push('appended');
  }

  async recent(limit: number): Promise<HistoryEntry[]> {
    return this.records.slice(-limit).map((r, i) => ({ id: `0-${i}`, ...r }));
  }

  /** The runner only writes: what reads the history is not under test here. */
  async older(): Promise<HistoryEntry[]> {
    return [];
  }

  follow(): HistoryFollow {
    return { stop: async () => undefined };
  }

  async close(): Promise<void> {
    this.events.push('closed');
  }
}

let broker: Mosquitto;

before(async () => {
  broker = await startMosquitto({ extraConfig: [`max_packet_size ${PACKET_LIMIT}`] });
});

after(() => broker?.stop());

/** The runner's next `ready`: call it before whatever causes the reconnect. */
async function nextReady(runner: UnitRunner): Promise<{ sessionPresent: boolean }> {
  const [detail] = await once(runner, 'ready', { signal: AbortSignal.timeout(READY_MS) });
  return detail;
}

async function startRunner(
  t: TestContext,
  unit: AnyUnit,
  options: Partial<UnitRunnerOptions> = {},
): Promise<UnitRunner> {
  const runner = new UnitRunner(unit, {
    mqttUrl: new URL(broker.url),
    clientId: `test-${randomUUID().slice(0, 8)}`,
    settings: {},
    maxPacketBytes: PACKET_LIMIT,
    reconnectMaxMs: 500,
    ...options,
  });
  t.after(() => runner.stop());
  await runner.waitReady(READY_MS);
  return runner;
}

interface Echo {
  prefix: string;
  runner: UnitRunner;
  client: MqttClient;
  out: Collector;
  drops: AsyncQueue<Drop>;
  send(value: unknown): Promise<void>;
}

/** An echo unit on topics of its own, a test client, and the unit's outputs and drops. */
async function startEcho(t: TestContext, options: Partial<UnitRunnerOptions> = {}) {
  const prefix = `test/${randomUUID().slice(0, 8)}`;
  const runner = await startRunner(t, echoUnit(prefix), options);
  const client = await connectClient(broker.url);
  t.after(() => client.endAsync(true));
  const out = await collect(client, `${prefix}/out`);
  const drops = queueEvents<Drop>(runner, 'drop');
  const send = (value: unknown) => publishJson(client, `${prefix}/in`, value);
  return { prefix, runner, client, out, drops, send } satisfies Echo;
}

describe('UnitRunner', { timeout: 120_000 }, () => {
  test('a valid message is handled and its output published', async (t) => {
    const echo = await startEcho(t);
    await echo.send({ n: 1 });

    assert.deepEqual(await echo.out.nextJson(), { n: 1, pad: '' });
    // The subscriber can see the output before the broker's PUBACK is back at the runner.
    for (let i = 0; i < 100 && echo.runner.stats.handled === 0; i++) await sleep(20);
    assert.equal(echo.runner.stats.received, 1);
    assert.equal(echo.runner.stats.handled, 1);
    assert.equal(echo.runner.stats.published, 1);
  });

  test('handlers are called in the order messages came, and outputs go out in that order',
    async (t) => {
      const echo = await startEcho(t);
      for (let n = 0; n < 20; n++) await echo.send({ n });

      const answers = [];
      for (let n = 0; n < 20; n++) answers.push(await echo.out.nextJson());
      assert.deepEqual(answers.map((a) => (a as { n: number }).n), [...Array(20).keys()]);
    });

  test('later messages are handled while a record is being stored, and stored after it',
    async (t) => {
      const prefix = `test/${randomUUID().slice(0, 8)}`;
      const store = new GatedStore();
      const runner = await startRunner(t, recordingUnit(prefix), { store });
      const client = await connectClient(broker.url);
      t.after(() => client.endAsync(true));
      const out = await collect(client, `${prefix}/out`);

      for (let n = 1; n <= 3; n++) await publishJson(client, `${prefix}/in`, { n });
      // All three are published while the first record is still being stored ...
      for (let n = 1; n <= 3; n++) assert.deepEqual(await out.nextJson(), { n });
      await store.appendStarted;
      assert.equal(runner.stats.handled, 0);
      store.release();
      for (let i = 0; i < 100 && runner.stats.handled < 3; i++) await sleep(20);
      // ... and the records given meanwhile go into one append after it, in order.
      assert.equal(runner.stats.handled, 3);
      assert.deepEqual(store.records.map((r) => r.payload), ['1', '2', '3']);
      assert.deepEqual(store.events, ['append', 'appended', 'append', 'appended']);
    });

  const refused: [name: string, payload: string | Buffer, code: ErrorCode][] = [
    ['single quotes', "{'n': 1}", ErrorCodes.PAYLOAD_NOT_JSON],
    ['a missing key', '{"pad": 1}', ErrorCodes.PAYLOAD_INVALID],
    ['a string where a number belongs', '{"n": "1"}', ErrorCodes.PAYLOAD_INVALID],
    ['a byte-order mark', Buffer.from('\ufeff{"n": 1}', 'utf8'), ErrorCodes.PAYLOAD_BOM],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), ErrorCodes.PAYLOAD_NOT_UTF8],
    ['a lone surrogate escape', '{"n": 1, "x": "\\ud800"}', ErrorCodes.PAYLOAD_LONE_SURROGATE],
    ['a payload over maxPayloadBytes', `{"n": 1, "x": "${'y'.repeat(600)}"}`,
      ErrorCodes.PAYLOAD_TOO_LARGE],
  ];

  for (const [name, payload, code] of refused) {
    test(`a payload with ${name} is dropped as ${code} and the next one is handled`, async (t) => {
      const echo = await startEcho(t, { maxPayloadBytes: 512 });
      await publishRaw(echo.client, `${echo.prefix}/in`, payload);

      const drop = await echo.drops.next();
      assert.equal(drop.code, code);
      assert.equal(drop.topic, `${echo.prefix}/in`);
      assert.equal(drop.unit, 'echo');
      assert.equal(echo.runner.stats.dropped[code], 1);

      await echo.send({ n: 2 });
      assert.deepEqual(await echo.out.nextJson(), { n: 2, pad: '' });
      assert.equal(echo.out.all.length, 1);
    });
  }

  test('C09 a handler that throws is counted and the unit keeps working', async (t) => {
    const echo = await startEcho(t);
    await echo.send({ n: 1, fail: true });

    const drop = await echo.drops.next();
    assert.equal(drop.code, ErrorCodes.HANDLER_FAILED);
    assert.match(drop.reason, /asked to fail/);
    assert.equal(echo.runner.stats.dropped[ErrorCodes.HANDLER_FAILED], 1);

    await echo.send({ n: 2 });
    assert.deepEqual(await echo.out.nextJson(), { n: 2, pad: '' });
  });

  test('C09 a unit whose handler throws does not disturb another unit', async (t) => {
    const echo = await startEcho(t);
    const failing = defineUnit({
      name: 'failing',
      subscribe: { [`${echo.prefix}/in`]: Ping },
      publishes: [],
      handle() {
        throw new TypeError('always fails');
      },
    });
    const other = await startRunner(t, failing);
    const otherDrops = queueEvents<Drop>(other, 'drop');

    await echo.send({ n: 1 });
    assert.deepEqual(await echo.out.nextJson(), { n: 1, pad: '' });
    assert.equal((await otherDrops.next()).code, ErrorCodes.HANDLER_FAILED);

    await echo.send({ n: 2 });
    assert.deepEqual(await echo.out.nextJson(), { n: 2, pad: '' });
    assert.equal((await otherDrops.next()).code, ErrorCodes.HANDLER_FAILED);
  });

  test('C04 an output over the packet limit is refused and the connection stays up', async (t) => {
    const echo = await startEcho(t);
    const downs = queueEvents(echo.runner, 'down');
    await echo.send({ n: 1, pad: PACKET_LIMIT });

    const drop = await echo.drops.next();
    assert.equal(drop.code, ErrorCodes.OUTPUT_TOO_LARGE);
    assert.match(drop.reason, new RegExp(`packet limit ${PACKET_LIMIT}`));

    await echo.send({ n: 2 });
    assert.deepEqual(await echo.out.nextJson(), { n: 2, pad: '' });
    await downs.expectNothing(200);
    assert.equal(echo.runner.link.ready, true);
    assert.equal(echo.out.all.length, 1);
  });

  test('C04 an output of exactly the packet limit is published', async (t) => {
    const echo = await startEcho(t);
    const topic = `${echo.prefix}/out`;
    const size = (pad: number) =>
      publishPacketBytes(topic, Buffer.from(JSON.stringify({ n: 3, pad: 'x'.repeat(pad) })), 1);
    let pad = PACKET_LIMIT - size(0);
    while (size(pad) > PACKET_LIMIT) pad -= 1;
    assert.equal(size(pad), PACKET_LIMIT);

    await echo.send({ n: 3, pad });
    const answer = (await echo.out.nextJson()) as { n: number; pad: string };
    assert.equal(answer.pad.length, pad);
    await echo.drops.expectNothing(100);
  });

  const undeclared: [name: string, to: string][] = [
    ['a topic it did not declare', 'elsewhere'],
    ['a wildcard topic', '+'],
  ];

  for (const [name, suffix] of undeclared) {
    test(`an output to ${name} is refused and not published`, async (t) => {
      const echo = await startEcho(t);
      const elsewhere = await collect(echo.client, `${echo.prefix}/#`);
      await echo.send({ n: 1, to: `${echo.prefix}/${suffix}` });

      const drop = await echo.drops.next();
      assert.equal(drop.code, ErrorCodes.OUTPUT_UNDECLARED);
      assert.equal((await elsewhere.next()).topic, `${echo.prefix}/in`);
      await elsewhere.expectNothing(300);
    });
  }

  test('messages published while the unit is stopped reach it when it starts again', async (t) => {
    const prefix = `test/${randomUUID().slice(0, 8)}`;
    const clientId = `test-${randomUUID().slice(0, 8)}`;
    const first = await startRunner(t, echoUnit(prefix), { clientId });
    await first.stop();

    const client = await connectClient(broker.url);
    t.after(() => client.endAsync(true));
    const out = await collect(client, `${prefix}/out`);
    await publishJson(client, `${prefix}/in`, { n: 7 });
    await publishJson(client, `${prefix}/in`, { n: 8 });

    const again = new UnitRunner(echoUnit(prefix), {
      mqttUrl: new URL(broker.url),
      clientId,
      settings: {},
    });
    t.after(() => again.stop());
    assert.equal((await nextReady(again)).sessionPresent, true);
    assert.deepEqual(await out.nextJson(), { n: 7, pad: '' });
    assert.deepEqual(await out.nextJson(), { n: 8, pad: '' });
  });

  test('stop() finishes the message in flight and publishes its output', async (t) => {
    const prefix = `test/${randomUUID().slice(0, 8)}`;
    const clientId = `test-${randomUUID().slice(0, 8)}`;
    const store = new GatedStore();
    const runner = await startRunner(t, recordingUnit(prefix), { clientId, store });
    const client = await connectClient(broker.url);
    t.after(() => client.endAsync(true));
    const out = await collect(client, `${prefix}/out`);

    await publishJson(client, `${prefix}/in`, { n: 1 });
    await store.appendStarted;
    const stopped = runner.stop().then(() => store.events.push('stopped'));
    await publishJson(client, `${prefix}/in`, { n: 2 });
    // Time for a stop() that does not wait to resolve early, which the order below shows.
    await sleep(200);
    store.release();
    await stopped;

    assert.deepEqual(store.events, ['append', 'appended', 'closed', 'stopped']);
    assert.deepEqual(store.records.map((r) => r.payload), ['1']);
    assert.deepEqual(await out.nextJson(), { n: 1 });
    assert.equal(runner.link.ready, false);
  });

  test('a message that came while stopping goes to the next process with the session',
    async (t) => {
      const prefix = `test/${randomUUID().slice(0, 8)}`;
      const clientId = `test-${randomUUID().slice(0, 8)}`;
      const store = new GatedStore();
      const runner = await startRunner(t, recordingUnit(prefix), { clientId, store });
      const client = await connectClient(broker.url);
      t.after(() => client.endAsync(true));
      const out = await collect(client, `${prefix}/out`);

      await publishJson(client, `${prefix}/in`, { n: 1 });
      await store.appendStarted;
      const stopped = runner.stop();
      await publishJson(client, `${prefix}/in`, { n: 2 });
      store.release();
      await stopped;
      assert.deepEqual(await out.nextJson(), { n: 1 });

      // The one in flight was acknowledged and is not delivered again; the other was not.
      const next = await startRunner(t, recordingUnit(prefix), {
        clientId,
        store: new GatedStore({ open: true }),
      });
      assert.deepEqual(await out.nextJson(), { n: 2 });
      await out.expectNothing(300);
      assert.equal(next.stats.handled, 1);
    });

  const outages: [name: string, end: (broker: Mosquitto) => Promise<void>][] = [
    ['stopped', (b) => b.restart()],
    ['killed', async (b) => {
      await b.kill();
      await b.restart();
    }],
  ];

  for (const [name, outage] of outages) {
    test(`C02 a unit is subscribed again after its broker is ${name} and restarted without ` +
      'persistence, and handles the next message', async (t) => {
      const fresh = await startMosquitto();
      t.after(() => fresh.stop());
      const prefix = `test/${randomUUID().slice(0, 8)}`;
      const runner = await startRunner(t, echoUnit(prefix), { mqttUrl: new URL(fresh.url) });
      const readyAgain = nextReady(runner);

      await outage(fresh);
      assert.equal((await readyAgain).sessionPresent, false);

      const client = await connectClient(fresh.url);
      t.after(() => client.endAsync(true));
      const out = await collect(client, `${prefix}/out`);
      await publishJson(client, `${prefix}/in`, { n: 5 });
      assert.deepEqual(await out.nextJson(), { n: 5, pad: '' });
    });
  }
});

test('a broker that is away is one problem of the unit, not one of each of its connections',
  async (t) => {
    const port = await freePort();
    const runner = new UnitRunner(echoUnit('away'), {
      mqttUrl: new URL(`mqtt://127.0.0.1:${port}`),
      settings: {},
    });
    t.after(() => runner.stop());
    const problems: string[] = [];
    runner.on('problem', ({ reason }: { reason: string }) => problems.push(reason));

    // Both connections fail at once, and again within the second as they back off.
    await sleep(900);
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /ECONNREFUSED/);
  });
