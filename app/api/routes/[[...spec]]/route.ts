import type { NextRequest } from 'next/server';
import { ApiError } from '@/lib/api-error';
import { PROXY_TOKEN_REFUSED, proxyTokenMatches } from '@/lib/auth/proxy-token';
import { errorResponse, observed, readJsonBody } from '@/lib/http/api';
import { streamedResponse } from '@/lib/http/stream';
import { routePathFromRequest } from '@/lib/routes/routespec';
import { getRuntime } from '@/lib/runtime';

// The hub proxy API, configurable-http-proxy's REST contract: GET, POST and DELETE /api/routes[/<route>].
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const json = (body: string, status = 200) => new Response(body, { status, headers: { 'content-type': 'application/json' } });

/** Auth (the front door checked it before the body was read; checked again here), then the route path; each failure is thrown. */
function gate(request: NextRequest) {
  const rt = getRuntime();
  if (!proxyTokenMatches(rt.proxyToken, request.headers.get('authorization'))) throw new ApiError(403, 'forbidden', PROXY_TOKEN_REFUSED);
  // parsed from the raw pathname, so the route is decoded exactly once, as CHP does
  return { rt, path: routePathFromRequest(request.nextUrl.pathname) };
}

const notFound = (path: string) => new ApiError(404, 'not-found', `no route ${JSON.stringify(path)}`);

/** Errors answer as CHP's clients read them: `{ status, error }`. */
const proxyApi = (handler: (request: NextRequest) => Promise<Response>) => observed('/api/routes', getRuntime, handler, { errors: 'proxy-api' });

export const GET = proxyApi(async (request) => {
  const { rt, path } = gate(request);
  // reads come from the watch cache, so they wait for it; writes go to the apiserver themselves
  if (!rt.routes.ready) throw new ApiError(503, 'kube-unavailable', 'route cache is not synced with the Kubernetes API yet', { headers: { 'retry-after': '1' } });
  const query = request.nextUrl.searchParams;
  const since = query.get('inactive_since') ?? query.get('inactiveSince');
  if (path === '/' && request.nextUrl.pathname.replace(/\/+$/, '') === '/api/routes') {
    let inactiveSince: Date | undefined;
    if (since !== null) {
      inactiveSince = new Date(since);
      if (Number.isNaN(inactiveSince.getTime())) throw new ApiError(400, 'invalid-input', `inactive_since ${JSON.stringify(since)} is not a date`);
    }
    return streamedResponse(rt.routes.listJsonChunks(inactiveSince), { headers: { 'content-type': 'application/json' } });
  }
  const route = rt.routes.getJson(path);
  if (route === undefined) throw notFound(path);
  return json(route);
});

export const POST = proxyApi(async (request) => {
  const { rt, path } = gate(request);
  await rt.routes.upsert(path, await readJsonBody(request, rt.config.proxy.maxBodyBytes));
  return new Response(null, { status: 201 });
});

export const DELETE = proxyApi(async (request) => {
  const { rt, path } = gate(request);
  if (!(await rt.routes.remove(path))) throw notFound(path);
  return new Response(null, { status: 204 });
});

const notAllowed = async () => errorResponse(new ApiError(405, 'method-not-allowed', 'method not allowed; the proxy API takes GET, POST and DELETE', { headers: { allow: 'GET, POST, DELETE' } }), 'proxy-api');
export const PUT = notAllowed;
export const PATCH = notAllowed;
