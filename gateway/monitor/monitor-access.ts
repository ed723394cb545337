import type { BrowserSession, CookieSecrets, SessionRegistry } from '../session-registry.ts';

/** The role whose sessions may watch the conversation. */
export const MONITOR_ROLE = 'admin';

/** Who asks for the monitor: an admin's session, a signed-in non-admin, or nobody known. */
export type MonitorAccess<Socket> =
  | { ok: true; session: BrowserSession<Socket> }
  | { ok: false; why: 'anonymous' | 'forbidden' };

/** Whether a session's current login is signed in with the monitor's role. */
export function watches(session: BrowserSession<unknown>): boolean {
  return session.login?.signedIn === true && session.login.role === MONITOR_ROLE;
}

/** The access of the browser with these cookie secrets, checked against its session now. */
export function monitorAccess<Socket>(
  registry: SessionRegistry<Socket>,
  secrets: CookieSecrets,
  now: number,
): MonitorAccess<Socket> {
  const session = registry.touch(secrets, now);
  if (session === undefined || session.login?.signedIn !== true) {
    return { ok: false, why: 'anonymous' };
  }
  if (!watches(session)) return { ok: false, why: 'forbidden' };
  return { ok: true, session };
}
