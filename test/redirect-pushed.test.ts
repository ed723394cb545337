import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RedirectPushed, Topics, decodePayload } from '../protocol/index.ts';
import { collect, gatewayScene } from './support/index.ts';

describe('the gateway announces each redirect it pushes on modt/gateway/pushed', () => {
  test('a pushed redirect is announced once, valid, with its latency from the login',
    async (t) => {
      const scene = await gatewayScene(t);
      const announced = await collect(scene.bus, Topics.redirectPushed);
      const { browser, sessionId } = await scene.login();

      const url = await scene.answer(sessionId, 'dummy-app');
      assert.equal((await browser.nextFrame()).url, url);
      const message = await announced.next();
      const pushed = decodePayload(message.payload, RedirectPushed, 64 * 1024);
      assert.ok(pushed.ok, JSON.stringify(pushed));
      assert.equal(pushed.value.session_id, sessionId);
      assert.equal(pushed.value.app_name, 'dummy-app');
      assert.equal(pushed.value.redirect_url, url);
      assert.ok(pushed.value.latency_ms >= 0 && pushed.value.latency_ms < 5000);

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
      const pushed = JSON.parse((await announced.next()).payload.toString('utf8'));
      assert.equal(pushed.session_id, sessionId);
    });
});
