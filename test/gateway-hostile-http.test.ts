import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { ErrorCodes, Topics, appDisplayTopic, type ErrorCode } from '../protocol/index.ts';
import type { Gateway } from '../gateway/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  publishJson,
  startMosquitto,
  startTestGateway,
  testUsers,
  type Collector,
  type Mosquitto,
} from './support/index.ts';
import type { MqttClient } from 'mqtt';

describe('a login form the gateway cannot read is refused for what it is', () => {
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

  async function browser(): Promise<BrowserClient> {
    const client = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    await client.openLoginPage();
    return client;
  }

  /** POSTs `body` as it is, with the browser's cookie and Origin and this Content-Type. */
  async function post(client: BrowserClient, type: string | undefined, body: string) {
    const headers: Record<string, string> = { cookie: client.cookie, origin: client.origin };
    if (type !== undefined) headers['content-type'] = type;
    const response = await fetch(new URL('/login', client.base), {
      method: 'POST',
      headers,
      body: Buffer.from(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  test('a form whose Content-Type is in capitals logs in (media types ignore case)', async () => {
    const client = await browser();
    const form = `csrf=${client.csrf}&username=demo&password=demo`;
    const answer = await post(client, 'Application/X-WWW-Form-Urlencoded; Charset=UTF-8', form);
    assert.equal(answer.status, 200);
    await logins.next();
  });

  const refusals: {
    name: string;
    type: string | undefined;
    body: (csrf: string) => string;
    status: number;
    code: ErrorCode;
  }[] = [
    {
      name: 'a form sent as text/plain',
      type: 'text/plain',
      body: (csrf) => `csrf=${csrf}&username=demo&password=demo`,
      status: 415,
      code: ErrorCodes.PAYLOAD_INVALID,
    },
    {
      name: 'a form without a Content-Type',
      type: undefined,
      body: (csrf) => `csrf=${csrf}&username=demo&password=demo`,
      status: 415,
      code: ErrorCodes.PAYLOAD_INVALID,
    },
    {
      name: 'a JSON form cut short',
      type: 'application/json',
      body: (csrf) => `{"csrf":"${csrf}","username":"de`,
      status: 400,
      code: ErrorCodes.PAYLOAD_NOT_JSON,
    },
    {
      name: 'a JSON form that is an array',
      type: 'application/json',
      body: (csrf) => JSON.stringify([csrf, 'demo', 'demo']),
      status: 400,
      code: ErrorCodes.PAYLOAD_INVALID,
    },
  ];
  for (const { name, type, body, status, code } of refusals) {
    test(`${name} is answered ${status} with ${code}, counted, and logs no one in`, async () => {
      const client = await browser();
      const counted = gateway.stats.refused[code] ?? 0;
      const answer = await post(client, type, body(client.csrf));
      assert.equal(answer.status, status);
      assert.equal(answer.body.code, code);
      assert.match(String(answer.body.error), /login form/);
      assert.equal(gateway.stats.refused[code], counted + 1);
      await logins.expectNothing(200);
    });
  }
});

/** Writes `requests` on one connection and reads until the gateway has been quiet 300 ms. */
function exchange(port: number, requests: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let quiet: NodeJS.Timeout | undefined;
    const done = () => {
      socket.destroy();
      resolve(received);
    };
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      clearTimeout(quiet);
      quiet = setTimeout(done, 300);
    });
    socket.once('error', reject);
    socket.write(requests);
  });
}

