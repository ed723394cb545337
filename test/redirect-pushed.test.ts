import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { RedirectPushed, Topics, decodePayload, type PushedRedirect } from '../protocol/index.ts';
import {
  collect,
  gatewayScene,
  type BrowserClient,
  type GatewayScene,
} from './support/index.ts';

/** The pushes an announcement names, checked against the schema. */
function pushesOf(payload: Buffer): PushedRedirect[] {
  const pushed = decodePayload(payload, RedirectPushed, 64 * 1024);
  assert.ok(pushed.ok, JSON.stringify(pushed));
  return pushed.value.pushes;
}

/** `count` browsers logged in, one after another. */
async function loginsOf(scene: GatewayScene, count: number) {
  const logins = [];
  for (let i = 0; i < count; i++) logins.push(await scene.login());
  return logins;
}

/**
 * Publishes a ready to `url` for each login back to back, without waiting for each, and
 * waits for every browser's redirect.
 */
async function answerAll(
  bus: MqttClient,
  logins: { browser: BrowserClient; sessionId: string }[],
  url: string,
): Promise<void> {
  await Promise.all(logins.map(({ sessionId }) => bus.publishAsync(
    Topics.appReady,
    JSON.stringify({ session_id: sessionId, redirect_url: url, app_name: 'dummy-app' }),
    { qos: 1 },
  )));
  for (const { browser } of logins) assert.equal((await browser.nextFrame()).url, url);
}

describe('the gateway announces each redirect it pushes on modt/gateway/pushed', () => {
  test('a pushed redirect is announced once, valid, with its latency from the login',
    async (t) => {
      const scene = await gatewayScene(t);
      const announced = await collect(scene.bus, Topics.redirectPushed);
      const { browser, sessionId } = await scene.login();

      const url = await scene.answer(sessionId, 'dummy-app');
      assert.equal((await browser.nextFrame()).url, url);
      const pushes = pushesOf((await announced.next()).payload);
      assert.equal(pushes.length, 1);
      const [push] = pushes;
      assert.equal(push!.session_id, sessionId);
      assert.equal(push!.app_name, 'dummy-app');
      assert.equal(push!.redirect_url, url);
      assert.ok(push!.latency_ms >= 0 && push!.latency_ms < 5000);

      await scene.answer(sessionId, 'second-app');
      await announced.expectNothing(300);
    });

  test('a redirect held for a socket is announced when the socket opens, not before',
    async (t) => {
      const scene = await gatewayScene(t);
      const announced = await collect(scene.bus, Topics.redirectPushed);
      const { browser, socket, sessionId } = await scene.login();
      socket.close();
      await browser.closeOf(socket);

      await scene.answer(sessionId, 'dummy-app');
      await announced.expectNothing(300);
      await browser.openSocket();
      const pushes = pushesOf((await announced.next()).payload);
      assert.deepEqual(pushes.map((p) => p.session_id), [sessionId]);
    });

  test('pushes that come together are announced together, each once, none lost',
    async (t) => {
      const scene = await gatewayScene(t);
      const announced = await collect(scene.bus, Topics.redirectPushed);
      const logins = await loginsOf(scene, 30);
      const url = `${scene.base}/apps/dummy-app/`;
      // Published back to back: the broker hands the gateway several in one read, and what
      // it pushes within 10 ms goes out in one message.
      await answerAll(scene.bus, logins, url);

      const named: string[] = [];
      let messages = 0;
      while (named.length < logins.length) {
        named.push(...pushesOf((await announced.next()).payload).map((p) => p.session_id));
        messages += 1;
      }
      await announced.expectNothing(300);
      assert.deepEqual(named.sort(), logins.map((l) => l.sessionId).sort());
      assert.ok(messages < logins.length, `${messages} messages for ${logins.length} pushes`);
    });

  test('an announcement stays under 24 KiB of JSON even where each character is escaped',
    async (t) => {
      const scene = await gatewayScene(t);
      const announced = await collect(scene.bus, Topics.redirectPushed);
      const logins = await loginsOf(scene, 12);
      // A control character is valid in a redirect_url's path, and JSON writes it as \u0000:
      // six bytes for one UTF-16 unit.
      const url = `${scene.base}/apps/dummy-app/${'\u0000'.repeat(1000)}`;
      await answerAll(scene.bus, logins, url);

      const named: string[] = [];
      while (named.length < logins.length) {
        const { payload } = await announced.next();
        assert.ok(payload.length <= 24 * 1024, `an announcement of ${payload.length} bytes`);
        named.push(...pushesOf(payload).map((p) => p.session_id));
      }
      assert.deepEqual(named.sort(), logins.map((l) => l.sessionId).sort());
    });
});
