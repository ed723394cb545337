import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import monitor, { BROKER_DROPPED_TOPIC } from '../functions/monitor.ts';
import { historyEventKit } from '../gateway/monitor/history-events.ts';
import { Topics } from '../protocol/index.ts';
import { FileStore, UnitRunner, loadUnits, type HistoryEntry } from '../router/index.ts';
import { renderAcl } from '../deploy/acl.ts';
import { grantsOf } from '../deploy/grants.ts';
import { writeSecrets } from '../deploy/secrets.ts';
import { connectClient, publishJson, startMosquitto } from './support/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const QUEUE = 5;
const PUBLISHED = 20;

async function until(read: () => Promise<HistoryEntry[]>, done: (r: HistoryEntry[]) => boolean) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const records = await read();
    if (done(records) || Date.now() > deadline) return records;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The monitor connects once and goes; more logins than its queue holds are published; it
 * comes back, and every login is either in its history or in the broker's count.
 */
test("C08 a monitor away past its queue gets the broker's drop count in history", async (t) => {
  // The shipped accounts and ACL, so that the monitor's grant to read the count is tested too.
  const grants = grantsOf(await loadUnits(join(ROOT, 'functions')));
  const secrets = await mkdtemp(join(tmpdir(), 'modt-gaps-'));
  t.after(() => rm(secrets, { recursive: true, force: true }));
  await writeSecrets(secrets, grants);
  const broker = await startMosquitto({
    allowAnonymous: false,
    passwordFile: await readFile(join(secrets, 'mosquitto.passwd'), 'utf8'),
    acl: renderAcl(grants),
    extraConfig: [`max_queued_messages ${QUEUE}`, 'sys_interval 1'],
  });
  t.after(() => broker.stop());
  const urlOf = async (account: string) => {
    const env = await readFile(join(secrets, `${account}.env`), 'utf8');
    const url = /^MODT_MQTT_URL=(.+)$/m.exec(env)![1]!;
    return url.replace('@mosquitto:1883', `@127.0.0.1:${broker.port}`);
  };

  const path = join(secrets, 'history.jsonl');
  const mqttUrl = new URL(await urlOf('monitor'));
  const options = { mqttUrl, settings: {}, clientId: 'gap-monitor' };
  const first = new UnitRunner(monitor, { ...options, store: new FileStore(path) });
  await first.waitReady(10_000);
  await first.stop();

  // While the monitor is away, more logins than its queue holds.
  const gateway = await connectClient(await urlOf('gateway'));
  t.after(() => gateway.endAsync(true));
  for (let n = 0; n < PUBLISHED; n++) await publishJson(gateway, Topics.authSuccess, { n });

  const store = new FileStore(path);
  const again = new UnitRunner(monitor, { ...options, store });
  t.after(() => again.stop());
  await again.waitReady(10_000);
  const counts = (records: HistoryEntry[]) =>
    records.filter((r) => r.topic === BROKER_DROPPED_TOPIC).map((r) => Number(r.payload));
  const logins = (records: HistoryEntry[]) =>
    records.filter((r) => r.topic === Topics.authSuccess).length;
  // Every login is either in the history or in the broker's count (the broker's own queue
  // accounting decides how many of the 20 it kept: fewer than QUEUE here, never more). The
  // count holds more than the logins when a tick of sys_interval fell while the monitor was
  // away: the count published then was dropped for it too.
  const lost = (r: HistoryEntry[]) => PUBLISHED - logins(r);
  const accounted = (r: HistoryEntry[]) => (counts(r).at(-1) ?? 0) >= lost(r);
  const records = await until(() => store.recent(1000), accounted);

  const seen = records.map((r) => `${r.topic} ${r.payload}`).join('; ');
  assert.ok(logins(records) > 0 && logins(records) <= QUEUE, seen);
  const count = counts(records).at(-1);
  assert.ok(count !== undefined && count >= lost(records), seen);
  assert.ok(!counts(records).includes(0), 'a count of none is not recorded');
  const reading = records.findLast((r) => r.topic === BROKER_DROPPED_TOPIC)!;
  const [event] = historyEventKit().eventsOf(reading);
  assert.match(event!.text, new RegExp(`dropped ${count} messages .* the history may miss some`));
});