describe('methods the gateway does not serve', () => {
  let broker: Mosquitto;
  let gateway: Gateway;

  before(async () => {
    broker = await startMosquitto();
    gateway = await startTestGateway(broker.url);
  });
  after(async () => {
    await gateway?.stop();
    await broker?.stop();
  });

  test('a HEAD is answered without a body, so the next answer on its connection reads whole',
    async () => {
      const head = 'HEAD /nothing-here HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
      const get = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
      const received = await exchange(gateway.port, head + get);
      const first = received.indexOf('\r\n\r\n');
      assert.match(received, /^HTTP\/1\.1 404 /);
      assert.match(received.slice(first + 4), /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(received, /"status":"ok"/);
    });

  const served = [
    '/',
    '/healthz',
    '/metrics',
    '/assets/login.js',
    '/assets/style.css',
    '/apps/notes/',
    '/monitor',
    '/monitor/history',
    '/assets/monitor.js',
  ];
  for (const path of served) {
    test(`a HEAD of ${path} is answered with its GET's status and type, and no body`,
      async () => {
        const get = await fetch(`http://127.0.0.1:${gateway.port}${path}`, { redirect: 'manual' });
        const head = 'HEAD ' + path + ' HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
        const next = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
        const received = await exchange(gateway.port, head + next);
        const end = received.indexOf('\r\n\r\n');
        const status = received.slice(0, received.indexOf('\r\n'));
        assert.equal(status, `HTTP/1.1 ${get.status} ${get.statusText}`);
        const type = /\r\ncontent-type: ([^\r]*)\r\n/i.exec(received.slice(0, end))?.[1] ?? null;
        assert.equal(type, get.headers.get('content-type'));
        assert.match(received.slice(end + 4), /^HTTP\/1\.1 200 OK\r\n/, 'no body after it');
      });
  }
});

describe('a stale modt_sid sent before the live one hides nothing', () => {
  let broker: Mosquitto;
  let gateway: Gateway;
  let bus: MqttClient;
  let logins: Collector;
  let base: string;

  before(async () => {
    broker = await startMosquitto();
    const users = await testUsers([
      { username: 'demo', password: 'demo', role: 'user' },
      { username: 'root', password: 'root', role: 'admin' },
    ]);
    gateway = await startTestGateway(broker.url, { users });
    base = `http://127.0.0.1:${gateway.port}`;
    bus = await connectClient(broker.url);
    logins = await collect(bus, Topics.authSuccess);
  });
  after(async () => {
    await bus?.endAsync(true);
    await gateway?.stop();
    await broker?.stop();
  });

  /** A browser whose every request carries a stale cookie of the same name first. */
  async function withStaleCookie(): Promise<BrowserClient> {
    const client = new BrowserClient(`${base}/`);
    await client.openLoginPage();
    client.cookie = `modt_sid=stale-from-another-path; ${client.cookie}`;
    return client;
  }

  /** The status of a socket's upgrade at `path`, 101 when it opened. */
  function upgrade(path: string, cookie: string): Promise<number> {
    const url = `${base.replace('http', 'ws')}${path}`;
    const socket = new WebSocket(url, { headers: { cookie, origin: base } });
    return new Promise((resolve, reject) => {
      socket.once('open', () => {
        socket.terminate();
        resolve(101);
      });
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('error', reject);
    });
  }

  test('the login page keeps the session and its form token: no new cookie', async () => {
    const client = await withStaleCookie();
    const csrf = client.csrf;
    const page = await client.get(`${base}/`);
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('set-cookie'), null);
    assert.ok((await page.text()).includes(`value="${csrf}"`));
    assert.equal(await upgrade('/ws', client.cookie), 101);
  });

  test('a login with it succeeds, and the app page is served to that browser', async () => {
    const client = await withStaleCookie();
    assert.equal((await client.login('demo', 'demo')).status, 200);
    const { session_id } = (await logins.nextJson()) as { session_id: string };
    await publishJson(bus, appDisplayTopic('notes'), {
      session_id,
      app_name: 'notes',
      title: 'Notes',
      items: [],
    });
    client.cookie = `modt_sid=stale-from-another-path; ${client.cookie}`;
    let status = 0;
    for (let tries = 0; tries < 40 && status !== 200; tries += 1) {
      status = (await client.get(`${base}/apps/notes/`)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(status, 200);
  });

  test('an admin is let into the monitor, its history and its socket', async () => {
    const client = await withStaleCookie();
    assert.equal((await client.login('root', 'root')).status, 200);
    await logins.nextJson();
    client.cookie = `modt_sid=stale-from-another-path; ${client.cookie}`;
    // No history store here: an admin is told so (503), anyone else is sent away.
    const monitor = await fetch(`${base}/monitor`, {
      headers: { cookie: client.cookie },
      redirect: 'manual',
    });
    assert.equal(monitor.status, 503);
    assert.equal((await client.get(`${base}/monitor/history`)).status, 503);
    assert.equal(await upgrade('/monitor/ws', client.cookie), 503);
  });
});
