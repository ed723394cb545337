import { monoMs } from './clock.ts';
import { summarize, type LatencySummary } from './stats.ts';
import { connectBench } from './publisher.ts';

/** One traced login, as the load generator saw it: monoMs() times. */
export interface Trace {
  slot: number;
  due: number;
  response: number;
  frame: number;
}

/** When each login's first and second bus message passed the broker, per browser slot, in order. */
export interface TapTimes {
  first: Map<number, number[]>;
  second: Map<number, number[]>;
}

/** Where a login's time went, each segment's p50 and p99 in ms. */
export interface Breakdown {
  logins: number;
  /** From the request being due to its first message on the bus (HTTP, checks, hash, publish). */
  toBus: LatencySummary;
  /** From the first message to the app's answer on the bus (two broker hops and the app). */
  app: LatencySummary;
  /** From the answer on the bus to the frame at the browser's socket. */
  toBrowser: LatencySummary;
  /** From the request being due to its HTTP answer. */
  response: LatencySummary;
  total: LatencySummary;
}

/**
 * A subscriber on the login's two topics that notes when each message passes: for MoDT the
 * login (its user_id names the browser slot, `bench-<slot>`) and the app's ready (by its
 * session_id); for the floor the id going in and coming back (`<block>-<slot>`).
 */
export async function startTap(
  brokerUrl: string,
  topics: readonly string[],
  kind: 'product' | 'floor',
) {
  const client = await connectBench(brokerUrl);
  const times: TapTimes = { first: new Map(), second: new Map() };
  const slotOfSession = new Map<string, number>();
  const note = (list: Map<number, number[]>, slot: number, at: number) => {
    const kept = list.get(slot);
    if (kept) kept.push(at);
    else list.set(slot, [at]);
  };
  client.on('message', (topic, payload) => {
    const at = monoMs();
    const text = payload.toString('utf8');
    if (kind === 'floor') {
      note(topic === topics[0] ? times.first : times.second, Number(text.split('-')[1]), at);
      return;
    }
    const value = JSON.parse(text) as { user_id?: string; session_id: string };
    if (topic === topics[0]) {
      const slot = Number(value.user_id?.slice('bench-'.length));
      slotOfSession.set(value.session_id, slot);
      note(times.first, slot, at);
    } else {
      const slot = slotOfSession.get(value.session_id);
      if (slot !== undefined) note(times.second, slot, at);
    }
  });
  await client.subscribeAsync(topics.slice(), { qos: 1 });
  return { times: () => times, close: async () => void (await client.endAsync()) };
}

/** Joins each browser's logins, in order, with the bus messages of its slot. */
export function breakdown(traces: readonly Trace[], times: TapTimes): Breakdown {
  const seen = new Map<number, number>();
  const segments = { toBus: [] as number[], app: [] as number[], toBrowser: [] as number[] };
  const sorted = [...traces].sort((a, b) => a.due - b.due);
  for (const trace of sorted) {
    const n = seen.get(trace.slot) ?? 0;
    seen.set(trace.slot, n + 1);
    const first = times.first.get(trace.slot)?.[n];
    const second = times.second.get(trace.slot)?.[n];
    if (first === undefined || second === undefined) continue;
    segments.toBus.push(first - trace.due);
    segments.app.push(second - first);
    segments.toBrowser.push(trace.frame - second);
  }
  return {
    logins: segments.toBus.length,
    toBus: summarize(segments.toBus),
    app: summarize(segments.app),
    toBrowser: summarize(segments.toBrowser),
    response: summarize(traces.map((t) => t.response - t.due)),
    total: summarize(traces.map((t) => t.frame - t.due)),
  };
}
