import assert from 'node:assert/strict';
import { test } from 'node:test';
import { delayOfEntry, delaysByTenth, slopePerSecond, type Delay } from './store-delay.ts';

const TOPIC = 'modt/auth/success';

function entry(publishedAt: number, receivedAfter: number, storedAfter: number) {
  const timestamp = new Date(publishedAt).toISOString();
  const payload = JSON.stringify({ session_id: 'x', timestamp });
  const receivedAt = new Date(publishedAt + receivedAfter).toISOString();
  const fields = ['received_at', receivedAt, 'topic', TOPIC, 'payload', payload, 'json', '1'];
  return { id: `${publishedAt + storedAfter}-0`, fields };
}

/** A run of `seconds` at `perSecond`, each record stored `delay(t)` ms after its publish. */
function run(seconds: number, perSecond: number, delay: (tSeconds: number) => number): Delay[] {
  const start = Date.parse('2026-12-03T12:00:00.000Z');
  return Array.from({ length: seconds * perSecond }, (_, i) => {
    const at = start + Math.floor((i * 1000) / perSecond);
    const ms = Math.round(delay((at - start) / 1000));
    return { publishedAt: at, receivedMs: ms - 1, storedMs: ms };
  });
}

test('an entry gives its publish time, and the times to received and to stored', () => {
  const { id, fields } = entry(1_000_000, 7, 9);
  assert.deepEqual(delayOfEntry(id, fields, TOPIC), {
    publishedAt: 1_000_000,
    receivedMs: 7,
    storedMs: 9,
  });
});

test('an entry of another topic gives no delay', () => {
  const { id, fields } = entry(1_000_000, 7, 9);
  fields[3] = '$SYS/broker/publish/messages/dropped';
  assert.equal(delayOfEntry(id, fields, TOPIC), undefined);
});

test('a steady delay has no slope, and a backlog that grows has its growth as the slope', () => {
  const steady = delaysByTenth(run(5, 200, () => 4), (d) => d.storedMs);
  assert.deepEqual(steady, Array(10).fill(4));
  assert.equal(slopePerSecond(steady, 500), 0);

  // Offered 1,000/s to a consumer of 800/s: each second adds 250 ms to the delay.
  const growing = delaysByTenth(run(5, 200, (t) => 3 + 250 * t), (d) => d.storedMs);
  assert.ok(Math.abs(slopePerSecond(growing, 500) - 250) < 5, `slope of ${growing}`);
});

test('one stall in a tenth moves the median of that tenth, not the slope past noise', () => {
  const stalled = delaysByTenth(
    run(5, 200, (t) => (t > 2 && t < 2.1 ? 400 : 5)),
    (d) => d.storedMs,
  );
  assert.ok(Math.abs(slopePerSecond(stalled, 500)) < 20, `slope of ${stalled}`);
});

test('a delay below -5 ms, a clock that stepped, makes every tenth unknown', () => {
  const stepped = run(1, 100, (t) => (t > 0.5 ? -900 : 3));
  const tenths = delaysByTenth(stepped, (d) => d.storedMs);
  assert.ok(tenths.every(Number.isNaN));
  assert.ok(Number.isNaN(slopePerSecond(tenths, 100)));
});

test('a clock stepped back, which Redis ids do not follow, makes every tenth unknown', () => {
  // Redis keeps each id above the last: the stored times stand still, and never go below
  // the publish times; the monitor's receive times do.
  const stepped = run(1, 100, () => 3).map((d, i) =>
    i === 50 ? { ...d, receivedMs: -897, storedMs: 3 } : d,
  );
  assert.ok(delaysByTenth(stepped, (d) => d.storedMs).every(Number.isNaN));
});

test('a copy delivered again at the end, published before others, falls in its tenth', () => {
  const delays = run(1, 100, () => 3);
  delays.push({ ...delays[40]!, receivedMs: 900, storedMs: 901 });
  const tenths = delaysByTenth(delays, (d) => d.storedMs);
  assert.deepEqual(tenths, Array(10).fill(3));
});

test('a tenth in which nothing was published leaves the slope to the other nine', () => {
  const gap = run(5, 200, (t) => 3 + 250 * t).filter((d, i) => i < 500 || i >= 600);
  const tenths = delaysByTenth(gap, (d) => d.storedMs);
  assert.ok(Number.isNaN(tenths[5]!), `tenths ${tenths}`);
  assert.ok(Math.abs(slopePerSecond(tenths, 500) - 250) < 5, `slope of ${tenths}`);
});
