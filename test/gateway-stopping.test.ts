import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, test } from 'node:test';
import { ErrorCodes } from '../protocol/index.ts';
import { gatewayScene } from './support/index.ts';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on `agent`, whose single kept-alive connection the next request reuses. */
function request(agent: http.Agent, url: string, options: http.RequestOptions = {}, body = '') {
  return new Promise<Answer>((resolve, reject) => {
    const req = http.request(url, { agent, ...options }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

describe('a gateway that stops taking logins', () => {
  test('refuses new connections and answers a login on an open one 503', async (t) => {
    const scene = await gatewayScene(t);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    t.after(() => agent.destroy());
    const page = await request(agent, `${scene.base}/`);
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    const csrf = /name="csrf" value="([^"]*)"/.exec(page.body)![1]!;

    scene.gateway.stopTaking();
    await assert.rejects(fetch(`${scene.base}/healthz`), 'no new connection is taken');

    const form = new URLSearchParams({ csrf, username: 'demo', password: 'demo' }).toString();
    const headers = { cookie, 'content-type': 'application/x-www-form-urlencoded' };
    const login = await request(agent, `${scene.base}/login`, { method: 'POST', headers }, form);
    assert.equal(login.status, 503);
    assert.equal(JSON.parse(login.body).code, ErrorCodes.GATEWAY_STOPPING);
    await scene.logins.expectNothing(300);
  });

  test('still pushes the answer to a login made before to its open socket', async (t) => {
    const scene = await gatewayScene(t);
    const { browser, sessionId } = await scene.login();

    scene.gateway.stopTaking();
    const url = await scene.answer(sessionId, 'finishing');
    assert.equal((await browser.nextFrame()).url, url);
  });
});
