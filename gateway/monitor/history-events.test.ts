import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ErrorCodes } from '../../protocol/index.ts';
import type { HistoryEntry } from '../../router/index.ts';
import { jsonRecord, loginRecords, withIds } from '../../test/support/index.ts';
import { historyEventKit } from './history-events.ts';

const { compareIds, eventsOf, topicMatches } = historyEventKit();
/** The one event of a record that makes one. */
const eventOf = (entry: HistoryEntry) => {
  const events = eventsOf(entry);
  assert.equal(events.length, 1);
  return events[0]!;
};
const SESSION = '6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f';
const AT = Date.UTC(2026, 11, 3, 10, 0, 0);

const entryOf = (topic: string, payload: unknown): HistoryEntry =>
  withIds([jsonRecord(topic, payload, AT)])[0]!;

describe('a history record read as an event', () => {
  const [login, ready, pushed] = withIds(
    loginRecords({ sessionId: SESSION, userId: 'alice', readyAfterMs: 5, pushedAfterMs: 7 }),
  );
  const display = { session_id: SESSION, app_name: 'dummy-app', title: 'Welcome', items: [] };

  const kinds: [name: string, entry: HistoryEntry, expected: object][] = [
    ['a login', login!, { kind: 'login', userId: 'alice', role: 'user', text: 'alice (user)' }],
    ['a display', entryOf('modt/app/display/dummy-app', display), {
      kind: 'display',
      appName: 'dummy-app',
    }],
    ['a display on another app\'s topic', entryOf('modt/app/display/other-app', display), {
      kind: 'other',
    }],
    ['a display on the old shared topic', entryOf('modt/app/display', display), {
      kind: 'other',
    }],
    ['a ready', ready!, { kind: 'ready', appName: 'dummy-app', sessionId: SESSION }],
    ['a push', pushed!, { kind: 'pushed', latencyMs: 7, sessionId: SESSION }],
    ['a message of another topic', entryOf('modt/chat/said', { hi: 1 }), { kind: 'other' }],
    ['a ready without redirect_url', entryOf('modt/app/ready', { session_id: SESSION }), {
      kind: 'other',
    }],
  ];
  for (const [name, entry, expected] of kinds) {
    test(`${name} is a ${(expected as { kind: string }).kind} event`, () => {
      const event = eventOf(entry);
      for (const [key, value] of Object.entries(expected)) {
        assert.equal(event[key as keyof typeof event], value, key);
      }
      assert.equal(event.id, entry.id);
      assert.equal(event.at, Date.parse(entry.received_at));
    });
  }

  test('a record that is not JSON is an other event with its decoding error', () => {
    const entry: HistoryEntry = {
      id: '1-0',
      received_at: new Date(AT).toISOString(),
      topic: 'modt/app/ready',
      payload: "{'session_id':1}",
      encoding: 'utf8',
      json: false,
      error: ErrorCodes.PAYLOAD_NOT_JSON,
    };
    const event = eventOf(entry);
    assert.equal(event.kind, 'other');
    assert.equal(event.code, ErrorCodes.PAYLOAD_NOT_JSON);
    assert.equal(event.text, "{'session_id':1}");
  });

  test('a dead letter is a drop with its reason, tied to the login its excerpt names', () => {
    const letter = {
      unit: 'gateway',
      topic: 'modt/app/ready',
      code: ErrorCodes.REDIRECT_NOT_ALLOWED,
      reason: 'redirect_url https://evil.example/ is not same-origin',
      excerpt: `{"session_id":"${SESSION}","redirect_url":"https://evil.example/"}`,
      excerpt_encoding: 'utf8',
      bytes: 80,
      timestamp: new Date(AT).toISOString(),
    };
    const event = eventOf(entryOf('modt/dead/gateway', letter));
    assert.equal(event.kind, 'drop');
    assert.equal(event.sessionId, SESSION);
    assert.equal(event.unit, 'gateway');
    assert.equal(event.code, ErrorCodes.REDIRECT_NOT_ALLOWED);
    assert.match(event.text, /gateway dropped modt\/app\/ready: MODT_ERR_REDIRECT_NOT_ALLOWED/);
  });

  test('an announcement of three pushes is three pushed events of its record, in order', () => {
    const sessions = [SESSION, SESSION.replace('6f1c', 'aaaa'), SESSION.replace('6f1c', 'bbbb')];
    const pushes = sessions.map((session_id, i) => ({
      session_id,
      app_name: `app-${i}`,
      redirect_url: `https://modt.example/apps/app-${i}/`,
      latency_ms: 10 + i,
    }));
    const entry = entryOf('modt/gateway/pushed', { pushes, timestamp: new Date(AT).toISOString() });
    const events = eventsOf(entry);
    assert.deepEqual(
      events.map((e) => [e.kind, e.id, e.sessionId, e.appName, e.latencyMs, e.url]),
      pushes.map((p) => [
        'pushed', entry.id, p.session_id, p.app_name, p.latency_ms, p.redirect_url,
      ]),
    );
  });

  test('an announcement\'s unreadable items are skipped; with none readable it is other', () => {
    const push = { session_id: SESSION, app_name: 'dummy-app', latency_ms: 3 };
    const timestamp = new Date(AT).toISOString();
    const mixed = entryOf('modt/gateway/pushed', { pushes: [7, null, { app_name: 'x' }, push],
      timestamp });
    assert.deepEqual(eventsOf(mixed).map((e) => [e.kind, e.sessionId]), [['pushed', SESSION]]);
    const none = entryOf('modt/gateway/pushed', { pushes: [{ session_id: SESSION }], timestamp });
    assert.deepEqual(eventsOf(none).map((e) => e.kind), ['other']);
  });

  test('a push recorded alone, as the gateway announced it before batching, is one push', () => {
    // The history keeps what was recorded before the gateway announced pushes in lists.
    const push = { session_id: SESSION, app_name: 'dummy-app', latency_ms: 3 };
    const one = entryOf('modt/gateway/pushed', { ...push, timestamp: new Date(AT).toISOString() });
    assert.deepEqual(eventsOf(one).map((e) => [e.kind, e.sessionId, e.latencyMs]),
      [['pushed', SESSION, 3]]);
  });

  test("the broker's drop count is an other event saying the history may have gaps", () => {
    const reading = (payload: string, encoding: 'utf8' | 'base64' = 'utf8'): HistoryEntry => ({
      id: '1-0',
      received_at: new Date(AT).toISOString(),
      topic: '$SYS/broker/publish/messages/dropped',
      payload,
      encoding,
      json: true,
    });
    const some = eventOf(reading('300'));
    assert.equal(some.kind, 'other');
    assert.match(some.text, /^the broker has dropped 300 messages since it started, .*may miss/);
    assert.equal(eventOf(reading('0')).text, 'the broker has dropped no message since it started');
    // Anything but a count is shown as it came.
    assert.equal(eventOf(reading('3e2')).text, '3e2');
    assert.equal(eventOf(reading('MzAw', 'base64')).text, 'base64 MzAw');
  });

  test("the broker's drop count is told as the number its digits say, in one or many", () => {
    const cases: [payload: string, told: string | RegExp][] = [
      ['1', /^the broker has dropped 1 message since it started, /],
      ['2', /^the broker has dropped 2 messages since it started, /],
      ['00', 'the broker has dropped no message since it started'],
      ['0007', /^the broker has dropped 7 messages since/],
      ['18446744073709551615', /^the broker has dropped 18446744073709551615 messages since/],
      [' 300', ' 300'],
      ['300\n', '300\n'],
      ['-5', '-5'],
      ['', ''],
      ['\u0663', '\u0663'],
    ];
    for (const [payload, told] of cases) {
      const event = eventOf({
        id: '1-0',
        received_at: new Date(AT).toISOString(),
        topic: '$SYS/broker/publish/messages/dropped',
        payload,
        encoding: 'utf8',
        json: true,
      });
      assert.equal(event.kind, 'other', JSON.stringify(payload));
      if (typeof told === 'string') assert.equal(event.text, told, JSON.stringify(payload));
      else assert.match(event.text, told, JSON.stringify(payload));
    }
  });

  test('a long payload is cut in the table text', () => {
    const event = eventOf(entryOf('modt/chat/said', { text: 'x'.repeat(1000) }));
    assert.ok(event.text.length <= 161, `${event.text.length} characters`);
  });
});

