import { ErrorCodes, modtError, type ModtError } from '../protocol/index.ts';

/**
 * Whether a `redirect_url` may be pushed: only `http`/`https`, and only to the gateway's
 * own origin or one on the allow list, so the gateway cannot become an open redirect
 * (PROTOCOL.md, points settled).
 */
export function checkRedirect(url: string, allowedOrigins: ReadonlySet<string>): ModtError | null {
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

/** The allowed origins: the gateway's own and each listed one, normalised by URL. */
export function allowedOriginsOf(publicUrl: URL, listed: readonly string[]): Set<string> {
  const origins = new Set([publicUrl.origin]);
  for (const entry of listed) origins.add(new URL(entry).origin);
  return origins;
}
