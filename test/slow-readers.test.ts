import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MqttClient } from 'mqtt';
import WebSocket from 'ws';
import { Topics } from '../protocol/index.ts';
import { RedisStreamStore, type HistoryRecord } from '../router/index.ts';
import {
  BrowserClient,
  collect,
  connectClient,
  publishJson,
  startMosquitto,
  startRedis,
  type Collector,
  type Mosquitto,
  type RedisServer,
} from './support/index.ts';
import { startGatewayProcess, type GatewayProcess } from './support/gateway-process.ts';
import { StalledSocket, type KernelQueues, type StalledRead } from './support/stalled-socket.ts';

const MiB = 2 ** 20;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;
const ADMIN = { username: 'admin', password: 'admin-pw', role: 'admin' };
const DEMO = { username: 'demo', password: 'demo', role: 'user' };

/**
 * The gateway runs with V8's old space capped: its garbage is collected before it piles
 * up, so what the process grows by is what it holds, and a queue in JavaScript that grew
 * without bound would end it out of memory instead.
 */
const GATEWAY_NODE_OPTIONS = '--max-old-space-size=64';

/** Records before the stalled reader joins, so the gateway's heap has grown to its work. */
const WARM_UP_RECORDS = 5000;
/** Records that flow past the stalled reader, about 4 KB each: 40 MB, ten times its limit. */
const RECORDS = 10_000;
const APPEND_BATCH = 500;
const PAD = 'x'.repeat(4000);
/**
 * What the gateway process may grow by while they flow: the stalled reader's 4 MiB and a
 * frame beyond it, a store batch (1,000 records, 4 MB) as read and as sent to each reader,
 * and the heap's slack. Queued without a limit, the 40 MB would take it past 70 MiB.
 */
const MONITOR_GROWTH_BOUND_BYTES = 48 * MiB;

/** Sockets of the stalled browser's session opened one after another, at most. */
const MAX_RECONNECTS = 10_000;
/** Other browsers, one answered every `ANSWER_EVERY` reconnects while the tab's queue fills. */
const OTHER_BROWSERS = 20;
const ANSWER_EVERY = 80;
const PROMPT_MS = 1000;

/** Whether `done()` came to hold within `timeoutMs`. */
async function eventually(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  if (!(await eventually(done, timeoutMs))) throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** Opens `path` on the gateway as a page does, with a cookie and the gateway's Origin. */
function pageSocket(base: string, path: string, cookie: string): WebSocket {
  return new WebSocket(`${base.replace(/^http/, 'ws')}${path}`, {
    headers: { cookie, origin: base },
  });
}

/** A monitor page that reads: it checks that each record comes once, in order, as stored. */
function readingMonitor(base: string, cookie: string) {
  const socket = pageSocket(base, '/monitor/ws', cookie);
  const state = { snapshot: false, next: 0, outOfOrder: 0, closeCode: 0 };
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { type: string; entries: HistoryRecord[] };
    if (frame.type === 'snapshot') return void (state.snapshot = true);
    for (const entry of frame.entries) {
      const { n } = JSON.parse(entry.payload) as { n: number };
      if (n !== state.next) state.outOfOrder += 1;
      state.next = n + 1;
    }
  });
  socket.on('close', (code) => (state.closeCode = code));
  return { socket, state };
}

function record(n: number): HistoryRecord {
  return {
    received_at: new Date().toISOString(),
    topic: 'modt/test/slow-readers',
    payload: JSON.stringify({ n, pad: PAD }),
    encoding: 'utf8',
    json: true,
  };
}

/** Stores records `from` … `from + count - 1` as the monitor unit would, in batches. */
async function appendRecords(store: RedisStreamStore, from: number, count: number) {
  for (let n = from; n < from + count; n += APPEND_BATCH) {
    await store.append(Array.from({ length: APPEND_BATCH }, (_, i) => record(n + i)));
  }
}

/** What reached a stalled reader once it read again, and what was outside the gateway. */
interface Stall {
  read: StalledRead & { ended: boolean };
  queues: KernelQueues;
  heldByNode: number;
}

async function readStalled(stalled: StalledSocket, timeoutMs: number): Promise<Stall> {
  const queues = await stalled.kernelQueues();
  const heldByNode = stalled.heldByNode;
  return { read: await stalled.readAgain(timeoutMs), queues, heldByNode };
}

/** Bytes on their way that had left the gateway: in both kernels, and read by Node. */
const outsideGateway = ({ queues, heldByNode }: Stall) =>
  heldByNode + queues.readerReceiveQueue + queues.serverSendQueue;

const describeStall = ({ read, queues, heldByNode }: Stall) =>
  `${mib(read.bytes)} once it read again; the kernels held ${queues.readerReceiveQueue} + ` +
  `${queues.serverSendQueue} bytes, Node ${heldByNode}; close frame ${read.closeCode ?? 'none'}`;

