import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { MqttLink } from '../../router/index.ts';
import { startEmbeddedBroker } from '../../stack/embedded-broker.ts';
import { startBenchBroker, SHIPPED_MOSQUITTO_CONF } from '../support/broker.ts';
import { figure, type Figure } from '../support/report.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../support/scenario.ts';
import { summarize, type LatencySummary } from '../support/stats.ts';

/** A requester and an app that answers each request with two messages, as the dummy app does. */
interface Exchange {
  ask(): Promise<void>;
  close(): Promise<void>;
}

const DISPLAY = 'd'.repeat(300);
const READY = 'r'.repeat(120);

async function link(
  url: string,
  subscriptions: string[],
  onMessage: (topic: string) => Promise<void>,
) {
  const clientId = `bench-nagle-${randomUUID().slice(0, 8)}`;
  const made = new MqttLink({
    url: new URL(url),
    clientId,
    persistent: false,
    subscriptions,
    onMessage,
  });
  await made.waitReady(10_000);
  return made;
}

/**
 * Both ends as MoDT opens them (MqttLink, Nagle off on the socket), or the answering app on
 * mqtt.js as it comes (its own socket, Nagle left on).
 */
async function exchange(url: string, app: 'link' | 'mqtt.js'): Promise<Exchange> {
  const prefix = `bench/nagle/${randomUUID().slice(0, 8)}`;
  let answered: (() => void) | undefined;
  const requester = await link(url, [`${prefix}/answer/#`], async (topic) => {
    if (topic.endsWith('/ready')) answered?.();
  });

  let closeApp: () => Promise<void>;
  if (app === 'link') {
    // Written back to back and not awaited: a link cannot await its own PUBACK in onMessage.
    const answer = async () => {
      void responder.publish(`${prefix}/answer/display`, DISPLAY);
      void responder.publish(`${prefix}/answer/ready`, READY);
    };
    const responder: MqttLink = await link(url, [`${prefix}/ask`], answer);
    closeApp = () => responder.close();
  } else {
    const responder = await mqtt.connectAsync(url, { protocolVersion: 4 });
    await responder.subscribeAsync(`${prefix}/ask`, { qos: 1 });
    responder.on('message', () => {
      responder.publish(`${prefix}/answer/display`, DISPLAY, { qos: 1 });
      responder.publish(`${prefix}/answer/ready`, READY, { qos: 1 });
    });
    closeApp = async () => void (await responder.endAsync());
  }

  return {
    async ask() {
      const arrived = new Promise<void>((resolve) => (answered = resolve));
      await requester.publish(`${prefix}/ask`, 'login', 1);
      await arrived;
    },
    close: async () => void (await Promise.all([requester.close(), closeApp()])),
  };
}

/** ms from a request to the second message of its answer, `samples` times in a row. */
async function exchangeLatency(url: string, app: 'link' | 'mqtt.js', samples: number) {
  const pair = await exchange(url, app);
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const began = performance.now();
      await pair.ask();
      times.push(performance.now() - began);
    }
  } finally {
    await pair.close();
  }
  // The first few carry the connections' warm-up.
  return times.slice(Math.min(3, samples - 1));
}

/**
 * The guard that Nagle's algorithm stays off. The login's two hops in miniature: a request,
 * and an answer of two messages written back to back (display, then ready), which is the
 * pattern that meets delayed ACKs. Through Mosquitto as shipped (`set_tcp_nodelay true`)
 * and the embedded broker, against Mosquitto's default (`false`); and MoDT's client
 * sockets against mqtt.js's own.
 */
export const nagleGuard: Scenario = {
  name: 'nagle guard',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const samples = context.quick ? 20 : 100;
    const shippedNoDelay = /^set_tcp_nodelay\s+true\s*$/m.test(
      readFileSync(SHIPPED_MOSQUITTO_CONF, 'utf8'),
    );
    const shipped = await startBenchBroker();
    const stock = await startBenchBroker(['set_tcp_nodelay false']);
    const embedded = await startEmbeddedBroker(0);
    const times: Record<string, number[]> = {};
    try {
      // Alternated, so that load from other work on the machine falls on all of them.
      for (let round = 0; round < 2; round++) {
        const runs = [
          ['shipped', shipped.url, 'link'],
          ['stock', stock.url, 'link'],
          ['embedded', embedded.url, 'link'],
          ['appOnMqttJs', shipped.url, 'mqtt.js'],
        ] as const;
        for (const [name, url, app] of runs) {
          (times[name] ??= []).push(...(await exchangeLatency(url, app, Math.ceil(samples / 2))));
        }
      }
    } finally {
      await Promise.allSettled([shipped.stop(), stock.stop(), embedded.close()]);
    }

    const results: Record<string, LatencySummary> = Object.fromEntries(
      Object.entries(times).map(([name, list]) => [name, summarize(list)]),
    );
    context.log(`nagle guard: ${JSON.stringify(results)}`);
    const p50 = (name: string) => results[name]!.p50;
    const what = 'request → two-message answer, p50';
    const figures: Figure[] = [
      figure({
        scenario: 'nagle guard',
        measure: `${what}, Mosquitto as shipped (set_tcp_nodelay ${shippedNoDelay})`,
        unit: 'ms',
        product: p50('shipped'),
        baseline: p50('stock'),
        baselineName: 'Mosquitto default, set_tcp_nodelay false',
        target: 'guard: < 5 ms',
        meets: (_r, p) => p < 5 && shippedNoDelay,
      }),
      figure({
        scenario: 'nagle guard',
        measure: `${what}, embedded broker (Aedes, noDelay)`,
        unit: 'ms',
        product: p50('embedded'),
        target: 'guard: < 5 ms',
        meets: (_r, p) => p < 5,
      }),
      figure({
        scenario: 'nagle guard',
        measure: `${what}, app on MqttLink`,
        unit: 'ms',
        product: p50('shipped'),
        baseline: p50('appOnMqttJs'),
        baselineName: "app on mqtt.js's own socket",
      }),
    ];
    return { figures, details: { shippedNoDelay, exchange: results } };
  },
};
