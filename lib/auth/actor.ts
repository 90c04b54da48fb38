import { secretsEqual } from './secrets';
import type { DashboardAuth } from './dashboard-auth';
import { engineerFromBearer, type EngineerToken, type Role } from './roles';
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

export type Caller = { actor: string; role: Role };

/**
 * Who is calling and in what role, for audit Events and for what they may decide (an admin may let a preview
 * shadow another route): the session's subject, `admin-token`, or `engineer:<name>` for a bearer call.
 * The gate (proxy.ts) has already let the request through, so one of them is there. Asked in the gate's
 * order, so a bearer token's caller is never the (possibly revoked) session cookie sent along with it.
 */
export function callerOf(
  auth: DashboardAuth,
  engineerTokens: readonly EngineerToken[],
  request: { headers: Headers; cookies: { get(name: string): { value: string } | undefined } },
): Caller {
  const authorization = request.headers.get('authorization');
  if (bearerIsAdmin(auth, authorization)) return { actor: 'admin-token', role: 'admin' };
  const engineer = engineerFromBearer(engineerTokens, authorization);
  if (engineer) return { actor: engineer.actor, role: 'engineer' };
  const session = verifySession(auth.sessionSecret, request.cookies.get(SESSION_COOKIE)?.value);
  return session ? { actor: session.sub, role: session.role } : { actor: 'unknown', role: 'viewer' };
}
