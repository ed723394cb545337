import { isUtf8 } from 'node:buffer';
import { deadLetterTopic, type DeadLetter, type ModtError } from '../protocol/index.ts';

export interface DeadLetterLimits {
  /** Letters a second, on average. */
  perSecond: number;
  /** Letters at once after a quiet spell. */
  burst: number;
}

export const DEFAULT_DEAD_LETTER_LIMITS: DeadLetterLimits = { perSecond: 10, burst: 50 };
const EXCERPT_BYTES = 200;

/**
 * Turns refused messages into dead letters for `modt/dead/<unit>`, at a bounded rate (a token
 * bucket), so a flood of bad input cannot become a flood on the bus; what it holds back it
 * counts. A dead letter is never made of a dead letter.
 */
export class DeadLetterBox {
  readonly topic: string;
  suppressed = 0;
  #unit: string;
  #limits: DeadLetterLimits;
  #tokens: number;
  #filledAt: number;

  constructor(
    unit: string,
    limits: DeadLetterLimits = DEFAULT_DEAD_LETTER_LIMITS,
    now = Date.now(),
  ) {
    this.#unit = unit;
    this.topic = deadLetterTopic(unit);
    this.#limits = limits;
    this.#tokens = limits.burst;
    this.#filledAt = now;
  }

  /** The letter for a refused message, or null when it is one itself or over the rate. */
  letterFor(topic: string, bytes: Uint8Array, error: ModtError, now: number): DeadLetter | null {
    if (topic.startsWith('modt/dead/')) return null;
    this.#refill(now);
    if (this.#tokens < 1) {
      this.suppressed += 1;
      return null;
    }
    this.#tokens -= 1;

    const head = Buffer.from(
      bytes.buffer,
      bytes.byteOffset,
      Math.min(bytes.byteLength, EXCERPT_BYTES),
    );
    // A cut inside a character leaves a replacement character at the end: dropped.
    const text = isUtf8(bytes) ? head.toString('utf8').replace(/\uFFFD$/, '') : null;
    return {
      unit: this.#unit,
      topic,
      code: error.code,
      reason: error.message.slice(0, 1000),
      excerpt: text ?? head.toString('base64'),
      excerpt_encoding: text === null ? 'base64' : 'utf8',
      bytes: bytes.byteLength,
      timestamp: new Date(now).toISOString(),
    };
  }

  #refill(now: number): void {
    const elapsed = Math.max(0, now - this.#filledAt) / 1000;
    this.#tokens = Math.min(this.#limits.burst, this.#tokens + elapsed * this.#limits.perSecond);
    this.#filledAt = now;
  }
}
