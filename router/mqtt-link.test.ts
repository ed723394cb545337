import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AsyncQueue,
  collect,
  connectClient,
  publishRaw,
  startMosquitto,
  type Mosquitto,
} from '../test/support/index.ts';
import { MqttLink } from './index.ts';

const READY_MS = 15_000;

let broker: Mosquitto;

before(async () => {
  broker = await startMosquitto();
});

after(() => broker?.stop());

/** A link whose messages land in `received`; a handler may refuse one by throwing. */
async function openLink(
  t: TestContext,
  clientId: string,
  topic: string,
  handle: (text: string, link: MqttLink) => Promise<void> = async () => {},
) {
  const received = new AsyncQueue<string>('message');
  const link: MqttLink = new MqttLink({
    url: new URL(broker.url),
    clientId,
    subscriptions: [topic],
    async onMessage(_topic, payload) {
      received.push(payload.toString('utf8'));
      await handle(payload.toString('utf8'), link);
    },
  });
  t.after(() => link.close());
  await link.waitReady(READY_MS);
  return { link, received };
}

describe('MqttLink', { timeout: 120_000 }, () => {
  test('a message whose handling failed is delivered again at once, and the next one comes',
    async (t) => {
      const topic = `test/${randomUUID().slice(0, 8)}/in`;
      const clientId = `test-${randomUUID().slice(0, 8)}`;
      let refusals = 0;
      const refuseOnce = async (text: string) => {
        if (text === 'refused' && refusals++ === 0) throw new Error('handling failed');
      };
      const { link, received } = await openLink(t, clientId, topic, refuseOnce);
      const redelivered = new AsyncQueue<void>('redeliver');
      link.on('redeliver', () => redelivered.push());
      const client = await connectClient(broker.url);
      t.after(() => client.endAsync(true));

      await publishRaw(client, topic, 'refused');
      await publishRaw(client, topic, 'handled');
      // Left unacknowledged, the message would hold one of the broker's in-flight places
      // for good: the link reconnects, and the broker's session delivers it again.
      await redelivered.next();
      const texts = [];
      for (let i = 0; i < 3; i++) texts.push(await received.next());
      assert.deepEqual(texts.filter((x) => x === 'refused').length, 2, texts.join(', '));
      assert.ok(texts.includes('handled'), texts.join(', '));
      await sleep(100);
      await link.close();

      // Everything was acknowledged in the end: nothing comes to the session again.
      const again = await openLink(t, clientId, topic);
      await again.received.expectNothing(300);
    });

  test('a message settled before an earlier one is acknowledged only after it', async (t) => {
    const topic = `test/${randomUUID().slice(0, 8)}/in`;
    const clientId = `test-${randomUUID().slice(0, 8)}`;
    let release!: () => void;
    const firstHeld = new Promise<void>((resolve) => (release = resolve));
    const hold = (text: string) => (text === 'first' ? firstHeld : Promise.resolve());
    const { link, received } = await openLink(t, clientId, topic, hold);
    const client = await connectClient(broker.url);
    t.after(() => client.endAsync(true));

    await publishRaw(client, topic, 'first');
    await publishRaw(client, topic, 'second');
    // The second is handed over while the first is still in hand, and settles at once.
    assert.equal(await received.next(), 'first');
    assert.equal(await received.next(), 'second');
    await sleep(100);
    await link.close();
    release();

    // Neither was acknowledged: the second waited for the first, which never settled on
    // that connection.
    const again = await openLink(t, clientId, topic);
    assert.deepEqual([await again.received.next(), await again.received.next()].sort(),
      ['first', 'second']);
    await again.received.expectNothing(300);
  });

  test('a handler that throws before returning its promise fails its own message only',
    async (t) => {
      const topic = `test/${randomUUID().slice(0, 8)}/in`;
      const handled: string[] = [];
      let throwsCame = 0;
      const link = new MqttLink({
        url: new URL(broker.url),
        clientId: `test-${randomUUID().slice(0, 8)}`,
        subscriptions: [topic],
        onMessage(_topic, payload) {
          const text = payload.toString('utf8');
          if (text === 'throws' && throwsCame++ === 0) throw new Error('thrown, not rejected');
          handled.push(text);
          return Promise.resolve();
        },
      });
      t.after(() => link.close(500));
      await link.waitReady(READY_MS);
      const client = await connectClient(broker.url);
      t.after(() => client.endAsync(true));
      // Published together, so that the link hands them over in the same turn.
      await Promise.all(['a', 'throws', 'b'].map((text) => publishRaw(client, topic, text)));
      const until = Date.now() + 10_000;
      while (handled.length < 3 && Date.now() < until) await sleep(20);
      assert.deepEqual([...handled].sort(), ['a', 'b', 'throws'], handled.join(', '));
      // Left unacknowledged, it came again, and was handled then.
      assert.equal(throwsCame, 2);
    });

  /** A link with `maxInFlight: 2` whose messages settle only when the test says. */
  async function gatedLink(t: TestContext, topic: string) {
    const received = new AsyncQueue<string>('message');
    const gates = new Map<string, () => void>();
    const link = new MqttLink({
      url: new URL(broker.url),
      clientId: `test-${randomUUID().slice(0, 8)}`,
      subscriptions: [topic],
      maxInFlight: 2,
      onMessage(_topic, payload) {
        const text = payload.toString('utf8');
        received.push(text);
        return new Promise((resolve) => gates.set(text, resolve));
      },
    });
    t.after(() => link.close(500));
    await link.waitReady(READY_MS);
    const client = await connectClient(broker.url);
    t.after(() => client.endAsync(true));
    return { received, gates, client };
  }

  test('a link stops reading QoS 0 at maxInFlight unsettled and reads on as they settle',
    async (t) => {
      const topic = `test/${randomUUID().slice(0, 8)}/in`;
      const { received, gates, client } = await gatedLink(t, topic);
      for (const text of ['m1', 'm2', 'm3', 'm4']) await client.publishAsync(topic, text);
      assert.equal(await received.next(), 'm1');
      assert.equal(await received.next(), 'm2');
      await received.expectNothing(300);
      // Settling a later one frees no room: the window moves only from its oldest end.
      gates.get('m2')!();
      await received.expectNothing(300);
      gates.get('m1')!();
      assert.equal(await received.next(), 'm3');
      assert.equal(await received.next(), 'm4');
    });

  test('a link leaves QoS 1 to the broker\'s in-flight limit and stops reading only at twice ' +
    'maxInFlight', async (t) => {
      const topic = `test/${randomUUID().slice(0, 8)}/in`;
      const { received, gates, client } = await gatedLink(t, topic);
      const texts = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
      for (const text of texts) await publishRaw(client, topic, text);
      for (const text of texts.slice(0, 4)) assert.equal(await received.next(), text);
      await received.expectNothing(300);
      gates.get('m1')!();
      gates.get('m2')!();
      assert.equal(await received.next(), 'm5');
      assert.equal(await received.next(), 'm6');
    });
});
