import assert from 'node:assert/strict';
import { test } from 'node:test';
import dummyApp from '../functions/dummy-app.ts';
import { AppReady, AuthSuccess, ErrorCodes, Topics, decodePayload } from '../protocol/index.ts';
import { UnitRunner } from '../router/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  fuzzInputs,
  publishRaw,
  startMosquitto,
  startTestGateway,
} from './support/index.ts';

const SEED = Number(process.env.MODT_FUZZ_SEED ?? 20261203);
const COUNT = process.env.MODT_SOAK === '1' ? 50_000 : 2000;
const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes));

const login = (i: number) => ({
  user_id: `user-${i}`,
  session_id: crypto.randomUUID(),
  role: 'user',
  timestamp: new Date(Date.UTC(2026, 11, 3, 10, 0, i % 60)).toISOString(),
});

test(`decoding ${COUNT * 10} seeded inputs never throws, refusing only with catalog codes`, () => {
  const inputs = fuzzInputs(SEED, COUNT * 10, login, 0.3);
  let accepted = 0;
  for (const { bytes, valid } of inputs) {
    const result = decodePayload(bytes, AuthSuccess);
    if (valid) assert.equal(result.ok, true, bytes.toString());
    if (result.ok) accepted += 1;
    else assert.ok(KNOWN_CODES.has(result.error.code), result.error.code);
  }
  assert.ok(accepted >= inputs.filter((i) => i.valid).length);
});

const unitUnderFuzz =
  `a unit under ${COUNT} seeded inputs: no crash, each drop counted, each valid one answered`;
test(unitUnderFuzz, async (t) => {
  const broker = await startMosquitto({ extraConfig: ['max_queued_messages 100000'] });
  t.after(() => broker.stop());
  const app = new UnitRunner(dummyApp, {
    mqttUrl: new URL(broker.url),
    settings: { publicUrl: 'http://gateway.test/' },
    clientId: 'fuzz-app',
  });
  t.after(() => app.stop());
  await app.waitReady(10_000);
  const client = await connectClient(broker.url);
  t.after(() => client.endAsync(true));
  const readies = await collect(client, Topics.appReady);

  const inputs = fuzzInputs(SEED, COUNT, login);
  for (let i = 0; i < inputs.length; i += 100) {
    await Promise.all(
      inputs.slice(i, i + 100).map((input) => publishRaw(client, Topics.authSuccess, input.bytes)),
    );
  }
  // Received is counted as a message comes, handled once the broker has its answers: wait
  // for every message to be one or the other, not only to have come.
  const dropsOf = () => Object.values(app.stats.dropped).reduce((a, b) => a + b, 0);
  const deadline = Date.now() + 60_000;
  while (app.stats.handled + dropsOf() < COUNT && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));

  const dropped = dropsOf();
  const validCount = inputs.filter((i) => i.valid).length;
  while (readies.all.length < app.stats.handled && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  t.diagnostic(
    `${COUNT} inputs, ${validCount} valid by construction, ` +
      `${app.stats.handled} handled, ${dropped} dropped`,
  );
  assert.equal(app.stats.received, COUNT);
  assert.equal(app.stats.handled + dropped, COUNT, 'each input handled or counted as a drop');
  assert.ok(app.stats.handled >= validCount, 'every valid input among them handled');
  assert.equal(readies.all.length, app.stats.handled, 'each handled login answered once');
});

const gatewayUnderFuzz =
  `the gateway under ${COUNT} seeded readies: each pushed or counted, valid ones pushed`;
test(gatewayUnderFuzz, async (t) => {
  const broker = await startMosquitto({ extraConfig: ['max_queued_messages 100000'] });
  t.after(() => broker.stop());
  const gateway = await startTestGateway(broker.url);
  t.after(() => gateway.stop());
  const client = await connectClient(broker.url);
  t.after(() => client.endAsync(true));
  const logins = await collect(client, Topics.authSuccess);

  const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
  t.after(() => browser.close());
  await browser.openLoginPage();
  await browser.openSocket();
  await browser.login('demo', 'demo');
  const { session_id } = (await logins.nextJson()) as { session_id: string };
  const base = `http://127.0.0.1:${gateway.port}`;
  const ready = (i: number) => ({
    session_id,
    redirect_url: `${base}/apps/fuzz-${i}/`,
    app_name: `fuzz-${i}`,
  });

  const inputs = fuzzInputs(SEED + 1, COUNT, ready);
  for (let i = 0; i < inputs.length; i += 100) {
    await Promise.all(
      inputs.slice(i, i + 100).map((input) => publishRaw(client, Topics.appReady, input.bytes)),
    );
  }
  const counted = () =>
    gateway.stats.pushes + Object.values(gateway.stats.dropped).reduce((a, b) => a + b, 0);
  const deadline = Date.now() + 60_000;
  while (counted() < COUNT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

  const firstValid = inputs.findIndex(
    (input) => input.valid && decodePayload(input.bytes, AppReady).ok,
  );
  assert.equal(gateway.stats.received, COUNT);
  assert.equal(counted(), COUNT, 'each ready pushed or counted as a drop');
  assert.ok(
    gateway.stats.deadLetters > 0 && gateway.stats.deadLetters < COUNT - 1,
    'dead letters, rate-bounded',
  );
  assert.equal(gateway.stats.pushes, 1, 'one login, one push: the first valid answer');
  assert.equal((await browser.nextFrame()).app_name, `fuzz-${firstValid}`);
  assert.equal((await fetch(`${base}/healthz`)).status, 200);
});
