import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import { ErrorCodes, Topics, type ErrorCode } from '../protocol/index.ts';
import type { Gateway } from '../gateway/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  publishJson,
  startMosquitto,
  startTestGateway,
  type Collector,
  type Mosquitto,
} from './support/index.ts';

describe('redirects go only to the gateway or to MODT_REDIRECT_ORIGINS, over http(s)', () => {
  let broker: Mosquitto;
  let gateway: Gateway;
  let bus: MqttClient;
  let logins: Collector;
  const own = () => `http://127.0.0.1:${gateway.port}`;

  before(async () => {
    broker = await startMosquitto();
    gateway = await startTestGateway(broker.url, { redirectOrigins: ['https://apps.example'] });
    bus = await connectClient(broker.url);
    logins = await collect(bus, Topics.authSuccess);
  });
  after(async () => {
    await bus?.endAsync(true);
    await gateway?.stop();
    await broker?.stop();
  });

  // Not http(s) is refused twice over: by the schema of modt/app/ready, and by the policy
  // (gateway/redirect-policy.test.ts) should a schema ever let it through.
  const POLICY = ErrorCodes.REDIRECT_NOT_ALLOWED;
  const SCHEMA = ErrorCodes.PAYLOAD_INVALID;
  const urls: { name: string; url: () => string; refused?: ErrorCode }[] = [
    { name: "on the gateway's own origin", url: () => `${own()}/apps/same/` },
    { name: 'on a listed origin', url: () => 'https://apps.example/welcome?x=1' },
    {
      name: 'on another port of a listed host',
      url: () => 'https://apps.example:8443/',
      refused: POLICY,
    },
    { name: 'on a listed host, other scheme', url: () => 'http://apps.example/', refused: POLICY },
    { name: 'on a look-alike host', url: () => 'https://apps.example.evil/', refused: POLICY },
    { name: 'with credentials', url: () => 'https://u:p@apps.example/', refused: POLICY },
    {
      name: 'on another name of the gateway host',
      url: () => `http://localhost:${gateway.port}/apps/x/`,
      refused: POLICY,
    },
    { name: 'over ftp', url: () => `ftp://127.0.0.1:${gateway.port}/`, refused: SCHEMA },
    { name: 'of data:', url: () => 'data:text/html,<script>alert(1)</script>', refused: SCHEMA },
    { name: 'of javascript:', url: () => 'javascript:alert(1)', refused: SCHEMA },
    { name: 'that is relative', url: () => '/apps/relative/', refused: SCHEMA },
  ];
  for (const { name, url, refused } of urls) {
    test(`a redirect_url ${name} is ${refused ? 'not ' : ''}pushed`, async (t) => {
      const browser = new BrowserClient(`${own()}/`);
      t.after(() => browser.close());
      await browser.openLoginPage();
      await browser.openSocket();
      assert.equal((await browser.login('demo', 'demo')).status, 200);
      const { session_id } = (await logins.nextJson()) as { session_id: string };
      const dropped = refused ? (gateway.stats.dropped[refused] ?? 0) : 0;

      const ready = { session_id, redirect_url: url(), app_name: 'probe' };
      await publishJson(bus, Topics.appReady, ready);
      if (!refused) return assert.equal((await browser.nextFrame()).url, url());
      await browser.expectNoFrame(500);
      assert.equal(gateway.stats.dropped[refused], dropped + 1);
    });
  }
});