describe('the topic filter', () => {
  const cases: [filter: string, topic: string, matches: boolean][] = [
    ['', 'modt/app/ready', true],
    ['ready', 'modt/app/ready', true],
    ['ready', 'modt/auth/success', false],
    ['modt/dead/+', 'modt/dead/gateway', true],
    ['modt/dead/+', 'modt/dead', false],
    ['modt/dead/+', 'modt/dead/gateway/x', false],
    ['modt/#', 'modt/app/ready', true],
    ['modt/app/#', 'modt/auth/success', false],
    ['+/app/ready', 'modt/app/ready', true],
  ];
  for (const [filter, topic, matches] of cases) {
    test(`'${filter}' ${matches ? 'passes' : 'holds back'} ${topic}`, () => {
      assert.equal(topicMatches(filter, topic), matches);
    });
  }
});

describe('store ids', () => {
  const cases: [a: string, b: string, sign: number][] = [
    ['1000-0', '1000-1', -1],
    ['999-5', '1000-0', -1],
    ['1000-10', '1000-9', 1],
    ['1000-2', '1000-2', 0],
  ];
  for (const [a, b, sign] of cases) {
    test(`${a} compares to ${b} as ${sign}`, () => {
      assert.equal(Math.sign(compareIds(a, b)), sign);
    });
  }
});
