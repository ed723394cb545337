import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { HistoryEntry, HistoryRecord } from '../../router/index.ts';
import { jsonRecord, loginRecords, withIds } from '../../test/support/index.ts';
import { conversationKit, type MonitorFilter, type ViewOptions } from './conversation.ts';
import { historyEventKit } from './history-events.ts';
import { loginStoryKit } from './login-stories.ts';

const { Conversation } = conversationKit(historyEventKit(), loginStoryKit());
const AT = Date.UTC(2026, 11, 3, 10, 0, 0);
const ALL: MonitorFilter = { topic: '', user: '', session: '' };
const VIEW: ViewOptions = { now: AT, page: 0, rowsPerPage: 50, maxStories: 20, maxSteps: 8 };

/** `count` logins, each answered and pushed, as stored entries (three records each). */
function pushedLogins(count: number, userOf = (i: number) => `user-${i % 3}`): HistoryEntry[] {
  const records: HistoryRecord[] = [];
  for (let i = 0; i < count; i++) {
    const at = AT + i * 10;
    records.push(...loginRecords({ userId: userOf(i), at, readyAfterMs: 2, pushedAfterMs: 3 }));
  }
  return withIds(records);
}

function conversationOf(entries: HistoryEntry[], maxHeld = 100_000) {
  const conversation = new Conversation({ maxHeld, answerTtlMs: 30_000 });
  conversation.reset(entries, false);
  return conversation;
}

const ids = (rows: { id: string }[]) => rows.map((row) => Number(row.id.split('-')[0]));

describe('the page window on the history', () => {
  test('rows come newest first, a page at a time, down to the oldest', () => {
    const conversation = conversationOf(withIds(Array.from({ length: 120 }, (_, i) =>
      jsonRecord('modt/chat/said', { i }, AT + i))));

    const first = conversation.view(ALL, VIEW);
    assert.equal(first.pages, 3);
    assert.deepEqual(ids(first.rows).slice(0, 2), [1119, 1118]);
    assert.equal(first.rows.length, 50);
    const last = conversation.view(ALL, { ...VIEW, page: 2 });
    assert.deepEqual(ids(last.rows), Array.from({ length: 20 }, (_, i) => 1019 - i));
    assert.equal(conversation.view(ALL, { ...VIEW, page: 9 }).page, 2);
  });

  test('it never holds more than maxHeld: live records push the oldest out', () => {
    const conversation = conversationOf(pushedLogins(10), 40);
    assert.equal(conversation.olderStored, false);

    const added = conversation.addNewer(withIds(loginRecords({ at: AT + 500 }), 5000));
    assert.equal(added, 1);
    const later = pushedLogins(20).map((e) => ({ ...e, id: `9${e.id}` }));
    assert.equal(conversation.addNewer(later), 60);
    assert.equal(conversation.size, 40);
    assert.equal(conversation.olderStored, true);
  });

  test('records already held are not added twice', () => {
    const entries = pushedLogins(5);
    const conversation = conversationOf(entries);
    assert.equal(conversation.addNewer(entries.slice(-3)), 0);
    assert.equal(conversation.addOlder(entries.slice(0, 3), false), 0);
    assert.equal(conversation.size, 15);
  });

  test('older records go in front, as many as there is room for', () => {
    const entries = pushedLogins(10);
    const conversation = conversationOf(entries.slice(20), 25);
    assert.equal(conversation.addOlder(entries.slice(0, 20), false), 15);
    assert.equal(conversation.oldestId, entries[5]!.id);
    assert.equal(conversation.olderStored, true);
  });
});

describe('a record of several pushes in the window', () => {
  const announcement = (at: number) => {
    const pushes = [1, 2, 3].map((i) => ({
      session_id: `6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6${i}`,
      app_name: 'dummy-app',
      redirect_url: 'http://127.0.0.1:8080/apps/dummy-app/',
      latency_ms: i,
    }));
    return jsonRecord('modt/gateway/pushed', { pushes, timestamp: new Date(at).toISOString() }, at);
  };
  const chat = (i: number) => jsonRecord('modt/chat/said', { i }, AT + i);

  test('is a row per push, all with its id', () => {
    const conversation = conversationOf(withIds([chat(0), announcement(AT + 1), chat(2)]));
    const rows = conversation.view(ALL, VIEW).rows;
    assert.deepEqual(rows.map((r) => [r.kind, r.id]), [
      ['other', '1002-0'], ['pushed', '1001-0'], ['pushed', '1001-0'], ['pushed', '1001-0'],
      ['other', '1000-0'],
    ]);
  });

  test('goes out of a full window whole, never some of its pushes', () => {
    const conversation = conversationOf(withIds([announcement(AT + 1), chat(2)]), 4);
    conversation.addNewer(withIds([chat(5)], 2000));
    // Making room for one more event would have cut the announcement; it went whole.
    assert.deepEqual(conversation.view(ALL, VIEW).rows.map((r) => r.id), ['2000-0', '1001-0']);
    assert.equal(conversation.oldestId, '1001-0');
  });

  test('comes back into the window from the store whole, or not at all', () => {
    const entries = withIds([chat(0), announcement(AT + 1), chat(2)]);
    const conversation = conversationOf(entries.slice(2), 3);
    assert.equal(conversation.addOlder(entries.slice(0, 2), false), 0);
    assert.equal(conversation.olderStored, true);
    const roomy = conversationOf(entries.slice(2), 4);
    assert.equal(roomy.addOlder(entries.slice(0, 2), false), 3);
    assert.equal(roomy.oldestId, '1001-0');
  });
});

