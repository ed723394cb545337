import type { HistoryEntry } from '../../router/index.ts';
import type { EventKind, HistoryEvent, HistoryEventKit } from './history-events.ts';
import type { Counters, LoginStory, LoginStoryKit } from './login-stories.ts';

/** What the admin narrowed the page to; empty fields pass everything. */
export interface MonitorFilter {
  /** An MQTT filter (`modt/dead/+`) or text the topic contains. */
  topic: string;
  /** A `user_id`: its logins and every message of their sessions. */
  user: string;
  /** The start of a `session_id`. */
  session: string;
}

/** One line of the table. */
export interface MonitorRow {
  id: string;
  at: number;
  topic: string;
  kind: EventKind;
  text: string;
  sessionId?: string;
  userId?: string;
  code?: string;
}

export interface ViewOptions {
  now: number;
  /** 0 is the newest page. */
  page: number;
  rowsPerPage: number;
  maxStories: number;
  maxSteps: number;
}

/** A story as shown: at most `maxSteps` steps, and how many more it has. */
export type ShownStory = LoginStory & { hiddenSteps: number };

/** Everything the page renders, bounded by the view options whatever the history holds. */
export interface MonitorView {
  counters: Counters;
  /** Newest first. */
  rows: MonitorRow[];
  page: number;
  pages: number;
  matched: number;
  /** The newest logins up to the page's newest row, newest first. */
  stories: ShownStory[];
}

/**
 * The page's window on the history: at most `maxHeld` records, newest first to go when
 * live records come and oldest when it is full, and the bounded view of them. Pure, and
 * portable like the kits it is given.
 */
