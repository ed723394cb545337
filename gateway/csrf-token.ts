import { timingSafeEqual } from 'node:crypto';
import { randomSecret } from './random-secret.ts';

/** A login form token of 256 random bits, one per browser session. */
export function newCsrfToken(): string {
  return randomSecret();
}

/**
 * Whether a form carried its session's token, compared in constant time. A page from another
 * origin cannot read the login page, so it cannot know the token (OWASP, synchronizer token).
 */
export function csrfTokenMatches(expected: string, received: string | null | undefined): boolean {
  if (typeof received !== 'string' || expected === '') return false;
  const want = Buffer.from(expected);
  const got = Buffer.from(received);
  return want.length === got.length && timingSafeEqual(want, got);
}
