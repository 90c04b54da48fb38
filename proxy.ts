import { randomBytes } from 'node:crypto';
import { NextResponse, type NextRequest } from 'next/server';
import { ApiError } from './lib/api-error';
import { CSRF_HEADER, csrfMatches, overTls, SESSION_COOKIE } from './lib/auth/session';
import { sessionRefusal, type SessionGuard } from './lib/auth/session-guard';
import { bearerIsAdmin } from './lib/auth/actor';
import { engineerFromBearer, may, type EngineerToken } from './lib/auth/roles';
import type { DashboardAuth } from './lib/auth/dashboard-auth';
import { safeNextPath } from './lib/auth/next-path';
import { errorResponse } from './lib/http/api';
import { HSTS_HEADER, SECURITY_HEADERS } from './lib/http/security-headers';
import { getRuntime } from './lib/current-runtime';

/**
 * The console's gate: every page and /api/v1 call needs a session; /api/v1 mutations also need the
 * session's CSRF token, and the session's role must allow the request (viewers only read). Scripts may
 * call /api/v1 with the admin token, or an engineer's token (reads and previews only), as a bearer
 * token. The rest of /api (the hub proxy API, with its own token, and the JSON 404 for unknown paths),
 * the probes and previews' share links are not the console's. Every answer gets the security headers.
 */
const open = [/^\/login$/, /^\/login\/hub(\/callback)?$/, /^\/api\/(?!v1(\/|$))/, /^\/healthz$/, /^\/readyz$/, /^\/metrics$/, /^\/preview\/[^/]+$/];
const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function proxy(request: NextRequest) {
  // a fresh nonce per request: Next reads it from the request's CSP and puts it on the scripts it renders
  const csp = contentSecurityPolicy(randomBytes(16).toString('base64'));
  const headers = new Headers(request.headers);
  headers.set('content-security-policy', csp);
  const response = await gate(request, () => NextResponse.next({ request: { headers } }));
  response.headers.set('content-security-policy', csp);
  for (const [name, value] of Object.entries({ ...SECURITY_HEADERS, ...(overTls(request) ? HSTS_HEADER : {}) })) response.headers.set(name, value);
  return response;
}

function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    // React and Tailwind set inline style attributes
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

async function gate(request: NextRequest, pass: () => NextResponse): Promise<Response> {
  const { pathname, search } = request.nextUrl;
  if (open.some((re) => re.test(pathname)) || (pathname === '/api/v1/session' && request.method === 'POST')) return pass();
  let auth: DashboardAuth;
  let engineerTokens: EngineerToken[];
  let sessions: SessionGuard;
  try {
    const rt = getRuntime();
    auth = rt.dashboardAuth;
    engineerTokens = rt.config.dashboard.engineerTokens;
    sessions = rt.sessions;
  } catch (error) {
    return errorResponse(new ApiError(503, 'config', (error as Error).message));
  }
  const api = pathname.startsWith('/api/');
  const authorization = request.headers.get('authorization');
  if (api && bearerIsAdmin(auth, authorization)) return pass();
  const engineer = api ? engineerFromBearer(engineerTokens, authorization) : undefined;
  if (engineer) return may('engineer', request.method, pathname) ? pass() : forbidden(`${engineer.actor} may read, and manage previews only`);
  const checked = await sessions.check(request.cookies.get(SESSION_COOKIE)?.value, { mutation: !safeMethods.has(request.method) });
  if (!checked.ok && checked.status === 503) return errorResponse(sessionRefusal(checked));
  const session = checked.ok ? checked.session : undefined;
  if (!session) {
    if (api) return errorResponse(new ApiError(401, 'unauthorized', 'sign in first'));
    const login = new URL('/login', request.url);
    const next = safeNextPath(pathname + search);
    if (next !== '/') login.searchParams.set('next', next);
    return NextResponse.redirect(login);
  }
  if (api && !safeMethods.has(request.method) && !csrfMatches(session, request.headers.get(CSRF_HEADER))) {
    return errorResponse(new ApiError(403, 'forbidden', `missing or wrong ${CSRF_HEADER} header`));
  }
  if (!may(session.role, request.method, pathname)) return forbidden(`${session.sub} is a ${session.role}: ${session.role === 'viewer' ? 'viewers see everything but change nothing' : 'not allowed here'}`);
  return pass();
}

const forbidden = (message: string) => errorResponse(new ApiError(403, 'forbidden', message));

export const config = { matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'] };
