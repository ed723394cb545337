import {
  MAX_ANNOUNCED_PUSHES,
  type PushedRedirect,
  type RedirectPushed,
} from '../protocol/index.ts';
import type { Push } from './redirect-dispatcher.ts';

/**
 * How long the first push of an announcement waits for others. Per turn of the loop alone,
 * pushes at 8,000/s came one or two a turn and the announcements still cost a fifth of the
 * gateway's CPU per push; the history takes no harm from 10 ms.
 */
export const ANNOUNCE_EVERY_MS = 10;
/** An announcement of pushes goes out before its JSON could pass this, well under 64 KiB. */
export const ANNOUNCEMENT_BYTES = 24 * 1024;
/** `{"pushes":[`, `],"timestamp":"`, the timestamp and `"}`: 52 bytes, and some to spare. */
const FRAME_BYTES = 64;
/** What JSON writes as a six-byte escape (`\u001f`; `\ud800` when unpaired) for one unit. */
const ESCAPED_IN_JSON = /[\u0000-\u001f\ud800-\udfff]/;

/**
 * The `modt/gateway/pushed` announcements: each login's first push joins the others of the
 * next `everyMs`, and they go out as one message then, or at once when it is full (100
 * pushes, or JSON that could pass 24 KiB), or at `flush()`. An announcement per push was a
 * QoS 1 publish of its own, about a quarter of the gateway's CPU per push under load.
 */
export class PushAnnouncer {
  #pushes: PushedRedirect[] = [];
  #bytes = FRAME_BYTES;
  #timer: NodeJS.Timeout | undefined;
  #publish: (payload: string) => void;
  #now: () => number;
  #everyMs: number;

  constructor(publish: (payload: string) => void, now: () => number, everyMs = ANNOUNCE_EVERY_MS) {
    this.#publish = publish;
    this.#now = now;
    this.#everyMs = everyMs;
  }

  add(push: Push): void {
    // The keys, the UUID, the latency and a comma take at most 120 bytes besides the strings.
    const bytes = jsonBytesAtMost(push.url) + jsonBytesAtMost(push.appName) + 120;
    if (this.#bytes + bytes > ANNOUNCEMENT_BYTES) this.flush();
    const pushes = this.#pushes;
    pushes.push({
      session_id: push.sessionId,
      app_name: push.appName,
      redirect_url: push.url,
      latency_ms: Math.max(0, Math.round(push.latencyMs)),
    });
    this.#bytes += bytes;
    if (pushes.length === MAX_ANNOUNCED_PUSHES) this.flush();
    else if (pushes.length === 1) this.#timer = setTimeout(this.flush, this.#everyMs);
  }

  /** Announces what is waiting, now. */
  flush = (): void => {
    clearTimeout(this.#timer);
    if (this.#pushes.length === 0) return;
    const announced: RedirectPushed = {
      pushes: this.#pushes,
      timestamp: new Date(this.#now()).toISOString(),
    };
    this.#pushes = [];
    this.#bytes = FRAME_BYTES;
    this.#publish(JSON.stringify(announced));
  };
}

/**
 * A bound on the bytes of `text` as a JSON string, quotes left out: three a UTF-16 unit in
 * UTF-8 (a `"` or `\\` escaped is two), six where a unit may be escaped as `\u001f` is.
 */
function jsonBytesAtMost(text: string): number {
  return (ESCAPED_IN_JSON.test(text) ? 6 : 3) * text.length;
}
