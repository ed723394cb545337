import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import dummyApp from '../functions/dummy-app.ts';
import { AuthSuccess, Topics, appDisplayTopic } from '../protocol/index.ts';
import { UnitRunner, defineUnit, loadUnits, type AnyUnit } from '../router/index.ts';
import { UWS_BINARY, readGatewayOptions, type Gateway } from '../gateway/index.ts';
import { deploymentFiles } from '../bin/deploy-command.ts';
import { renderAcl } from '../deploy/acl.ts';
import { grantsOf } from '../deploy/grants.ts';
import { writeSecrets } from '../deploy/secrets.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  publishJson,
  startMosquitto,
  startTestGateway,
  testUsers,
  type Mosquitto,
} from './support/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the deployment files follow the units', () => {
  let units: AnyUnit[];
  let compose: {
    services: Record<string, Record<string, unknown>>;
    networks: Record<string, { internal?: boolean }>;
    volumes: Record<string, unknown>;
  };
  before(async () => {
    units = await loadUnits(join(ROOT, 'functions'));
    compose = parse(await readFile(join(ROOT, 'docker-compose.yml'), 'utf8'));
  });

  test('docker-compose.yml and the ACL are what modt deploy derives from functions/', async () => {
    for (const { path, text } of await deploymentFiles()) {
      const stale = `${path} is stale: run npm run modt -- deploy`;
      assert.equal(await readFile(path, 'utf8'), text, stale);
    }
  });

  test('there is one service per unit, besides mosquitto, redis and the gateway', () => {
    const expected = ['gateway', 'mosquitto', 'redis', ...units.map((u) => u.name)].sort();
    assert.deepEqual(Object.keys(compose.services).sort(), expected);
  });

  test('the broker and Redis are on the internal network only and publish no port', () => {
    assert.equal(compose.networks.bus?.internal, true);
    for (const name of ['mosquitto', 'redis', ...units.map((u) => u.name)]) {
      const service = compose.services[name]!;
      assert.equal(service.ports, undefined, `${name} publishes no port`);
      assert.deepEqual(service.networks, ['bus'], `${name} is on bus only`);
    }
    assert.deepEqual(compose.services.gateway!.ports, ['${MODT_HTTP_BIND:-127.0.0.1}:8080:8080']);
  });

  test('every service restarts by itself and has a health check', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      assert.equal(service.restart, 'unless-stopped', name);
      assert.ok(service.healthcheck, `${name} has a health check`);
    }
  });

  test('Mosquitto and Redis keep their data in named volumes, Redis with AOF on', async () => {
    assert.ok('mosquitto-data' in compose.volumes && 'redis-data' in compose.volumes);
    const volumesOf = (service: string) => compose.services[service]!.volumes as string[];
    assert.ok(volumesOf('mosquitto').includes('mosquitto-data:/mosquitto/data'));
    assert.ok(volumesOf('redis').includes('redis-data:/data'));
    const redisConf = await readFile(join(ROOT, 'deploy/redis/redis.conf'), 'utf8');
    assert.match(redisConf, /^appendonly yes$/m);
  });

  test('no secret is in the compose file, the Mosquitto config or the repository', async () => {
    const texts = [
      await readFile(join(ROOT, 'docker-compose.yml'), 'utf8'),
      await readFile(join(ROOT, 'deploy/mosquitto/mosquitto.conf'), 'utf8'),
    ];
    for (const text of texts) {
      assert.doesNotMatch(text, /mqtts?:\/\/[^\s@/]+:[^\s@/]+@/, 'no broker credentials');
      assert.doesNotMatch(text, /\$7\$|\$scrypt\$/, 'no password hash');
    }
    assert.match(await readFile(join(ROOT, '.gitignore'), 'utf8'), /^secrets\/$/m);
  });

  const shipped = 'the shipped Mosquitto config';
  test(`${shipped} names its listener, refuses anonymous clients, and has Nagle off`, async () => {
    const conf = await readFile(join(ROOT, 'deploy/mosquitto/mosquitto.conf'), 'utf8');
    assert.match(conf, /^listener 1883 0\.0\.0\.0$/m);
    assert.match(conf, /^allow_anonymous false$/m);
    assert.match(conf, /^set_tcp_nodelay true$/m);
    assert.match(conf, /^acl_file /m);
  });

  test('the bundles the Dockerfiles copy exist after the build', async () => {
    const copied: string[] = [];
    for (const file of ['deploy/Dockerfile.unit', 'deploy/Dockerfile.gateway']) {
      const text = await readFile(join(ROOT, file), 'utf8');
      const copies = text.matchAll(/COPY --from=build \/src\/(dist\/\S+)/g);
      for (const match of copies) copied.push(match[1]!);
    }
    const perUnit = (f: string) => units.map((u) => f.replace('${UNIT}', u.name));
    const files = copied.flatMap((f) => (f.includes('${UNIT}') ? perUnit(f) : [f]));
    const binary = 'the gateway image gets the native binary of this Node';
    assert.ok(files.includes(`dist/${UWS_BINARY}`), binary);
    for (const file of files) assert.ok(existsSync(join(ROOT, file)), `${file} exists`);
  });
});