describe(`${RECORDS} records flow past a monitor reader that stopped reading`, () => {
  let broker: Mosquitto;
  let redis: RedisServer;
  let gateway: GatewayProcess;
  let store: RedisStreamStore;
  let readers: ReturnType<typeof readingMonitor>[] = [];
  let stalled: StalledSocket | undefined;
  let stall: Stall;
  let flow: { baselineBytes: number; peakBytes: number; ms: number };

  before(async () => {
    broker = await startMosquitto();
    redis = await startRedis();
    gateway = await startGatewayProcess([ADMIN], {
      MODT_MQTT_URL: broker.url,
      MODT_REDIS_URL: redis.url,
      NODE_OPTIONS: GATEWAY_NODE_OPTIONS,
    });
    store = new RedisStreamStore({ url: redis.url });
    const admin = new BrowserClient(`${gateway.base}/`);
    await admin.openLoginPage();
    assert.equal((await admin.login(ADMIN.username, ADMIN.password)).status, 200);
    readers = [0, 1].map(() => readingMonitor(gateway.base, admin.cookie));
    await until(() => readers.every((r) => r.state.snapshot), 5000, 'both snapshots');
    await appendRecords(store, 0, WARM_UP_RECORDS);
    await until(() => readers.every((r) => r.state.next === WARM_UP_RECORDS), 30_000, 'warm-up');

    const page = await StalledSocket.open(`${gateway.base}/monitor/ws`, {
      cookie: admin.cookie,
      origin: gateway.base,
    });
    stalled = page;
    // Its snapshot, the 500 newest records, 2 MB, is on its way once Node holds some of it.
    await until(() => page.heldByNode > 0, 5000, 'the stalled reader joined');
    const baselineBytes = gateway.resetPeak();
    const started = Date.now();
    await appendRecords(store, WARM_UP_RECORDS, RECORDS);
    const total = WARM_UP_RECORDS + RECORDS;
    // Whether they did is the second test's to say.
    await eventually(() => readers.every((r) => r.state.next === total), 30_000);
    flow = { baselineBytes, peakBytes: gateway.memory().peakBytes, ms: Date.now() - started };
    stall = await readStalled(page, 10_000);
  });
  after(async () => {
    stalled?.destroy();
    for (const reader of readers) reader.socket.terminate();
    await store?.close();
    await gateway?.stop();
    await redis?.stop();
    await broker?.stop();
  });

  test('the stalled reader is cut off, sent nothing the gateway had queued for it', (t) => {
    const { read } = stall;
    const frames = read.texts.map((text) => JSON.parse(text) as { entries: unknown[] });
    const records = frames.reduce((sum, frame) => sum + frame.entries.length, 0);
    t.diagnostic(`stalled reader: ${records} records, ${describeStall(stall)}`);

    assert.equal(read.ended, true, 'the gateway ended the connection');
    // Its close frame (1013) is queued behind the 4 MiB and dropped with them: the page
    // sees the connection end (1006) and reconnects to a fresh snapshot.
    assert.equal(read.closeCode, undefined);
    assert.ok(records < WARM_UP_RECORDS + RECORDS, `${records} records reached it`);
    assert.ok(read.bytes <= outsideGateway(stall), 'what the gateway had queued was dropped');
  });

  test('readers that read are sent every record once, in order, and stay open', (t) => {
    t.diagnostic(`${RECORDS} records, 40 MB, read by both readers in ${flow.ms} ms`);
    for (const { state } of readers) {
      assert.equal(state.next, WARM_UP_RECORDS + RECORDS);
      assert.equal(state.outOfOrder, 0);
      assert.equal(state.closeCode, 0, 'still open');
    }
  });

  test(`the gateway process grows by less than ${mib(MONITOR_GROWTH_BOUND_BYTES)}`, (t) => {
    const growth = flow.peakBytes - flow.baselineBytes;
    t.diagnostic(
      `gateway RSS ${mib(flow.baselineBytes)} before the flow, ` +
        `peak ${mib(flow.peakBytes)} (+${mib(growth)})`,
    );
    assert.ok(growth < MONITOR_GROWTH_BOUND_BYTES, `grew by ${mib(growth)}`);
  });
});

