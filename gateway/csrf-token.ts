import { randomSecret, sameSecret } from './random-secret.ts';

/** A login form token of 256 random bits, one per browser session. */
export function newCsrfToken(): string {
  return randomSecret();
}

/**
 * Whether a form carried its session's token, compared in constant time. A page from another
 * origin cannot read the login page, so it cannot know the token (OWASP, synchronizer token).
 */
export function csrfTokenMatches(expected: string, received: string | null | undefined): boolean {
  return typeof received === 'string' && sameSecret(expected, received);
}
