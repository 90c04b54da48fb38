import type { NextRequest } from 'next/server';
import { secretsEqual } from '@/lib/auth/proxy-token';
import { clearedSessionCookies, newSession, overTls, SESSION_COOKIE, sessionCookies, verifySession } from '@/lib/auth/session';
import { jsonError, observed, readJsonBody } from '@/lib/http/api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Sign in with the admin token. */
export const POST = observed('/api/v1/session', getRuntime, async (request: NextRequest, { log }) => {
  const auth = getRuntime().dashboardAuth;
  if (!auth.adminToken) return jsonError(503, 'sign-in is not configured: set HUBMESH_ADMIN_TOKEN');
  const body = await readJsonBody(request, 4096);
  if (!body.ok) return body.response;
  const token = (body.value as { token?: unknown } | null)?.token;
  if (typeof token !== 'string' || !secretsEqual(token, auth.adminToken)) {
    log.warn({ event: 'sign-in refused' }, 'admin sign-in refused');
    return jsonError(401, 'wrong admin token');
  }
  const session = newSession('admin', 'admin', auth.ttlSeconds);
  const headers = new Headers({ 'content-type': 'application/json' });
  for (const c of sessionCookies(auth.sessionSecret, session, auth.ttlSeconds, overTls(request))) headers.append('set-cookie', c);
  log.info({ event: 'sign-in', sub: session.sub, role: session.role }, 'admin signed in');
  return new Response(JSON.stringify({ sub: session.sub, role: session.role, expiresAt: new Date(session.exp * 1000).toISOString() }), { status: 200, headers });
});

/** Who is signed in (the proxy has already checked the session). */
export const GET = observed('/api/v1/session', getRuntime, async (request: NextRequest) => {
  const session = verifySession(getRuntime().dashboardAuth.sessionSecret, request.cookies.get(SESSION_COOKIE)?.value);
  if (!session) return jsonError(401, 'sign in first');
  return Response.json({ sub: session.sub, role: session.role, expiresAt: new Date(session.exp * 1000).toISOString() });
});

/** Sign out (the proxy has checked the session and its CSRF token). */
export const DELETE = observed('/api/v1/session', getRuntime, async (request: NextRequest, { log }) => {
  const headers = new Headers();
  for (const c of clearedSessionCookies(overTls(request))) headers.append('set-cookie', c);
  log.info({ event: 'sign-out' }, 'signed out');
  return new Response(null, { status: 204, headers });
});