describe('the filters', () => {
  const entries = pushedLogins(30);
  const conversation = conversationOf(entries);

  const cases: [name: string, filter: Partial<MonitorFilter>, rows: number, logins: number][] = [
    ['no filter', {}, 90, 30],
    ['an MQTT topic filter', { topic: 'modt/+/ready' }, 30, 0],
    ['text in the topic', { topic: 'gateway' }, 30, 0],
    ['a user: their logins and every message of their sessions', { user: 'user-1' }, 30, 10],
    ['an unknown user', { user: 'nobody' }, 0, 0],
    ['a user and a topic', { user: 'user-2', topic: 'auth' }, 10, 10],
  ];
  for (const [name, filter, rows, logins] of cases) {
    test(`${name} leaves ${rows} messages and ${logins} logins`, () => {
      const view = conversation.view({ ...ALL, ...filter }, { ...VIEW, rowsPerPage: 1000 });
      assert.equal(view.matched, rows);
      assert.equal(view.rows.length, rows);
      assert.equal(view.counters.logins, logins);
    });
  }

  test('the start of a session_id, in any case, leaves that login and its messages', () => {
    const sessionId = JSON.parse(entries[0]!.payload).session_id as string;
    const filter = { ...ALL, session: sessionId.slice(0, 8).toUpperCase() };
    const view = conversation.view(filter, VIEW);
    assert.deepEqual(view.rows.map((row) => row.sessionId), Array(3).fill(sessionId));
    assert.deepEqual(view.stories.map((story) => story.sessionId), [sessionId]);
  });

  test('every row of a user filter names that user', () => {
    const view = conversation.view({ ...ALL, user: 'user-0' }, VIEW);
    assert.ok(view.rows.every((row) => row.userId === 'user-0'));
    assert.ok(view.stories.every((story) => story.userId === 'user-0'));
  });
});

describe('the view stays bounded', () => {
  test('twenty thousand held records give at most a page of rows and of stories', (t) => {
    const conversation = conversationOf(pushedLogins(7000), 20_000);
    assert.equal(conversation.size, 20_000);

    const started = performance.now();
    const view = conversation.view(ALL, VIEW);
    t.diagnostic(`view of 20,000 records: ${(performance.now() - started).toFixed(1)} ms`);
    assert.equal(view.rows.length, 50);
    assert.equal(view.stories.length, 20);
    assert.equal(view.pages, 400);
    // The 1,000 oldest of 21,000 records went: 333 whole logins and one more login's start.
    assert.equal(view.counters.pushes, 7000 - 333);
  });

  test('stories are the newest logins up to the newest row shown, newest first', () => {
    const conversation = conversationOf(pushedLogins(100));
    const newest = conversation.view(ALL, { ...VIEW, maxStories: 3 });
    assert.deepEqual(newest.stories.map((s) => s.at), [AT + 990, AT + 980, AT + 970]);

    const older = conversation.view(ALL, { ...VIEW, maxStories: 3, page: 4 });
    const newestRow = Number(older.rows[0]!.id.split('-')[0]);
    assert.ok(older.stories.every((s) => Number(s.id.split('-')[0]) <= newestRow));
    assert.equal(older.stories.length, 3);
  });

  test('a story shows at most maxSteps steps and says how many more it has', () => {
    const [login] = loginRecords({ at: AT });
    const sessionId = JSON.parse(login!.payload).session_id;
    const readies = Array.from({ length: 12 }, (_, i) => jsonRecord('modt/app/ready', {
      session_id: sessionId, app_name: `app-${i}`, redirect_url: 'http://x.test/',
    }, AT + i));
    const conversation = conversationOf(withIds([login!, ...readies]));

    const [story] = conversation.view(ALL, VIEW).stories;
    assert.equal(story?.steps.length, 8);
    assert.equal(story.hiddenSteps, 5);
  });
});
