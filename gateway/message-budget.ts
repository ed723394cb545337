/**
 * How many messages one browser socket may send in a window. The login page sends none, so
 * the budget only stops a client that floods the gateway.
 */
export class MessageBudget {
  #limit: number;
  #windowMs: number;
  #left: number;
  #endsAt: number;

  constructor(limit: number, windowMs: number, now: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#left = limit;
    this.#endsAt = now + windowMs;
  }

  /** Takes one message from the budget; false once it is spent for this window. */
  take(now: number): boolean {
    if (now >= this.#endsAt) {
      this.#left = this.#limit;
      this.#endsAt = now + this.#windowMs;
    }
    if (this.#left === 0) return false;
    this.#left -= 1;
    return true;
  }
}
