import { AttemptLimiter, type AttemptTicket } from './attempt-limiter.ts';

export interface ThrottleLimits {
  /** Attempts one client address may make in a window. */
  maxPerAddress: number;
  /** Attempts on one username in a window, from anywhere. */
  maxPerUser: number;
  windowMs: number;
  /** Addresses, and usernames, remembered at most each. */
  maxKeys: number;
}

export type Admission =
  | { ok: true; tickets: readonly AttemptTicket[] }
  | { ok: false; retryAfterMs: number };

/**
 * Bounds login attempts per client address and per username. An attempt counts from the
 * moment it is admitted, so requests in flight count too; one that succeeds is given back,
 * so in the end only failed attempts use up a window.
 */
export class LoginThrottle {
  #byAddress: AttemptLimiter;
  #byUser: AttemptLimiter;

  constructor(limits: ThrottleLimits) {
    const { windowMs, maxKeys } = limits;
    this.#byAddress = new AttemptLimiter({ maxAttempts: limits.maxPerAddress, windowMs, maxKeys });
    this.#byUser = new AttemptLimiter({ maxAttempts: limits.maxPerUser, windowMs, maxKeys });
  }

  /** Admits and counts an attempt, or says how long to wait. */
  admit(address: string, username: string, now: number): Admission {
    const waitMs = Math.max(
      this.#byAddress.waitMs(address, now),
      this.#byUser.waitMs(username, now),
    );
    if (waitMs > 0) return { ok: false, retryAfterMs: waitMs };
    const tickets = [this.#byAddress.record(address, now), this.#byUser.record(username, now)];
    return { ok: true, tickets };
  }

  /** Gives back the attempts of a login that succeeded. */
  succeeded(admission: Admission, now: number): void {
    if (!admission.ok) return;
    this.#byAddress.forgive(admission.tickets[0]!, now);
    this.#byUser.forgive(admission.tickets[1]!, now);
  }

  sweep(now: number): void {
    this.#byAddress.sweep(now);
    this.#byUser.sweep(now);
  }
}
