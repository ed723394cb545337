import { ErrorCodes, modtError, type ModtError } from '../protocol/index.ts';

/**
 * Whether a `redirect_url` may be pushed: only `http`/`https`, and only to the gateway's
 * own origin or one on the allow list, so the gateway cannot become an open redirect
 * (PROTOCOL.md, points settled).
 */
export function checkRedirect(url: string, allowedOrigins: ReadonlySet<string>): ModtError | null {
  if (startsWithAllowedOrigin(url, allowedOrigins)) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return modtError(ErrorCodes.REDIRECT_NOT_ALLOWED, `redirect_url '${url}' is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return modtError(
      ErrorCodes.REDIRECT_NOT_ALLOWED,
      `redirect_url scheme '${parsed.protocol}' is not http(s)`,
    );
  }
  if (parsed.username || parsed.password) {
    return modtError(ErrorCodes.REDIRECT_NOT_ALLOWED, 'redirect_url carries credentials');
  }
  if (!allowedOrigins.has(parsed.origin)) {
    const message =
      `redirect_url origin ${parsed.origin} is neither the gateway's ` +
      'nor on MODT_REDIRECT_ORIGINS';
    return modtError(ErrorCodes.REDIRECT_NOT_ALLOWED, message);
  }
  return null;
}

/**
 * Whether `url` begins with an allowed http(s) origin, written as URL writes origins, and
 * then `/`. Such a URL always parses, to that origin and with no credentials, whatever
 * follows (a path never fails to parse, and `@` after the first `/` is the path's), so it
 * passes without `new URL`, which costs about a microsecond. Any other spelling (capitals, a
 * default port, `?` or `#` right after the host) gets the full parse and the same answer.
 */
function startsWithAllowedOrigin(url: string, allowedOrigins: ReadonlySet<string>): boolean {
  for (const origin of allowedOrigins) {
    if (url.charCodeAt(origin.length) !== SLASH || !url.startsWith(origin)) continue;
    if (origin.startsWith('https://') || origin.startsWith('http://')) return true;
  }
  return false;
}

const SLASH = 0x2f;

/** The allowed origins: the gateway's own and each listed one, normalised by URL. */
export function allowedOriginsOf(publicUrl: URL, listed: readonly string[]): Set<string> {
  const origins = new Set([publicUrl.origin]);
  for (const entry of listed) origins.add(new URL(entry).origin);
  return origins;
}
