import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { ErrorCodes } from '../../protocol/index.ts';
import type { HistoryRecord } from '../../router/index.ts';
import { jsonRecord, loginRecords, withIds } from '../../test/support/index.ts';
import { historyEventKit } from './history-events.ts';
import { loginStoryKit } from './login-stories.ts';

const events = historyEventKit();
const { countersOf, percentile, storiesOf } = loginStoryKit();
const AT = Date.UTC(2026, 11, 3, 10, 0, 0);
const TTL_MS = 30_000;

const eventsOf = (records: HistoryRecord[]) => withIds(records).flatMap(events.eventsOf);

/** The stories of these records, `nowMs` after the first login. */
function storiesAt(records: HistoryRecord[], nowMs = 1000) {
  return [...storiesOf(eventsOf(records), AT + nowMs, TTL_MS).values()];
}

function readyOf(sessionId: string, appName: string, afterMs: number): HistoryRecord {
  const url = `http://x.test/${appName}/`;
  const ready = { session_id: sessionId, redirect_url: url, app_name: appName };
  return jsonRecord('modt/app/ready', ready, AT + afterMs);
}

describe('the story of a login', () => {
  test('a login, its display, its ready and its push are one story, in order, timed', () => {
    const sessionId = randomUUID();
    const [login, ready, pushed] = loginRecords({
      sessionId, at: AT, readyAfterMs: 12, pushedAfterMs: 15,
    });
    const display = { session_id: sessionId, app_name: 'dummy-app', title: 'Hi', items: [] };
    const shown = jsonRecord('modt/app/display/dummy-app', display, AT + 10);
    const records = [login!, shown, ready!, pushed!];

    const [story, ...others] = storiesAt(records);
    assert.equal(others.length, 0);
    assert.equal(story?.state, 'pushed');
    assert.equal(story.userId, 'demo');
    assert.equal(story.latencyMs, 15);
    assert.deepEqual(
      story.steps.map((s) => [s.kind, s.sinceLoginMs, s.sincePreviousMs]),
      [['login', 0, 0], ['display', 10, 10], ['ready', 12, 2], ['pushed', 15, 3]],
    );
    assert.equal(story.steps[2]?.won, true);
  });

  const unanswered: [nowMs: number, state: string][] = [
    [0, 'waiting'],
    [TTL_MS, 'waiting'],
    [TTL_MS + 1, 'unanswered'],
  ];
  for (const [nowMs, state] of unanswered) {
    test(`a login with no answer ${nowMs} ms after it is ${state}`, () => {
      const [story] = storiesAt(loginRecords({ at: AT }), nowMs);
      assert.equal(story?.state, state);
      assert.equal(story.answers, 0);
    });
  }

  test('a login answered but not yet pushed is answered, its answer neither won nor lost', () => {
    const [story] = storiesAt(loginRecords({ at: AT, readyAfterMs: 5 }));
    assert.equal(story?.state, 'answered');
    assert.equal(story.answers, 1);
    assert.equal(story.steps[1]?.won, undefined);
  });

  test('the answer the gateway pushed wins; a later answer is in the story, not pushed', () => {
    const sessionId = randomUUID();
    const records = [
      ...loginRecords({ sessionId, at: AT, readyAfterMs: 5, pushedAfterMs: 6 }),
      readyOf(sessionId, 'slow-app', 40),
    ];
    const [story] = storiesAt(records);
    const readies = story!.steps.filter((s) => s.kind === 'ready');
    const answers = readies.map((s) => [s.appName, s.won]);
    assert.deepEqual(answers, [['dummy-app', true], ['slow-app', false]]);
    assert.equal(story!.answers, 2);
  });

  test('a dead letter naming the login is in its story with its reason: refused', () => {
    const sessionId = randomUUID();
    const letter = {
      unit: 'gateway',
      topic: 'modt/app/ready',
      code: ErrorCodes.REDIRECT_NOT_ALLOWED,
      reason: 'not same-origin',
      excerpt: JSON.stringify({ session_id: sessionId }),
      excerpt_encoding: 'utf8',
      bytes: 50,
      timestamp: new Date(AT + 5).toISOString(),
    };
    const records = [
      ...loginRecords({ sessionId, at: AT, readyAfterMs: 4 }),
      jsonRecord('modt/dead/gateway', letter, AT + 5),
    ];
    const [story] = storiesAt(records);
    assert.equal(story?.state, 'refused');
    const drop = story.steps.at(-1);
    assert.equal(drop?.kind, 'drop');
    assert.equal(drop.code, ErrorCodes.REDIRECT_NOT_ALLOWED);
    assert.match(drop.text, /not same-origin/);
  });

  test('a message whose login is not among the records belongs to no story', () => {
    const [, ready] = loginRecords({ at: AT, readyAfterMs: 5 });
    assert.deepEqual(storiesAt([ready!]), []);
  });

  test('a login recorded twice (redelivered) is one story', () => {
    const [login] = loginRecords({ at: AT });
    const stories = storiesAt([login!, { ...login!, redelivered: true }]);
    assert.equal(stories.length, 1);
    assert.equal(stories[0]?.steps.length, 1);
  });
});

describe('the counters', () => {
  test('they count logins, answers, pushes and drops, with p50 and p99 to the redirect', () => {
    const records: HistoryRecord[] = [];
    for (let i = 1; i <= 100; i++) {
      records.push(...loginRecords({ at: AT + i, readyAfterMs: i - 1, pushedAfterMs: i }));
    }
    records.push(...loginRecords({ at: AT }));
    const letter = { unit: 'gateway', topic: 'modt/app/ready', code: 'MODT_ERR_PAYLOAD_INVALID' };
    records.push(jsonRecord('modt/dead/gateway', letter, AT));

    const counters = countersOf(eventsOf(records));
    assert.deepEqual(counters, {
      logins: 101, answers: 100, pushes: 100, drops: 1, p50Ms: 50, p99Ms: 99,
    });
  });

  test('with no push there is no p50 or p99', () => {
    const counters = countersOf(eventsOf(loginRecords({ at: AT })));
    assert.equal(counters.p50Ms, null);
    assert.equal(counters.p99Ms, null);
  });

  const ranks: [values: number[], p: number, expected: number | null][] = [
    [[], 50, null],
    [[7], 99, 7],
    [[3, 1, 2], 50, 2],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 99, 4],
    [[5, 1], 0, 1],
  ];
  for (const [values, p, expected] of ranks) {
    test(`the p${p} of [${values.join(', ')}] is ${expected}`, () => {
      assert.equal(percentile(values, p), expected);
    });
  }
});
