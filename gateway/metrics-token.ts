import { sameSecret } from './random-secret.ts';

/** Shorter than this a token is guessable, and start-up refuses it. */
export const MIN_METRICS_TOKEN_CHARS = 16;

/**
 * Whether an `Authorization` header carries `Bearer <token>` (RFC 6750 §2.1; the scheme in any
 * case), compared in constant time.
 */
export function bearerMatches(header: string, token: string): boolean {
  const match = /^bearer +(\S+) *$/i.exec(header);
  return match !== null && sameSecret(token, match[1]!);
}
