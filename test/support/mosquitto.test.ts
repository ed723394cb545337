import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import mqtt from 'mqtt';
import { canConnect } from './free-port.ts';
import { startMosquitto } from './mosquitto.ts';
import { collect, connectClient, publishRaw } from './mqtt-client.ts';

describe('startMosquitto', { timeout: 60_000 }, () => {
  test('C10 a root-started Mosquitto reads its password file and ACL from its own folder',
    async (t) => {
      const broker = await startMosquitto({
        allowAnonymous: false,
        users: { alice: 'wonderland' },
        acl: 'user alice\ntopic readwrite modt/#\n',
      });
      t.after(() => broker.stop());

      const alice = await connectClient(broker.url, { username: 'alice', password: 'wonderland' });
      t.after(() => alice.endAsync(true));
      const messages = await collect(alice, 'modt/#');
      await publishRaw(alice, 'modt/app/ready', 'hello');
      assert.equal((await messages.next()).payload.toString(), 'hello');
    });

  const refusals: [name: string, options: { username?: string; password?: string }][] = [
    ['an anonymous client', {}],
    ['a wrong password', { username: 'alice', password: 'guess' }],
    ['an unknown user', { username: 'mallory', password: 'wonderland' }],
  ];

  for (const [name, credentials] of refusals) {
    test(`a broker without anonymous access refuses ${name}`, async (t) => {
      const users = { alice: 'wonderland' };
      const broker = await startMosquitto({ allowAnonymous: false, users });
      t.after(() => broker.stop());

      const connecting = connectClient(broker.url, { ...credentials, reconnectPeriod: 0 });
      await assert.rejects(connecting, /Not authorized/);
    });
  }

  test('C10 a persistent Mosquitto keeps a queued message across restart()', async (t) => {
    const broker = await startMosquitto({ persistence: true });
    t.after(() => broker.stop());
    const session = { clientId: `test-${randomUUID().slice(0, 8)}`, clean: false };
    const topic = `test/${randomUUID().slice(0, 8)}`;

    const subscriber = await connectClient(broker.url, session);
    t.after(() => subscriber.endAsync(true));
    await subscriber.subscribeAsync(topic, { qos: 1 });
    await subscriber.endAsync();
    const publisher = await connectClient(broker.url);
    t.after(() => publisher.endAsync(true));
    await publishRaw(publisher, topic, 'kept');
    await publisher.endAsync();
    await broker.restart();

    // Listening before the connect: the queued message comes right after the CONNACK.
    const again = mqtt.connect(broker.url, { ...session, protocolVersion: 4 });
    t.after(() => again.endAsync(true));
    const message = await new Promise<{ topic: string; payload: Buffer }>((resolve) => {
      again.once('message', (topic, payload) => resolve({ topic, payload }));
    });
    assert.deepEqual(message, { topic, payload: Buffer.from('kept') });
  });

  const broken: [name: string, line: string, said: RegExp][] = [
    ['an unknown option', 'no_such_option true', /no_such_option/],
    ['an ACL file it cannot open', 'acl_file /nonexistent/modt-acl', /\/nonexistent\/modt-acl/],
    ['a password file it cannot open', 'password_file /nonexistent/pw', /Unable to open pwfile/],
  ];

  for (const [name, line, said] of broken) {
    test(`a Mosquitto that cannot start on ${name} fails with its own message`, async () => {
      await assert.rejects(startMosquitto({ extraConfig: [line] }), (err: Error) => {
        assert.match(err.message, /^mosquitto exited with code \d+ before listening/);
        assert.match(err.message, said);
        return true;
      });
    });
  }

  test('restart() serves on the same port and stop() frees it', async (t) => {
    const broker = await startMosquitto();
    t.after(() => broker.stop());
    const { port } = broker;
    await broker.restart();
    assert.equal(broker.port, port);
    assert.equal(await canConnect(port), true);

    await broker.stop();
    assert.equal(await canConnect(port), false);
  });
});
