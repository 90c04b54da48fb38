import { secretsEqual } from './proxy-token';
import type { DashboardAuth } from './dashboard-auth';
import { SESSION_COOKIE, verifySession } from './session';

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Whether a request carries the admin token as a bearer token: how scripts (CI creating previews, say) call
 * /api/v1 without a browser session. It needs no CSRF token, since a browser never sends it by itself.
 */
export function bearerIsAdmin(auth: DashboardAuth, authorization: string | null): boolean {
  const token = BEARER.exec(authorization ?? '')?.[1];
  return token !== undefined && auth.adminToken !== undefined && secretsEqual(token, auth.adminToken);
}

/** Who is acting, for audit Events: the session's subject, or `admin-token` for a bearer call. */
export function actorOf(auth: DashboardAuth, request: { headers: Headers; cookies: { get(name: string): { value: string } | undefined } }): string {
  const session = verifySession(auth.sessionSecret, request.cookies.get(SESSION_COOKIE)?.value);
  if (session) return session.sub;
  return bearerIsAdmin(auth, request.headers.get('authorization')) ? 'admin-token' : 'unknown';
}
