import type { NextRequest } from 'next/server';
import { ApiError } from '@/lib/api-error';
import { secretsEqual } from '@/lib/auth/secrets';
import { clearedSessionCookies, newSession, overTls, SESSION_COOKIE, sessionCookies } from '@/lib/auth/session';
import { sessionRefusal } from '@/lib/auth/session-guard';
import { observed, readJsonBody } from '@/lib/http/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Sign in with the admin token. */
export const POST = observed('/api/v1/session', getRuntime, async (request: NextRequest, { log }) => {
  const auth = getRuntime().dashboardAuth;
  if (!auth.adminToken) throw new ApiError(503, 'not-configured', 'sign-in is not configured: set HUBMESH_ADMIN_TOKEN');
  const token = ((await readJsonBody(request, 4096)) as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || !secretsEqual(token, auth.adminToken)) {
    log.warn({ event: 'sign-in refused' }, 'admin sign-in refused');
    throw new ApiError(401, 'unauthorized', 'wrong admin token');
  }
  const session = newSession('admin', 'admin', auth.ttlSeconds);
  const headers = new Headers({ 'content-type': 'application/json' });
  for (const c of sessionCookies(auth.sessionSecret, session, auth.ttlSeconds, overTls(request))) headers.append('set-cookie', c);
  log.info({ event: 'sign-in', sub: session.sub, role: session.role }, 'admin signed in');
  return new Response(JSON.stringify({ sub: session.sub, role: session.role, expiresAt: new Date(session.exp * 1000).toISOString() }), { status: 200, headers });
});

/** Who is signed in (the proxy has already checked the session, and with a bearer token there may be none). */
export const GET = observed('/api/v1/session', getRuntime, async (request: NextRequest) => {
  const checked = getRuntime().sessions.verify(request.cookies.get(SESSION_COOKIE)?.value, { mutation: false });
  if (!checked.ok) throw sessionRefusal(checked);
  const { session } = checked;
  return Response.json({ sub: session.sub, role: session.role, expiresAt: new Date(session.exp * 1000).toISOString() });
});

/**
 * Sign out (the proxy has checked the session and its CSRF token): the session is revoked on every replica
 * until it expires, then the cookies are cleared. When Kubernetes does not take the revocation the answer
 * is 503 and the cookies stay, so that signing out can be tried again.
 */
export const DELETE = observed('/api/v1/session', getRuntime, async (request: NextRequest, { log }) => {
  const checked = getRuntime().sessions.verify(request.cookies.get(SESSION_COOKIE)?.value, { mutation: true });
  if (!checked.ok && checked.status === 503) throw sessionRefusal(checked);
  if (checked.ok) await getRuntime().sessions.revoke(checked.session);
  const headers = new Headers();
  for (const c of clearedSessionCookies(overTls(request))) headers.append('set-cookie', c);
  log.info({ event: 'sign-out', sub: checked.ok ? checked.session.sub : undefined }, 'signed out');
  return new Response(null, { status: 204, headers });
});
