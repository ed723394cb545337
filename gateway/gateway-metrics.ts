import { METRICS_CONTENT_TYPE, type MetricsRegistry } from '../router/index.ts';
import { GATEWAY_ACCOUNT } from './bus-topics.ts';
import type { Reply } from './http.ts';

/** What of the gateway its metrics read, at each scrape. */
interface GatewayFigures {
  readonly stats: {
    received: number;
    deadLetters: number;
    logins: number;
    loginFailures: number;
    pushes: number;
    held: number;
    unanswered: number;
    dropped: Record<string, number>;
    refused: Record<string, number>;
  };
  readonly sessions: number;
}

/**
 * The gateway's metrics, copied from its `stats` when scraped: the messages it received and
 * dropped (by code, in the same families as the units'), the dead letters it sent, logins,
 * refused requests, redirects pushed and held, logins no app answered in time, and the
 * sessions it holds.
 */
export function observeGateway(metrics: MetricsRegistry, gateway: GatewayFigures): void {
  const unit = { unit: GATEWAY_ACCOUNT };
  const received = metrics.counter('modt_messages_received_total', 'Messages from the broker');
  const dropped = metrics.counter('modt_messages_dropped_total', 'Messages and outputs dropped');
  const letters = metrics.counter('modt_dead_letters_total', 'Dead letters announced');
  const logins = metrics.counter('modt_gateway_logins_total', 'Login attempts, by result');
  const refused = metrics.counter('modt_gateway_refused_total', 'Browser requests refused');
  const pushes = metrics.counter('modt_gateway_pushes_total', 'Redirects pushed to a browser');
  const held = metrics.counter('modt_gateway_held_total', 'Redirects held until a socket opens');
  const unanswered = metrics.counter(
    'modt_gateway_unanswered_total',
    'Logins no app answered in time, their page told',
  );
  const sessions = metrics.gauge('modt_gateway_sessions', 'Browser sessions held');

  metrics.onCollect(() => {
    const { stats } = gateway;
    received.mirror(unit, stats.received);
    letters.mirror(unit, stats.deadLetters);
    logins.mirror({ result: 'ok' }, stats.logins);
    logins.mirror({ result: 'failed' }, stats.loginFailures);
    pushes.mirror({}, stats.pushes);
    held.mirror({}, stats.held);
    unanswered.mirror({}, stats.unanswered);
    for (const [code, n] of Object.entries(stats.dropped)) dropped.mirror({ ...unit, code }, n);
    for (const [code, n] of Object.entries(stats.refused)) refused.mirror({ code }, n);
    sessions.set({}, gateway.sessions);
  });
}

/** The answer to `GET /metrics`: Prometheus' text format. */
export function metricsReply(metrics: MetricsRegistry): Reply {
  const headers: [string, string][] = [
    ['content-type', METRICS_CONTENT_TYPE],
    ['cache-control', 'no-store'],
  ];
  return { status: '200 OK', headers, body: metrics.render() };
}
