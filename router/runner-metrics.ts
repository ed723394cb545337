import type { MetricsRegistry } from './metrics.ts';
import type { Drop, Handled, Received, UnitRunner } from './unit-runner.ts';

/**
 * Counts what a unit's runner reports into a registry, labelled with the unit's name: the
 * messages it received, published and recorded, what it dropped and why, its handler's
 * time, and whether it is connected. The counts outlive the runner, so a unit reloaded by
 * `npm run dev` counts on. Returns what to call once the runner has stopped.
 */
export function observeRunner(metrics: MetricsRegistry, runner: UnitRunner): () => void {
  const received = metrics.counter('modt_messages_received_total', 'Messages from the broker');
  const published = metrics.counter('modt_messages_published_total', 'Outputs the broker took');
  const recorded = metrics.counter('modt_records_stored_total', 'Records stored in the history');
  const dropped = metrics.counter('modt_messages_dropped_total', 'Messages and outputs dropped');
  const handler = metrics.histogram('modt_handler_seconds', 'Time a handler took, per message');
  const up = metrics.gauge('modt_unit_up', 'Whether a unit is connected (1) or not (0)');
  const unit = { unit: runner.unit.name };

  runner.on('received', (_: Received) => received.inc(unit));
  runner.on('handled', (done: Handled) => {
    handler.observe(unit, done.handlerMs / 1000);
    published.inc(unit, done.published);
    recorded.inc(unit, done.recorded);
  });
  runner.on('drop', ({ code }: Drop) => dropped.inc({ ...unit, code }));
  runner.on('ready', () => up.set(unit, 1));
  runner.on('down', () => up.set(unit, 0));
  return () => up.set(unit, 0);
}
