import type { NextRequest } from 'next/server';
import { secretsEqual } from '@/lib/auth/proxy-token';
import { CSRF_COOKIE, newSession, SESSION_COOKIE, signSession, verifySession } from '@/lib/auth/session';
import { jsonError, observed, readJsonBody } from '@/lib/http/api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const secure = (request: NextRequest) => (request.headers.get('x-forwarded-proto') ?? request.nextUrl.protocol.replace(':', '')) === 'https';

function cookie(name: string, value: string, maxAge: number, options: { httpOnly: boolean; secure: boolean }) {
  return [`${name}=${value}`, 'Path=/', `Max-Age=${maxAge}`, 'SameSite=Strict', options.httpOnly ? 'HttpOnly' : '', options.secure ? 'Secure' : '']
    .filter(Boolean)
    .join('; ');
}

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
  const session = newSession('admin', auth.ttlSeconds);
  const flags = { secure: secure(request) };
  const headers = new Headers({ 'content-type': 'application/json' });
  headers.append('set-cookie', cookie(SESSION_COOKIE, signSession(auth.sessionSecret, session), auth.ttlSeconds, { ...flags, httpOnly: true }));
  headers.append('set-cookie', cookie(CSRF_COOKIE, session.csrf, auth.ttlSeconds, { ...flags, httpOnly: false }));
  log.info({ event: 'sign-in', sub: session.sub }, 'admin signed in');
  return new Response(JSON.stringify({ sub: session.sub, expiresAt: new Date(session.exp * 1000).toISOString() }), { status: 200, headers });
});

/** Who is signed in (the proxy has already checked the session). */
export const GET = observed('/api/v1/session', getRuntime, async (request: NextRequest) => {
  const session = verifySession(getRuntime().dashboardAuth.sessionSecret, request.cookies.get(SESSION_COOKIE)?.value);
  if (!session) return jsonError(401, 'sign in first');
  return Response.json({ sub: session.sub, expiresAt: new Date(session.exp * 1000).toISOString() });
});

/** Sign out (the proxy has checked the session and its CSRF token). */
export const DELETE = observed('/api/v1/session', getRuntime, async (request: NextRequest, { log }) => {
  const headers = new Headers();
  for (const [name, httpOnly] of [[SESSION_COOKIE, true], [CSRF_COOKIE, false]] as const) {
    headers.append('set-cookie', cookie(name, '', 0, { httpOnly, secure: secure(request) }));
  }
  log.info({ event: 'sign-out' }, 'admin signed out');
  return new Response(null, { status: 204, headers });
});
