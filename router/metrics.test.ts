import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsRegistry } from './metrics.ts';

test('a counter renders with its help, its type and one line per label set', () => {
  const metrics = new MetricsRegistry();
  const received = metrics.counter('modt_messages_received_total', 'Messages taken');
  received.inc({ unit: 'a' });
  received.inc({ unit: 'a' });
  received.inc({ unit: 'b' }, 5);
  assert.equal(
    metrics.render(),
    [
      '# HELP modt_messages_received_total Messages taken',
      '# TYPE modt_messages_received_total counter',
      'modt_messages_received_total{unit="a"} 2',
      'modt_messages_received_total{unit="b"} 5',
      '',
    ].join('\n'),
  );
});

test('one label set is one sample, whatever the order of its labels', () => {
  const metrics = new MetricsRegistry();
  const dropped = metrics.counter('dropped_total', 'Dropped');
  dropped.inc({ unit: 'a', code: 'X' });
  dropped.inc({ code: 'X', unit: 'a' });
  assert.match(metrics.render(), /^dropped_total\{unit="a",code="X"\} 2$/m);
});

test('a histogram counts into cumulative buckets with its sum and count', () => {
  const metrics = new MetricsRegistry();
  const handler = metrics.histogram('handler_seconds', 'Handler time', [0.001, 0.01]);
  for (const seconds of [0.0005, 0.005, 0.5]) handler.observe({ unit: 'a' }, seconds);
  const lines = metrics.render().split('\n');
  assert.deepEqual(lines.slice(2, 7), [
    'handler_seconds_bucket{unit="a",le="0.001"} 1',
    'handler_seconds_bucket{unit="a",le="0.01"} 2',
    'handler_seconds_bucket{unit="a",le="+Inf"} 3',
    'handler_seconds_sum{unit="a"} 0.5055',
    'handler_seconds_count{unit="a"} 3',
  ]);
});

test('a gauge and a mirrored counter take their values when scraped', () => {
  const metrics = new MetricsRegistry();
  const stats = { sessions: 1, pushes: 0 };
  const sessions = metrics.gauge('sessions', 'Sessions held');
  const pushes = metrics.counter('pushes_total', 'Pushes');
  metrics.onCollect(() => {
    sessions.set({}, stats.sessions);
    pushes.mirror({}, stats.pushes);
  });
  stats.sessions = 3;
  stats.pushes = 7;
  assert.match(metrics.render(), /^sessions 3$/m);
  assert.match(metrics.render(), /^pushes_total 7$/m);
});

test('label values are escaped as the text format says', () => {
  const metrics = new MetricsRegistry();
  metrics.counter('c_total', 'A "help"\nline').inc({ reason: 'a "quoted"\\ \nvalue' });
  const text = metrics.render();
  assert.match(text, /^# HELP c_total A "help"\\nline$/m);
  assert.ok(text.includes('c_total{reason="a \\"quoted\\"\\\\ \\nvalue"} 1'));
});

test('asking twice for a name gives the same family, and another kind is refused', () => {
  const metrics = new MetricsRegistry();
  assert.equal(metrics.counter('x_total', 'X'), metrics.counter('x_total', 'X'));
  assert.throws(() => metrics.gauge('x_total', 'X'), /x_total is a counter, asked for as a gauge/);
  assert.throws(() => metrics.counter('bad name', 'X'), /not valid/);
});
