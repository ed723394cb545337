export interface AttemptLimits {
  /** Attempts one key may make in one window. */
  maxAttempts: number;
  windowMs: number;
  /** Keys remembered at most; past it the oldest window is forgotten first. */
  maxKeys: number;
}

/** What `record` counted, so a success can give back exactly that attempt. */
export interface AttemptTicket {
  key: string;
  windowEndsAt: number;
}

interface Window {
  count: number;
  endsAt: number;
}

/**
 * Counts attempts per key (a client address, a username) in fixed windows. A window starts
 * at a key's first attempt and lasts `windowMs`; all windows have one length, so Map order
 * is also the order in which they end, and expiry and eviction both take from the front.
 */
export class AttemptLimiter {
  #windows = new Map<string, Window>();
  #limits: AttemptLimits;

  constructor(limits: AttemptLimits) {
    this.#limits = limits;
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#windows.size;
  }

  /** How long `key` must wait before its next attempt; 0 when it may try now. */
  waitMs(key: string, now: number): number {
    const window = this.#live(key, now);
    if (window === undefined || window.count < this.#limits.maxAttempts) return 0;
    return window.endsAt - now;
  }

  /** Counts one attempt of `key`. */
  record(key: string, now: number): AttemptTicket {
    const window = this.#live(key, now);
    if (window !== undefined) {
      window.count += 1;
      return { key, windowEndsAt: window.endsAt };
    }

    const endsAt = now + this.#limits.windowMs;
    this.#windows.set(key, { count: 1, endsAt });
    this.#evictOverflow(now);
    return { key, windowEndsAt: endsAt };
  }

  /** Gives back an attempt, if the window it was counted in is still the key's. */
  forgive(ticket: AttemptTicket, now: number): void {
    const window = this.#live(ticket.key, now);
    if (window === undefined || window.endsAt !== ticket.windowEndsAt) return;
    window.count -= 1;
    if (window.count <= 0) this.#windows.delete(ticket.key);
  }

  /** Forgets the windows that have ended; returns how many. */
  sweep(now: number): number {
    let removed = 0;
    for (const [key, window] of this.#windows) {
      if (window.endsAt > now) break;
      this.#windows.delete(key);
      removed += 1;
    }
    return removed;
  }

  #live(key: string, now: number): Window | undefined {
    const window = this.#windows.get(key);
    if (window === undefined || window.endsAt > now) return window;
    this.#windows.delete(key);
    return undefined;
  }

  #evictOverflow(now: number): void {
    if (this.#windows.size <= this.#limits.maxKeys) return;
    this.sweep(now);
    for (const key of this.#windows.keys()) {
      if (this.#windows.size <= this.#limits.maxKeys) return;
      this.#windows.delete(key);
    }
  }
}