export function conversationKit(events: HistoryEventKit, stories: LoginStoryKit) {
  const byId = (a: { id: string }, b: { id: string }) => events.compareIds(a.id, b.id);

  /**
   * Events of entries in id order (a record's own events share its id and keep their order);
   * a store gives them in order, so sorting is rare.
   */
  function eventsOf(entries: readonly HistoryEntry[], keep: (id: string) => boolean) {
    const found = entries.filter((entry) => keep(entry.id)).flatMap(events.eventsOf);
    const ordered = found.every((event, i) => i === 0 || byId(found[i - 1]!, event) <= 0);
    return ordered ? found : found.sort(byId);
  }

  class Conversation {
    #held: HistoryEvent[] = [];
    /** The stories of the held logins, kept up as records come, settled when shown. */
    #stories = new Map<string, LoginStory>();
    #maxHeld: number;
    #answerTtlMs: number;
    #olderStored = false;

    constructor(options: { maxHeld: number; answerTtlMs: number }) {
      this.#maxHeld = options.maxHeld;
      this.#answerTtlMs = options.answerTtlMs;
    }

    get size(): number {
      return this.#held.length;
    }

    get newestId(): string | undefined {
      return this.#held.at(-1)?.id;
    }

    get oldestId(): string | undefined {
      return this.#held[0]?.id;
    }

    /** Whether the store may hold records older than the oldest held. */
    get olderStored(): boolean {
      return this.#olderStored;
    }

    /** Starts again from the newest records (newest last); `more` if the store has older. */
    reset(entries: readonly HistoryEntry[], more: boolean): void {
      this.#held = [];
      this.#stories = new Map();
      this.#olderStored = more;
      this.addNewer(entries);
    }

    /** Adds what is newer than the newest held; the oldest go past `maxHeld`. */
    addNewer(entries: readonly HistoryEntry[]): number {
      const newest = this.newestId;
      const isNew = (id: string) => newest === undefined || events.compareIds(id, newest) > 0;
      const fresh = eventsOf(entries, isNew);
      for (const event of fresh) {
        this.#held.push(event);
        stories.addEvent(this.#stories, event);
      }
      const excess = this.#held.length - this.#maxHeld;
      if (excess > 0) this.#forgetOldest(excess);
      return fresh.length;
    }

    /** Adds what is older than the oldest held, as much as there is room for. */
    addOlder(entries: readonly HistoryEntry[], more: boolean): number {
      const oldest = this.oldestId;
      const isOld = (id: string) => oldest === undefined || events.compareIds(id, oldest) < 0;
      const older = eventsOf(entries, isOld);
      const room = Math.max(0, this.#maxHeld - this.#held.length);
      // Whole records only: one that does not fit in full stays in the store, for the next.
      let first = Math.max(0, older.length - room);
      while (first > 0 && first < older.length && older[first]!.id === older[first - 1]!.id) {
        first++;
      }
      const taken = older.slice(first);
      this.#held.unshift(...taken);
      this.#olderStored = more || taken.length < older.length;
      // Older logins claim messages already held: the stories are made again.
      this.#stories = new Map();
      for (const event of this.#held) stories.addEvent(this.#stories, event);
      return taken.length;
    }

    view(filter: MonitorFilter, options: ViewOptions): MonitorView {
      const all = this.#stories;
      const topic = filter.topic.trim();
      const user = filter.user.trim();
      const session = filter.session.trim().toLowerCase();
      const ownerOf = (event: HistoryEvent) => {
        if (event.userId !== undefined || event.sessionId === undefined) return event.userId;
        return all.get(event.sessionId)?.userId;
      };
      const passes = (sessionId: string | undefined, userId: string | undefined) =>
        (user === '' || userId === user) &&
        (session === '' || (sessionId ?? '').toLowerCase().startsWith(session));

      const filtering = topic !== '' || user !== '' || session !== '';
      const matched = !filtering ? this.#held : this.#held.filter((event) => {
        if (!events.topicMatches(topic, event.topic)) return false;
        return passes(event.sessionId, user === '' ? undefined : ownerOf(event));
      });
      const { rowsPerPage } = options;
      const pages = Math.max(1, Math.ceil(matched.length / rowsPerPage));
      const page = Math.min(Math.max(0, Math.floor(options.page)), pages - 1);
      const end = matched.length - page * rowsPerPage;
      const onPage = matched.slice(Math.max(0, end - rowsPerPage), end).reverse();
      const rows = onPage.map((event) => rowOf(event, ownerOf(event)));

      const shown = this.#shownStories(onPage[0]?.id, passes, options);
      const counters = stories.countersOf(matched);
      return { counters, rows, page, pages, matched: matched.length, stories: shown };
    }

    /** The newest logins that pass, up to the newest row shown, settled as of now. */
    #shownStories(
      newestRow: string | undefined,
      passes: (sessionId: string, userId: string) => boolean,
      options: ViewOptions,
    ): ShownStory[] {
      const shown: ShownStory[] = [];
      for (let i = this.#held.length - 1; i >= 0 && shown.length < options.maxStories; i--) {
        const event = this.#held[i]!;
        if (event.kind !== 'login' || event.sessionId === undefined) continue;
        if (newestRow !== undefined && events.compareIds(event.id, newestRow) > 0) continue;
        const story = this.#stories.get(event.sessionId);
        if (story === undefined || story.id !== event.id) continue;
        if (!passes(story.sessionId, story.userId)) continue;
        stories.settle(story, options.now, this.#answerTtlMs);
        const hiddenSteps = Math.max(0, story.steps.length - options.maxSteps);
        shown.push({ ...story, steps: story.steps.slice(0, options.maxSteps), hiddenSteps });
      }
      return shown;
    }

    /** Forgets the oldest `count` events, and the rest of a record whose events they begin. */
    #forgetOldest(count: number): void {
      const held = this.#held;
      while (count < held.length && held[count]!.id === held[count - 1]!.id) count++;
      for (const event of held.splice(0, count)) {
        if (event.kind !== 'login' || event.sessionId === undefined) continue;
        const story = this.#stories.get(event.sessionId);
        if (story?.id === event.id) this.#stories.delete(event.sessionId);
      }
      this.#olderStored = true;
    }
  }

  function rowOf(event: HistoryEvent, userId: string | undefined): MonitorRow {
    const row: MonitorRow = {
      id: event.id,
      at: event.at,
      topic: event.topic,
      kind: event.kind,
      text: event.text,
    };
    if (event.sessionId !== undefined) row.sessionId = event.sessionId;
    if (userId !== undefined) row.userId = userId;
    if (event.code !== undefined) row.code = event.code;
    return row;
  }

  return { Conversation };
}

export type ConversationKit = ReturnType<typeof conversationKit>;
export type Conversation = InstanceType<ConversationKit['Conversation']>;
