import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { MqttClient } from 'mqtt';
import { ErrorCodes, Topics } from '../protocol/index.ts';
import type { Gateway, GatewayOptions, GatewayRefusal } from '../gateway/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  startMosquitto,
  startTestGateway,
  type Collector,
  type Mosquitto,
} from './support/index.ts';

const THROTTLED = {
  ok: false,
  code: ErrorCodes.LOGIN_THROTTLED,
  error: 'too many login attempts, try again later',
};

/** A browser that has opened the login page, so it holds a cookie and the form's token. */
async function browserAt(gateway: Gateway): Promise<BrowserClient> {
  const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
  await browser.openLoginPage();
  return browser;
}

describe('the login form carries a token of its session (CSRF)', () => {
  let broker: Mosquitto;
  let gateway: Gateway;
  let bus: MqttClient;
  let logins: Collector;

  before(async () => {
    broker = await startMosquitto();
    gateway = await startTestGateway(broker.url);
    bus = await connectClient(broker.url);
    logins = await collect(bus, Topics.authSuccess);
  });
  after(async () => {
    await bus?.endAsync(true);
    await gateway?.stop();
    await broker?.stop();
  });

  test('the login page holds its session token in a hidden field of the form', async () => {
    const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    const page = await (await browser.openLoginPage()).text();
    assert.match(browser.csrf, /^[A-Za-z0-9_-]{43}$/);
    assert.match(page, /<form id="login"[^>]*>\s*<input type="hidden" name="csrf" value="/);
    const again = await (await browser.openLoginPage()).text();
    assert.ok(again.includes(`value="${browser.csrf}"`), 'the same session keeps its token');
  });

  type Forge = (browser: BrowserClient, other: BrowserClient) => string;
  const forged: { name: string; csrf: Forge }[] = [
    { name: 'without a token', csrf: () => '' },
    { name: 'with the token of another session', csrf: (_, other) => other.csrf },
    { name: 'with its token altered', csrf: (browser) => `${browser.csrf.slice(0, -1)}x` },
  ];
  for (const { name, csrf } of forged) {
    test(`a login ${name} is refused with 403 before the password is checked`, async () => {
      const [browser, other] = [await browserAt(gateway), await browserAt(gateway)];
      const refused = gateway.stats.refused[ErrorCodes.LOGIN_TOKEN_INVALID] ?? 0;
      const failures = gateway.stats.loginFailures;
      const event = once(gateway, 'refused');

      const fields = { username: 'demo', password: 'demo' };
      const token = csrf(browser, other);
      const answer = await browser.postLogin(token === '' ? fields : { ...fields, csrf: token });
      assert.equal(answer.status, 403);
      assert.equal(answer.body.code, ErrorCodes.LOGIN_TOKEN_INVALID);
      assert.match(String(answer.body.error), /token is missing or wrong: reload the login page/);
      const [detail] = (await event) as [GatewayRefusal];
      assert.equal(detail.code, ErrorCodes.LOGIN_TOKEN_INVALID);
      assert.equal(gateway.stats.refused[ErrorCodes.LOGIN_TOKEN_INVALID], refused + 1);
      assert.equal(gateway.stats.loginFailures, failures, 'no credentials were checked');
      await logins.expectNothing(300);
    });
  }

  test('a login with its own token is accepted', async () => {
    const browser = await browserAt(gateway);
    assert.equal((await browser.login('demo', 'demo')).status, 200);
    await logins.nextJson();
  });

  test('a login with its token from a foreign Origin is still refused', async () => {
    const browser = await browserAt(gateway);
    const fields = { csrf: browser.csrf, username: 'demo', password: 'demo' };
    const answer = await browser.postLogin(fields, { origin: 'https://evil.example' });
    assert.equal(answer.status, 403);
    const expected = `http://127.0.0.1:${gateway.port}/`;
    assert.equal(answer.body.error, `login from a foreign origin: open the page at ${expected}`);
    assert.equal(answer.body.code, ErrorCodes.ORIGIN_NOT_ALLOWED);
    await logins.expectNothing(300);
  });

  type Attempt = (browser: BrowserClient) => Promise<{ status: number; body: object }>;
  const refusals: { name: string; attempt: Attempt; status: number; code: string }[] = [
    {
      name: 'a wrong password',
      attempt: (browser) => browser.login('demo', 'nope'),
      status: 401,
      code: ErrorCodes.LOGIN_FAILED,
    },
    {
      name: 'an unknown user',
      attempt: (browser) => browser.login('nobody', 'demo'),
      status: 401,
      code: ErrorCodes.LOGIN_FAILED,
    },
    {
      name: 'a form without a password',
      attempt: (browser) => browser.postLogin({ csrf: browser.csrf, username: 'demo' }),
      status: 401,
      code: ErrorCodes.LOGIN_FAILED,
    },
    {
      name: 'a browser that never opened the login page',
      attempt: (browser) => {
        browser.cookie = '';
        return browser.login('demo', 'demo');
      },
      status: 401,
      code: ErrorCodes.SESSION_MISSING,
    },
    {
      name: 'a body over 4 KiB',
      attempt: (browser) => browser.postLogin({ csrf: browser.csrf, pad: 'x'.repeat(5000) }),
      status: 413,
      code: ErrorCodes.PAYLOAD_TOO_LARGE,
    },
  ];
  for (const { name, attempt, status, code } of refusals) {
    test(`${name} is answered ${status} with the code ${code}`, async () => {
      const answer = await attempt(await browserAt(gateway));
      assert.equal(answer.status, status);
      assert.equal((answer.body as { code?: string }).code, code);
      assert.equal(typeof (answer.body as { error?: string }).error, 'string');
      await logins.expectNothing(100);
    });
  }
});

describe('login attempts are bounded per client address and per username', () => {
  let broker: Mosquitto;
  let bus: MqttClient;
  let logins: Collector;

  before(async () => {
    broker = await startMosquitto();
    bus = await connectClient(broker.url);
    logins = await collect(bus, Topics.authSuccess);
  });
  after(async () => {
    await bus?.endAsync(true);
    await broker?.stop();
  });

  /** A gateway of its own for one test, with small limits and a clock the test moves. */
  async function limitedGateway(t: TestContext, overrides: Partial<GatewayOptions> = {}) {
    const clock = { now: Date.now() };
    const gateway = await startTestGateway(broker.url, {
      loginMaxPerIp: 5,
      loginMaxPerUser: 3,
      loginWindowMs: 60_000,
      clock: () => clock.now,
      ...overrides,
    });
    t.after(() => gateway.stop());
    return { gateway, clock };
  }

  test('a username past its attempts gets 429 and Retry-After, right one or not', async (t) => {
    const { gateway } = await limitedGateway(t);
    const browser = await browserAt(gateway);
    for (let i = 0; i < 3; i += 1) assert.equal((await browser.login('demo', 'nope')).status, 401);

    const answer = await browser.login('demo', 'demo');
    assert.equal(answer.status, 429);
    assert.deepEqual(answer.body, THROTTLED);
    const retryAfter = Number(answer.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `${retryAfter}`);
    assert.equal(gateway.stats.refused[ErrorCodes.LOGIN_THROTTLED], 1);
    await logins.expectNothing(300);
  });

  test('an unknown user and a wrong password use up their limits alike', async (t) => {
    const { gateway } = await limitedGateway(t, { loginMaxPerIp: 100 });
    const browser = await browserAt(gateway);
    const answers = async (username: string) => {
      const seen = [];
      for (let i = 0; i < 4; i += 1) {
        const { status, body } = await browser.login(username, 'nope');
        seen.push({ status, body });
      }
      return seen;
    };
    const wrong = await answers('demo');
    assert.deepEqual(wrong.map((a) => a.status), [401, 401, 401, 429]);
    assert.deepEqual(await answers('nobody'), wrong);
  });

  test('an address past its attempts is refused for any username and session', async (t) => {
    const { gateway } = await limitedGateway(t);
    for (const username of ['a', 'b', 'c', 'd', 'e']) {
      const browser = await browserAt(gateway);
      assert.equal((await browser.login(username, 'nope')).status, 401);
    }
    const fresh = await browserAt(gateway);
    assert.deepEqual((await fresh.login('demo', 'demo')).body, THROTTLED);
  });

  test('once the window ends the username may try again', async (t) => {
    const { gateway, clock } = await limitedGateway(t, { loginWindowMs: 30_000 });
    const browser = await browserAt(gateway);
    for (let i = 0; i < 3; i += 1) await browser.login('demo', 'nope');
    assert.equal((await browser.login('demo', 'demo')).status, 429);

    clock.now += 30_000;
    const answer = await browser.login('demo', 'demo');
    assert.equal(answer.status, 200);
    await logins.nextJson();
  });

  test('logins that succeed do not use up the limits', async (t) => {
    const { gateway } = await limitedGateway(t);
    const browser = await browserAt(gateway);
    for (let i = 0; i < 6; i += 1) {
      assert.equal((await browser.login('demo', 'demo')).status, 200, `login ${i + 1}`);
      await logins.nextJson();
    }
  });

  test('X-Forwarded-For from a trusted proxy gives each client its own limit', async (t) => {
    const { gateway } = await limitedGateway(t, {
      trustedProxies: ['127.0.0.1'],
      loginMaxPerIp: 2,
      loginMaxPerUser: 100,
    });
    const browser = await browserAt(gateway);
    const from = (address: string) => {
      const fields = { csrf: browser.csrf, username: 'demo', password: 'nope' };
      return browser.postLogin(fields, { 'x-forwarded-for': `198.51.100.1, ${address}` });
    };
    assert.equal((await from('203.0.113.1')).status, 401);
    assert.equal((await from('203.0.113.1')).status, 401);
    const event = once(gateway, 'refused');
    assert.equal((await from('203.0.113.1')).status, 429);
    assert.equal(((await event) as [GatewayRefusal])[0].address, '203.0.113.1');
    assert.equal((await from('203.0.113.2')).status, 401);
  });

  test('X-Forwarded-For from a peer that is no trusted proxy is ignored', async (t) => {
    const { gateway } = await limitedGateway(t, { loginMaxPerIp: 2, loginMaxPerUser: 100 });
    const browser = await browserAt(gateway);
    const statuses = [];
    for (const address of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) {
      const fields = { csrf: browser.csrf, username: 'demo', password: 'nope' };
      const answer = await browser.postLogin(fields, { 'x-forwarded-for': address });
      statuses.push(answer.status);
    }
    assert.deepEqual(statuses, [401, 401, 429]);
  });
});