/** A second app beside the dummy app, with its own account: the one that tries to forge. */
const otherApp = defineUnit({
  name: 'other-app',
  subscribe: { [Topics.authSuccess]: AuthSuccess },
  publishes: [appDisplayTopic('other-app'), Topics.appReady],
  handle: () => [],
});

describe('who may say what: the generated ACL on a real Mosquitto', () => {
  let broker: Mosquitto;
  let secrets: string;
  const urlOf: Record<string, string> = {};
  let metricsToken: string | undefined;
  let grants: ReturnType<typeof grantsOf>;

  before(async () => {
    const units = await loadUnits(join(ROOT, 'functions'));
    grants = grantsOf([...units, otherApp]);
    secrets = await mkdtemp(join(tmpdir(), 'modt-secrets-'));
    metricsToken = (await writeSecrets(secrets, grants)).metricsToken;
    broker = await startMosquitto({
      allowAnonymous: false,
      passwordFile: await readFile(join(secrets, 'mosquitto.passwd'), 'utf8'),
      acl: renderAcl(grants),
    });
    for (const { account } of grants) {
      const env = await readFile(join(secrets, `${account}.env`), 'utf8');
      const url = /^MODT_MQTT_URL=(.+)$/m.exec(env)![1]!;
      urlOf[account] = url.replace('@mosquitto:1883', `@127.0.0.1:${broker.port}`);
    }
  });
  after(async () => {
    await broker?.stop();
    await rm(secrets, { recursive: true, force: true });
  });

  test('the gateway\'s env file holds a /metrics token that start-up takes; no other has one',
    async () => {
      const env = await readFile(join(secrets, 'gateway.env'), 'utf8');
      const token = /^MODT_METRICS_TOKEN=(.+)$/m.exec(env)?.[1];
      assert.ok(token !== undefined && token === metricsToken, env.replace(/:[^@:]+@/, ':***@'));
      const options = readGatewayOptions({ MODT_METRICS_TOKEN: token }, await testUsers([]));
      assert.equal(options.metricsToken, token);
      const app = await readFile(join(secrets, 'dummy-app.env'), 'utf8');
      assert.doesNotMatch(app, /MODT_METRICS_TOKEN/);
      // A second run keeps the accounts it finds, and their tokens.
      const again = await writeSecrets(secrets, grants);
      assert.equal(again.metricsToken, undefined);
      assert.equal(await readFile(join(secrets, 'gateway.env'), 'utf8'), env);
    });

  test('an anonymous client is refused', async () => {
    const refused = /Not authorized|Connection refused/;
    await assert.rejects(connectClient(broker.url, { reconnectPeriod: 0 }), refused);
  });

  test('a wrong password is refused', async () => {
    const url = new URL(urlOf['dummy-app']!);
    url.password = 'guess';
    const refused = /Not authorized|Connection refused|Bad user/;
    await assert.rejects(connectClient(url.href, { reconnectPeriod: 0 }), refused);
  });

  const grant = 'a unit publishing outside its grant reaches no one';
  test(`${grant}, inside it everyone who may read`, async (t) => {
    const watcher = await connectClient(urlOf.monitor!);
    t.after(() => watcher.endAsync(true));
    const seen = await collect(watcher, 'modt/#');
    const app = await connectClient(urlOf['dummy-app']!);
    t.after(() => app.endAsync(true));

    await publishJson(app, 'modt/auth/success', { forged: true });
    await publishJson(app, 'modt/elsewhere', { stray: true });
    await seen.expectNothing(500);

    await publishJson(app, Topics.appReady, { allowed: true });
    assert.equal((await seen.next()).topic, Topics.appReady);
  });

  test('the monitor may read everything and publish nothing', async (t) => {
    const gateway = await connectClient(urlOf.gateway!);
    t.after(() => gateway.endAsync(true));
    const readies = await collect(gateway, Topics.appReady);
    const monitor = await connectClient(urlOf.monitor!);
    t.after(() => monitor.endAsync(true));

    await publishJson(monitor, Topics.appReady, { session_id: crypto.randomUUID() });
    await readies.expectNothing(500);
  });

  test('a forged modt/auth/success from an app account never produces a redirect', async (t) => {
    const gateway: Gateway = await startTestGateway(urlOf.gateway!, { clientId: 'modt-gateway' });
    t.after(() => gateway.stop());
    const watcher = await connectClient(urlOf.monitor!);
    t.after(() => watcher.endAsync(true));
    const logins = await collect(watcher, Topics.authSuccess);

    // The browser logs in while no app runs, so its login waits unanswered.
    const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    t.after(() => browser.close());
    await browser.openLoginPage();
    await browser.openSocket();
    assert.equal((await browser.login('demo', 'demo')).status, 200);
    const login = (await logins.nextJson()) as Record<string, string>;

    const settings = { publicUrl: `http://127.0.0.1:${gateway.port}/` };
    const mqttUrl = new URL(urlOf['dummy-app']!);
    const app = new UnitRunner(dummyApp, { mqttUrl, settings, clientId: 'acl-app' });
    t.after(() => app.stop());
    await app.waitReady(10_000);

    // Someone holding the app's account replays the login it read in the history.
    const forger = await connectClient(urlOf['dummy-app']!);
    t.after(() => forger.endAsync(true));
    const forged = { ...login, timestamp: new Date().toISOString() };
    await publishJson(forger, Topics.authSuccess, forged);
    await browser.expectNoFrame(800);
    assert.equal(app.stats.received, 0);

    // The same message from the gateway's own account is answered: the ACL is what stopped it.
    const real = await connectClient(urlOf.gateway!);
    t.after(() => real.endAsync(true));
    await publishJson(real, Topics.authSuccess, login);
    assert.equal((await browser.nextFrame()).app_name, 'dummy-app');
  });
  test('a forged display from another app\'s account reaches no one', async (t) => {
    const gateway: Gateway = await startTestGateway(urlOf.gateway!, { clientId: 'modt-gateway' });
    t.after(() => gateway.stop());
    const watcher = await connectClient(urlOf.monitor!);
    t.after(() => watcher.endAsync(true));
    const letters = await collect(watcher, 'modt/dead/gateway');
    const logins = await collect(watcher, Topics.authSuccess);

    const settings = { publicUrl: `http://127.0.0.1:${gateway.port}/` };
    const mqttUrl = new URL(urlOf['dummy-app']!);
    const app = new UnitRunner(dummyApp, { mqttUrl, settings, clientId: 'acl-display-app' });
    t.after(() => app.stop());
    await app.waitReady(10_000);

    const browser = new BrowserClient(`http://127.0.0.1:${gateway.port}/`);
    t.after(() => browser.close());
    await browser.openLoginPage();
    await browser.openSocket();
    assert.equal((await browser.login('demo', 'demo')).status, 200);
    const { session_id: sessionId } = (await logins.nextJson()) as { session_id: string };
    const { url } = await browser.nextFrame();
    const displays = await collect(watcher, Topics.appDisplays);

    // The other app's account writes the dummy app's topic: the broker drops it.
    const forger = await connectClient(urlOf['other-app']!);
    t.after(() => forger.endAsync(true));
    const forged = { session_id: sessionId, app_name: 'dummy-app', title: 'Forged', items: [] };
    await publishJson(forger, appDisplayTopic('dummy-app'), forged);
    // On its own topic the broker takes it, and the gateway refuses the name it claims.
    await publishJson(forger, appDisplayTopic('other-app'), forged);

    assert.equal((await displays.next()).topic, appDisplayTopic('other-app'));
    const letter = (await letters.nextJson()) as Record<string, string>;
    assert.equal(letter.code, 'MODT_ERR_APP_NAME_MISMATCH');
    assert.equal(letter.topic, appDisplayTopic('other-app'));
    await displays.expectNothing(300);
    assert.equal(gateway.stats.dropped.MODT_ERR_APP_NAME_MISMATCH, 1);

    const page = await (await browser.get(url)).text();
    assert.match(page, /Welcome, demo/);
    assert.doesNotMatch(page, /Forged/);
    const other = await browser.get(`http://127.0.0.1:${gateway.port}/apps/other-app/`);
    assert.equal(other.status, 404);
  });
});
