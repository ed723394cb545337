import type { HistoryEntry } from '../../router/index.ts';

/** What a message of the conversation was, as the monitor page tells it. */
export type EventKind = 'login' | 'display' | 'ready' | 'pushed' | 'drop' | 'other';

/** One history record, read once: what it says about which login. */
export interface HistoryEvent {
  id: string;
  /** When the monitor received it, in ms since the epoch; NaN when the record has no time. */
  at: number;
  topic: string;
  kind: EventKind;
  sessionId?: string;
  /** `login` only: who signed in, and as what. */
  userId?: string;
  role?: string;
  appName?: string;
  /** `ready` and `pushed`: the redirect_url. */
  url?: string;
  /** `pushed`: from the login to the push, on the gateway's clock. */
  latencyMs?: number;
  /** `drop`: the refusal's code; `other`: the record's own decoding error, if any. */
  code?: string;
  reason?: string;
  /** `drop`: the unit that refused, and the topic of what it refused. */
  unit?: string;
  droppedTopic?: string;
  /** One line for the table. */
  text: string;
}

/**
 * Reading history records into events. Runs in Node (tested) and in the browser: the page
 * script embeds this function's source, so it uses nothing from outside its own body.
 */
export function historyEventKit() {
  const EXCERPT_CHARS = 160;
  const BROKER_DROPPED = '$SYS/broker/publish/messages/dropped';
  const SESSION_IN_EXCERPT = /"session_id"\s*:\s*"([0-9a-fA-F-]{36})"/;

  const str = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value : undefined;

  /** Orders store ids, `<ms>-<seq>`, as that pair of numbers. */
  function compareIds(a: string, b: string): number {
    const [msA = 0, seqA = 0] = a.split('-').map(Number);
    const [msB = 0, seqB = 0] = b.split('-').map(Number);
    return msA - msB || seqA - seqB;
  }

  /**
   * Whether a topic passes the page's topic filter: an MQTT filter when it holds `+` or `#`
   * (MQTT 3.1.1 §4.7), else any topic that contains the text.
   */
  function topicMatches(filter: string, topic: string): boolean {
    if (filter === '') return true;
    if (!filter.includes('+') && !filter.includes('#')) return topic.includes(filter);
    const levels = filter.split('/');
    const names = topic.split('/');
    for (let i = 0; i < levels.length; i++) {
      if (levels[i] === '#') return true;
      if (i >= names.length) return false;
      if (levels[i] !== '+' && levels[i] !== names[i]) return false;
    }
    return levels.length === names.length;
  }

  function excerptOf(entry: HistoryEntry): string {
    const text = entry.encoding === 'base64' ? `base64 ${entry.payload}` : entry.payload;
    return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS)}…` : text;
  }

  function payloadOf(entry: HistoryEntry): Record<string, unknown> | undefined {
    if (!entry.json || entry.encoding !== 'utf8') return undefined;
    try {
      const value: unknown = JSON.parse(entry.payload);
      const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
      return isObject ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The events of one record, in its order: one, or one per redirect of an announcement
   * (`modt/gateway/pushed` names every push of its 10 ms). A record it cannot read as its
   * topic's message is one `other`. A push announced alone, as the gateway did before it
   * announced lists, is still stored: it is one push.
   */
  function eventsOf(entry: HistoryEntry): HistoryEvent[] {
    if (entry.topic !== 'modt/gateway/pushed') return [eventOf(entry)];
    const other = otherOf(entry);
    const p = payloadOf(entry);
    if (p === undefined) return [other];
    const base = baseOf(entry);
    if (!Array.isArray(p.pushes)) return [pushedOf(base, p) ?? other];
    const pushed: HistoryEvent[] = [];
    for (const push of p.pushes) {
      const event = pushedOf(base, push);
      if (event !== undefined) pushed.push(event);
    }
    return pushed.length > 0 ? pushed : [other];
  }

  function baseOf(entry: HistoryEntry): Pick<HistoryEvent, 'id' | 'at' | 'topic'> {
    return { id: entry.id, at: Date.parse(entry.received_at), topic: entry.topic };
  }

  function otherOf(entry: HistoryEntry): HistoryEvent {
    const other: HistoryEvent = { ...baseOf(entry), kind: 'other', text: excerptOf(entry) };
    if (entry.error) Object.assign(other, { code: entry.error });
    return other;
  }

  /** One redirect of an announcement, or undefined for an item that is none. */
  function pushedOf(base: Pick<HistoryEvent, 'id' | 'at' | 'topic'>, push: unknown) {
    if (typeof push !== 'object' || push === null) return undefined;
    const p = push as Record<string, unknown>;
    const sessionId = str(p.session_id);
    const appName = str(p.app_name);
    const latencyMs = typeof p.latency_ms === 'number' ? p.latency_ms : undefined;
    if (!sessionId || !appName || latencyMs === undefined) return undefined;
    const text = `redirect to ${appName}, ${latencyMs} ms after the login`;
    const url = str(p.redirect_url);
    const event: HistoryEvent = { ...base, kind: 'pushed', sessionId, appName, latencyMs, text };
    if (url !== undefined) event.url = url;
    return event;
  }

  /** The event of a record of any other topic. */
  function eventOf(entry: HistoryEntry): HistoryEvent {
    const base = baseOf(entry);
    const other = otherOf(entry);
    if (entry.topic === BROKER_DROPPED) return brokerDroppedOf(entry, other);
    const p = payloadOf(entry);
    if (p === undefined) return other;

    const sessionId = str(p.session_id);
    const appName = str(p.app_name);
    if (entry.topic === 'modt/auth/success') {
      const userId = str(p.user_id);
      const role = str(p.role) ?? '?';
      if (!sessionId || !userId) return other;
      return { ...base, kind: 'login', sessionId, userId, role, text: `${userId} (${role})` };
    }
    if (entry.topic.startsWith('modt/app/display/')) {
      // Each app shows its page on a topic of its own; one naming another app is refused by
      // the gateway, and the story shows it as it came, not as that app's display.
      if (!sessionId || !appName || entry.topic !== `modt/app/display/${appName}`) return other;
      const text = `${appName} shows “${str(p.title) ?? ''}”`;
      return { ...base, kind: 'display', sessionId, appName, text };
    }
    if (entry.topic === 'modt/app/ready') {
      const url = str(p.redirect_url);
      if (!sessionId || !appName || !url) return other;
      return { ...base, kind: 'ready', sessionId, appName, url, text: `${appName} → ${url}` };
    }
    if (entry.topic.startsWith('modt/dead/')) return dropOf(base, p) ?? other;
    return other;
  }

  /**
   * The broker's count of the messages it dropped for full queues (functions/monitor.ts),
   * over all its clients since it started: above zero, the history may miss up to that many.
   * Each record is read alone, so the same count read again at a reconnect is told again.
   * It is no login's, so it stays an `other`, told in words.
   */
  function brokerDroppedOf(entry: HistoryEntry, other: HistoryEvent): HistoryEvent {
    if (entry.encoding !== 'utf8' || !/^\d+$/.test(entry.payload)) return other;
    // Digits of any length, as a string: a count past 2^53 stays exact. `007` is seven.
    const count = entry.payload.replace(/^0+(?=\d)/, '');
    const none = 'the broker has dropped no message since it started';
    if (count === '0') return { ...other, text: none };
    const messages = count === '1' ? '1 message' : `${count} messages`;
    const text =
      `the broker has dropped ${messages} since it started, for clients whose ` +
      'queue was full: the history may miss some';
    return { ...other, text };
  }

  /** A dead letter (protocol `DeadLetter`), tied to a login when its excerpt names one. */
  function dropOf(base: Pick<HistoryEvent, 'id' | 'at' | 'topic'>, p: Record<string, unknown>) {
    const unit = str(p.unit) ?? base.topic.slice('modt/dead/'.length);
    const droppedTopic = str(p.topic);
    const code = str(p.code);
    if (!droppedTopic || !code) return undefined;
    const reason = str(p.reason) ?? '';
    const excerpt = p.excerpt_encoding === 'utf8' ? str(p.excerpt) ?? '' : '';
    const sessionId = SESSION_IN_EXCERPT.exec(excerpt)?.[1];
    const text = `${unit} dropped ${droppedTopic}: ${code} ${reason}`.trim();
    const event: HistoryEvent = { ...base, kind: 'drop', unit, droppedTopic, code, reason, text };
    if (sessionId) event.sessionId = sessionId;
    return event;
  }

  return { compareIds, topicMatches, eventsOf };
}

export type HistoryEventKit = ReturnType<typeof historyEventKit>;