describe('a browser socket that stopped reading while its session is sent redirects', () => {
  let broker: Mosquitto;
  let gateway: GatewayProcess;
  let bus: MqttClient;
  let logins: Collector;

  before(async () => {
    broker = await startMosquitto();
    gateway = await startGatewayProcess([DEMO], {
      MODT_MQTT_URL: broker.url,
      // The stalled session's redirect stays pending through the whole test, and no login
      // waits long enough for a page to be told that no app answered.
      MODT_PENDING_TTL_MS: '60000',
      MODT_NO_ANSWER_NOTICE_MS: '60000',
      NODE_OPTIONS: GATEWAY_NODE_OPTIONS,
    });
    bus = await connectClient(broker.url);
    logins = await collect(bus, Topics.authSuccess);
  });
  after(async () => {
    await bus?.endAsync(true);
    await gateway?.stop();
    await broker?.stop();
  });

  async function login(browser: BrowserClient): Promise<string> {
    assert.equal((await browser.login(DEMO.username, DEMO.password)).status, 200);
    return ((await logins.nextJson()) as { session_id: string }).session_id;
  }

  /** A valid ready whose frame is as large as the protocol allows, about 2.3 KB. */
  async function answer(sessionId: string, tag: string): Promise<string> {
    const url = `${gateway.base}/apps/big/?${tag}&pad=${'p'.repeat(1900)}`;
    const ready = { session_id: sessionId, redirect_url: url, app_name: 'a'.repeat(200) };
    await publishJson(bus, Topics.appReady, ready);
    return url;
  }

  async function counters(): Promise<{ pushes: number; held: number }> {
    const text = await (await fetch(`${gateway.base}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
    return { pushes: value('modt_gateway_pushes_total'), held: value('modt_gateway_held_total') };
  }

  test('it is closed past 64 KiB queued; other browsers get theirs at once, once', async (t) => {
    const others: { browser: BrowserClient; sessionId: string }[] = [];
    for (let i = 0; i < OTHER_BROWSERS; i += 1) {
      const browser = new BrowserClient(`${gateway.base}/`);
      t.after(() => browser.close());
      await browser.openLoginPage();
      await browser.openSocket();
      others.push({ browser, sessionId: await login(browser) });
    }

    // The stalled tab, and its session's first redirect, which no page acknowledges.
    const tab = new BrowserClient(`${gateway.base}/`);
    t.after(() => tab.close());
    await tab.openLoginPage();
    const stalled = await StalledSocket.open(`${gateway.base}/ws`, {
      cookie: tab.cookie,
      origin: gateway.base,
    });
    t.after(() => stalled.destroy());
    const firstUrl = await answer(await login(tab), 'first');
    await until(() => stalled.heldByNode > 0, 5000, 'the first redirect reached the tab');
    const rssBefore = gateway.memory().rssBytes;

    // Another tab of that browser reconnects again and again. Each new socket is sent the
    // unacknowledged redirect, and so is every open socket of the session, the stalled one
    // too (RedirectDispatcher). Meanwhile the other browsers are answered.
    const latencies: number[] = [];
    const delivered: Promise<void>[] = [];
    const answerOther = (i: number) => {
      const { browser, sessionId } = others[i]!;
      const sent = Date.now();
      const url = answer(sessionId, `other=${i}`);
      const arrival = browser.nextFrame().then(async (frame) => {
        latencies.push(Date.now() - sent);
        assert.equal(frame.url, await url);
      });
      delivered.push(arrival);
    };
    let reconnects = 0;
    let answered = 0;
    while (reconnects < MAX_RECONNECTS) {
      const socket = pageSocket(gateway.base, '/ws', tab.cookie);
      const frame = await new Promise<string>((resolve, reject) => {
        socket.once('message', (data) => resolve(data.toString())).once('error', reject);
      });
      assert.equal((JSON.parse(frame) as { url: string }).url, firstUrl);
      await new Promise((resolve) => socket.once('close', resolve).terminate());
      reconnects += 1;
      if (reconnects % ANSWER_EVERY === 0 && answered < OTHER_BROWSERS) answerOther(answered++);
      if (reconnects % 50 === 0 && (await stalled.closedByServer())) break;
    }
    while (answered < OTHER_BROWSERS) answerOther(answered++);
    await Promise.all(delivered);
    const rssAfter = gateway.memory().rssBytes;
    const stall = await readStalled(stalled, 5000);
    const { read } = stall;
    latencies.sort((a, b) => a - b);
    t.diagnostic(
      `${reconnects} reconnects of its session; the stalled tab read ` +
        `${read.texts.length} redirects, ${describeStall(stall)}; ` +
        `gateway RSS ${mib(rssBefore)} → ${mib(rssAfter)}`,
    );
    t.diagnostic(
      `${OTHER_BROWSERS} other browsers redirected meanwhile: ` +
        `p50 ${latencies[latencies.length >> 1]} ms, max ${latencies.at(-1)} ms`,
    );

    assert.ok(reconnects < MAX_RECONNECTS, 'the gateway closed the stalled socket');
    assert.equal(read.ended, true);
    // Its close frame (1013) is queued behind the full queue and dropped with it.
    assert.equal(read.closeCode, undefined);
    assert.ok(read.bytes <= outsideGateway(stall), 'what the gateway had queued was dropped');
    assert.ok(read.texts.length < reconnects, `${read.texts.length} of ${reconnects} reached it`);
    assert.ok(latencies.at(-1)! < PROMPT_MS, `slowest other redirect ${latencies.at(-1)} ms`);
    for (const { browser } of others) await browser.expectNoFrame(100);

    // The tab's next login finds no socket of its session: its redirect is held, and the
    // tab, reading again, reconnects with its cookie and is sent it, once.
    const before = await counters();
    const nextUrl = await answer(await login(tab), 'next');
    const deadline = Date.now() + 5000;
    while ((await counters()).held === before.held && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(await counters(), { pushes: before.pushes, held: before.held + 1 });
    await tab.openSocket();
    assert.equal((await tab.nextFrame()).url, nextUrl);
    await tab.expectNoFrame(300);
    assert.deepEqual(await counters(), { pushes: before.pushes + 1, held: before.held + 1 });
  });
});
