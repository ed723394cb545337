import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import WebSocket from 'ws';
import type { Gateway, GatewayOptions } from '../gateway/index.ts';
import {
  BrowserClient,
  startMosquitto,
  startTestGateway,
  type Mosquitto,
} from './support/index.ts';

/** The login page's policy: scripts, styles and connections from the gateway itself only. */
const LOGIN_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

describe('the headers of every response', () => {
  let broker: Mosquitto;
  let gateway: Gateway;
  const base = () => `http://127.0.0.1:${gateway.port}`;

  before(async () => {
    broker = await startMosquitto();
    gateway = await startTestGateway(broker.url);
  });
  after(async () => {
    await gateway?.stop();
    await broker?.stop();
  });

  const requests: { name: string; status: number; send: () => Promise<Response> }[] = [
    { name: 'the login page', status: 200, send: () => fetch(`${base()}/`) },
    { name: 'the health check (JSON)', status: 200, send: () => fetch(`${base()}/healthz`) },
    { name: 'the page script', status: 200, send: () => fetch(`${base()}/assets/login.js`) },
    { name: 'the style sheet', status: 200, send: () => fetch(`${base()}/assets/style.css`) },
    { name: 'an unknown path (404)', status: 404, send: () => fetch(`${base()}/nothing`) },
    { name: 'an app page for nobody (404)', status: 404, send: () => fetch(`${base()}/apps/x/`) },
    {
      name: 'a login without a session (JSON 401)',
      status: 401,
      send: () => fetch(`${base()}/login`, { method: 'POST', body: 'username=a&password=b' }),
    },
    {
      name: 'a refused socket upgrade (403)',
      status: 403,
      send: () => refusedUpgrade(`${base()}/ws`, 'https://evil.example'),
    },
  ];
  for (const { name, status, send } of requests) {
    test(`${name} carries nosniff and a same-origin referrer policy`, async () => {
      const response = await send();
      assert.equal(response.status, status);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('referrer-policy'), 'same-origin');
    });
  }

  test('the login page forbids inline scripts, framing and foreign connections', async () => {
    const response = await fetch(`${base()}/`);
    assert.equal(response.headers.get('content-security-policy'), LOGIN_CSP);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.doesNotMatch(await response.text(), /<script>/, 'the script is a file, not inline');
  });

  test('a JSON answer may not be framed or run anything', async () => {
    const response = await fetch(`${base()}/healthz`);
    const policy = "default-src 'none'; frame-ancestors 'none'";
    assert.equal(response.headers.get('content-security-policy'), policy);
  });
});

describe('the session cookie is Secure whenever the browser comes over https', () => {
  let broker: Mosquitto;
  before(async () => (broker = await startMosquitto()));
  after(() => broker?.stop());

  async function gatewayWith(t: TestContext, overrides: Partial<GatewayOptions>) {
    const gateway = await startTestGateway(broker.url, overrides);
    t.after(() => gateway.stop());
    return gateway;
  }

  async function cookieOf(gateway: Gateway, headers: Record<string, string> = {}) {
    const response = await fetch(`http://127.0.0.1:${gateway.port}/`, { headers });
    return response.headers.get('set-cookie') ?? '';
  }

  test('on an http public URL the cookie is HttpOnly, SameSite=Strict, not Secure', async (t) => {
    const gateway = await gatewayWith(t, {});
    const cookie = await cookieOf(gateway);
    assert.match(cookie, /; HttpOnly; SameSite=Strict$/);
    assert.doesNotMatch(cookie, /Secure/);
  });

  test('on an https public URL the cookie is Secure, at the page and at login', async (t) => {
    const publicUrl = new URL('https://gateway.test/');
    const gateway = await gatewayWith(t, { publicUrl });
    const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`, publicUrl.origin);
    const page = await browser.openLoginPage();
    assert.match(page.headers.get('set-cookie') ?? '', /; HttpOnly; SameSite=Strict; Secure$/);

    const answer = await browser.login('demo', 'demo');
    assert.equal(answer.status, 200);
    assert.match(answer.headers.get('set-cookie') ?? '', /; Secure$/);
  });

  const forwarded: { name: string; trustedProxies: string[]; secure: boolean }[] = [
    { name: 'a trusted proxy makes it Secure', trustedProxies: ['127.0.0.1'], secure: true },
    { name: 'a peer when none is trusted is ignored', trustedProxies: [], secure: false },
    {
      name: 'a peer outside the trusted range is ignored',
      trustedProxies: ['10.0.0.0/8'],
      secure: false,
    },
  ];
  for (const { name, trustedProxies, secure } of forwarded) {
    test(`X-Forwarded-Proto: https from ${name}`, async (t) => {
      const gateway = await gatewayWith(t, { trustedProxies });
      const cookie = await cookieOf(gateway, { 'x-forwarded-proto': 'https' });
      assert.equal(/; Secure$/.test(cookie), secure, cookie);
    });
  }
});

/** A WebSocket upgrade the gateway refuses, answered as a plain HTTP response. */
function refusedUpgrade(url: string, origin: string): Promise<Response> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers: { origin } });
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_request, response) => {
      const headers = new Headers();
      for (const [key, value] of Object.entries(response.headers)) headers.set(key, String(value));
      resolve(new Response(null, { status: response.statusCode, headers }));
      response.destroy();
    });
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('error', reject);
  });
}
