import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { gatewayScene } from './support/index.ts';

const NOTICE_MS = 300;

describe('a login no app answers', () => {
  test('its page is told after the notice time, and a late answer is still pushed', async (t) => {
    const scene = await gatewayScene(t, { noAnswerNoticeMs: NOTICE_MS, answerTtlMs: 30_000 });
    const { browser, sessionId } = await scene.login();

    const started = performance.now();
    const notice = await browser.nextFrame(3000);
    const waitedMs = performance.now() - started;
    assert.equal(notice.type, 'no-answer');
    assert.deepEqual(Object.keys(notice).sort(), ['type', 'waited_ms', 'waiting']);
    assert.ok(waitedMs >= NOTICE_MS - 50, `told after ${waitedMs.toFixed(0)} ms`);
    assert.equal(scene.gateway.stats.unanswered, 1);

    const url = await scene.answer(sessionId, 'slow');
    const redirect = await browser.nextFrame();
    assert.equal(redirect.type, 'redirect');
    assert.equal(redirect.url, url);
  });

  test('a login answered in time gets its redirect and no notice', async (t) => {
    const scene = await gatewayScene(t, { noAnswerNoticeMs: NOTICE_MS });
    const { browser, sessionId } = await scene.login();
    await scene.answer(sessionId, 'quick');
    assert.equal((await browser.nextFrame()).type, 'redirect');

    await browser.expectNoFrame(NOTICE_MS * 2);
    assert.equal(scene.gateway.stats.unanswered, 0);
  });

  test('only the newest login of a browser is noticed', async (t) => {
    const scene = await gatewayScene(t, { noAnswerNoticeMs: NOTICE_MS });
    const { browser } = await scene.login();
    assert.equal((await browser.login('demo', 'demo')).status, 200);
    await scene.logins.nextJson();

    assert.equal((await browser.nextFrame(3000)).type, 'no-answer');
    await browser.expectNoFrame(NOTICE_MS * 2);
    assert.equal(scene.gateway.stats.unanswered, 1);
  });

  test('the notices are counted at /metrics', async (t) => {
    const scene = await gatewayScene(t, { noAnswerNoticeMs: NOTICE_MS });
    const { browser } = await scene.login();
    await browser.nextFrame(3000);
    const metrics = await (await fetch(`${scene.base}/metrics`)).text();
    assert.match(metrics, /^modt_gateway_unanswered_total 1$/m);
  });
});
