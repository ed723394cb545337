import assert from 'node:assert/strict';
import { test } from 'node:test';
import dummyApp from '../functions/dummy-app.ts';
import { Topics } from '../protocol/index.ts';
import { MetricsRegistry, UnitRunner, observeRunner } from '../router/index.ts';
import { gatewayScene, publishRaw } from './support/index.ts';

/** GET /metrics: the status, the content type and each sample line by its name and labels. */
async function scrape(base: string) {
  const response = await fetch(`${base}/metrics`);
  const samples = new Map<string, number>();
  for (const line of (await response.text()).split('\n')) {
    const match = /^(\S+) (\S+)$/.exec(line);
    if (match && !line.startsWith('#')) samples.set(match[1]!, Number(match[2]));
  }
  return { status: response.status, type: response.headers.get('content-type'), samples };
}

/** Scrapes until `done` holds: the runner counts once its outputs are acknowledged. */
async function scrapeUntil(base: string, done: (samples: Map<string, number>) => boolean) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const { samples } = await scrape(base);
    if (done(samples) || Date.now() > deadline) return samples;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('the gateway serves its own and an embedded unit\'s counts at /metrics', async (t) => {
  const metrics = new MetricsRegistry();
  const scene = await gatewayScene(t, { metrics });
  const settings = { publicUrl: `${scene.base}/` };
  const mqttUrl = new URL(scene.broker.url);
  const runner = new UnitRunner(dummyApp, { mqttUrl, settings, clientId: 'metrics-app' });
  t.after(() => runner.stop());
  observeRunner(metrics, runner);
  await runner.waitReady(10_000);

  const { browser } = await scene.login();
  assert.equal((await browser.nextFrame()).app_name, 'dummy-app');
  await publishRaw(scene.bus, Topics.authSuccess, "{'not': 'json'}");

  const app = '{unit="dummy-app"}';
  const received = `modt_messages_received_total${app}`;
  const samples = await scrapeUntil(scene.base, (s) => s.get(received) === 2);
  assert.equal(samples.get(received), 2);
  assert.equal(samples.get(`modt_messages_published_total${app}`), 2, 'a display and a ready');
  const notJson = 'code="MODT_ERR_PAYLOAD_NOT_JSON"';
  assert.equal(samples.get(`modt_messages_dropped_total{unit="dummy-app",${notJson}}`), 1);
  assert.equal(samples.get(`modt_handler_seconds_count${app}`), 1);
  assert.equal(samples.get(`modt_unit_up${app}`), 1);
  assert.equal(samples.get('modt_gateway_logins_total{result="ok"}'), 1);
  assert.equal(samples.get('modt_gateway_pushes_total'), 1);
  assert.equal(samples.get('modt_gateway_sessions'), 1);
  const atGateway = samples.get('modt_messages_received_total{unit="gateway"}') ?? 0;
  assert.ok(atGateway >= 2, 'the display and the ready');
});

test('/metrics answers in the Prometheus text format', async (t) => {
  const scene = await gatewayScene(t);
  const { status, type, samples } = await scrape(scene.base);
  assert.equal(status, 200);
  assert.equal(type, 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(samples.get('modt_gateway_sessions'), 0);
});

test('with MODT_METRICS_TOKEN set, /metrics answers only its bearer token', async (t) => {
  const token = 'scrape-0123456789abcdef';
  const scene = await gatewayScene(t, { metricsToken: token });
  const url = `${scene.base}/metrics`;
  const asked = (authorization?: string) =>
    fetch(url, authorization === undefined ? {} : { headers: { authorization } });

  for (const wrong of [undefined, 'Bearer wrong-0123456789abcdef', `Basic ${token}`, token]) {
    const refused = await asked(wrong);
    assert.equal(refused.status, 401, `${wrong}`);
    assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    assert.doesNotMatch(await refused.text(), /modt_/);
  }
  for (const right of [`Bearer ${token}`, `bearer ${token}`]) {
    const answered = await asked(right);
    assert.equal(answered.status, 200, right);
    assert.match(await answered.text(), /^modt_gateway_sessions /m);
  }
});
