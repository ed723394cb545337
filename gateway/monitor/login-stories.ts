import type { EventKind, HistoryEvent } from './history-events.ts';

/**
 * Where a login's story stands: its redirect pushed; answered but not (yet) pushed; an
 * answer refused; still within its useful life with no answer; or past it with none.
 */
export type StoryState = 'pushed' | 'answered' | 'refused' | 'waiting' | 'unanswered';

/** One message in a login's story, timed by the monitor's receive times. */
export interface StoryStep {
  kind: Exclude<EventKind, 'other'>;
  id: string;
  sinceLoginMs: number;
  sincePreviousMs: number;
  text: string;
  appName?: string;
  /** `ready`: whether its redirect is the one the gateway pushed (first valid answer wins). */
  won?: boolean;
  /** `pushed`: login to push on the gateway's clock. */
  latencyMs?: number;
  code?: string;
}

/** One login from its `modt/auth/success` on. */
export interface LoginStory {
  sessionId: string;
  userId: string;
  role: string;
  /** The login record's id and receive time. */
  id: string;
  at: number;
  steps: StoryStep[];
  state: StoryState;
  answers: number;
  /** Login to push as the gateway measured it, once pushed. */
  latencyMs?: number;
}

/** The page's counters over a set of events. */
export interface Counters {
  logins: number;
  answers: number;
  pushes: number;
  drops: number;
  /** Login to redirect, nearest rank; null with no push. */
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * Building each login's story, and the counters, from events. Pure; like
 * `historyEventKit`, its source runs in the page too, so it uses nothing from outside.
 */
export function loginStoryKit() {
  const elapsed = (from: number, to: number) => (Number.isFinite(to - from) ? to - from : 0);

  /** The nearest-rank percentile `p` (0 to 100) of some values; null for none. */
  function percentile(values: readonly number[], p: number): number | null {
    if (values.length === 0) return null;
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
    return sorted[Math.min(rank, sorted.length) - 1] ?? null;
  }

  function countersOf(events: readonly HistoryEvent[]): Counters {
    const counters = { logins: 0, answers: 0, pushes: 0, drops: 0 };
    const latencies: number[] = [];
    for (const event of events) {
      if (event.kind === 'login') counters.logins += 1;
      else if (event.kind === 'ready') counters.answers += 1;
      else if (event.kind === 'drop') counters.drops += 1;
      else if (event.kind === 'pushed') {
        counters.pushes += 1;
        if (event.latencyMs !== undefined) latencies.push(event.latencyMs);
      }
    }
    return { ...counters, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  }

  /**
   * A message as a step of a story, timed from the login and from the step before, all by
   * the monitor's receive times, one clock. A push also keeps its `latency_ms`, the
   * gateway's own measure from the login to the moment it pushed.
   */
  function stepOf(event: HistoryEvent, story: LoginStory): StoryStep | undefined {
    if (event.kind === 'other') return undefined;
    const sinceLoginMs = elapsed(story.at, event.at);
    const previous = story.steps.at(-1)?.sinceLoginMs ?? 0;
    const step: StoryStep = {
      kind: event.kind,
      id: event.id,
      sinceLoginMs,
      sincePreviousMs: Math.max(0, sinceLoginMs - previous),
      text: event.text,
    };
    if (event.appName !== undefined) step.appName = event.appName;
    if (event.latencyMs !== undefined) step.latencyMs = event.latencyMs;
    if (event.code !== undefined) step.code = event.code;
    return step;
  }

  function storyOf(login: HistoryEvent, sessionId: string): LoginStory {
    const { id, at, text } = login;
    return {
      sessionId,
      userId: login.userId ?? '?',
      role: login.role ?? '?',
      id,
      at,
      steps: [{ kind: 'login', id, sinceLoginMs: 0, sincePreviousMs: 0, text }],
      state: 'waiting',
      answers: 0,
    };
  }

  /** Where a story stands now, with its winning answer marked. */
  function settle(story: LoginStory, now: number, answerTtlMs: number): void {
    const pushed = story.steps.find((step) => step.kind === 'pushed');
    const readies = story.steps.filter((step) => step.kind === 'ready');
    const winner = readies.find((step) => step.appName === pushed?.appName);
    // Only a push says which answer won; before it, no answer has lost.
    for (const ready of readies) {
      if (pushed) ready.won = ready === winner;
      else delete ready.won;
    }
    story.answers = readies.length;
    if (pushed?.latencyMs !== undefined) story.latencyMs = pushed.latencyMs;

    if (pushed) story.state = 'pushed';
    else if (story.steps.some((step) => step.kind === 'drop')) story.state = 'refused';
    else if (readies.length > 0) story.state = 'answered';
    else if (elapsed(story.at, now) <= answerTtlMs) story.state = 'waiting';
    else story.state = 'unanswered';
  }

  /**
   * Adds one event, newer than all added before, to the stories by `session_id`: a login
   * starts one, a message of a login in the map joins its story, any other is left out.
   * The stories are settled when shown.
   */
  function addEvent(stories: Map<string, LoginStory>, event: HistoryEvent): void {
    if (event.sessionId === undefined) return;
    const story = stories.get(event.sessionId);
    if (event.kind === 'login' && story === undefined) {
      stories.set(event.sessionId, storyOf(event, event.sessionId));
      return;
    }
    if (story === undefined || event.kind === 'login') return;
    const step = stepOf(event, story);
    if (step) story.steps.push(step);
  }

  /** The settled story of every login among `events` (oldest first), in login order. */
  function storiesOf(events: readonly HistoryEvent[], now: number, answerTtlMs: number) {
    const stories = new Map<string, LoginStory>();
    for (const event of events) addEvent(stories, event);
    for (const story of stories.values()) settle(story, now, answerTtlMs);
    return stories;
  }

  return { percentile, countersOf, addEvent, settle, storiesOf };
}

export type LoginStoryKit = ReturnType<typeof loginStoryKit>;
