import type { EventEmitter } from 'node:events';

/** How long a test waits for something unless it says otherwise: long, for a busy machine. */
export const DEFAULT_WAIT_MS = 5000;

/**
 * Items that arrive at their own pace (messages, events) for a test to take in order: each
 * `next` takes the oldest not yet taken, waiting for it when there is none.
 */
export class AsyncQueue<T> {
  /** Every item so far, taken or not. */
  readonly all: T[] = [];
  #waiting: T[] = [];
  #wake: (() => void) | undefined;
  #what: string;
  #describe: (item: T) => string;

  /** `what` names the items in errors; `describe` shows one. */
  constructor(what: string, describe: (item: T) => string = (item) => JSON.stringify(item)) {
    this.#what = what;
    this.#describe = describe;
  }

  push(item: T): void {
    this.all.push(item);
    this.#waiting.push(item);
    this.#wake?.();
  }

  /** The oldest item not yet taken; rejects if none comes within `timeoutMs`. */
  async next(timeoutMs = DEFAULT_WAIT_MS): Promise<T> {
    if (this.#waiting.length === 0 && !(await this.#arrival(timeoutMs))) {
      throw new Error(`no ${this.#what} within ${timeoutMs} ms`);
    }
    return this.#waiting.shift()!;
  }

  /** Resolves after `ms` if nothing came meanwhile; rejects, naming what came, if it did. */
  async expectNothing(ms: number): Promise<void> {
    if (this.#waiting.length === 0) await this.#arrival(ms);
    const item = this.#waiting[0];
    if (item === undefined) return;
    throw new Error(`expected no ${this.#what}, got ${this.#describe(item)}`);
  }

  #arrival(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const settle = (arrived: boolean) => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(arrived);
      };
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.#wake = () => settle(true);
    });
  }
}

/** Queues every `event` the emitter emits (its first argument) from now on. */
export function queueEvents<T>(emitter: EventEmitter, event: string): AsyncQueue<T> {
  const queue = new AsyncQueue<T>(`'${event}' event`);
  emitter.on(event, (item: T) => queue.push(item));
  return queue;
}
