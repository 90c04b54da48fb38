import type { NextRequest } from 'next/server';
import { PROXY_TOKEN_REFUSED, proxyTokenMatches } from '@/lib/auth/proxy-token';
import { jsonError, observed, readJsonBody } from '@/lib/http/api';
import { streamedResponse } from '@/lib/http/stream';
import { routePathFromRequest } from '@/lib/routes/routespec';
import { getRuntime } from '@/lib/runtime';

// The hub proxy API, configurable-http-proxy's REST contract: GET, POST and DELETE /api/routes[/<route>].
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const json = (body: string, status = 200) => new Response(body, { status, headers: { 'content-type': 'application/json' } });

/** Auth (the front door checked it before the body was read; checked again here), then the route path; each failure is an answer. */
function gate(request: NextRequest) {
  const rt = getRuntime();
  if (!proxyTokenMatches(rt.proxyToken, request.headers.get('authorization'))) {
    return { response: jsonError(403, PROXY_TOKEN_REFUSED) };
  }
  // parsed from the raw pathname, so the route is decoded exactly once, as CHP does
  const parsed = routePathFromRequest(request.nextUrl.pathname);
  if (!parsed.ok) return { response: jsonError(parsed.status, parsed.error) };
  return { rt, path: parsed.path };
}

/** Reads come from the watch cache, so they wait for it; writes go to the apiserver themselves. */
const cacheNotSynced = () => jsonError(503, 'route cache is not synced with the Kubernetes API yet', { 'retry-after': '1' });

const deps = () => getRuntime();

export const GET = observed('/api/routes', deps, async (request: NextRequest) => {
  const g = gate(request);
  if (!g.rt) return g.response;
  if (!g.rt.routes.ready) return cacheNotSynced();
  const query = request.nextUrl.searchParams;
  const since = query.get('inactive_since') ?? query.get('inactiveSince');
  if (g.path === '/' && request.nextUrl.pathname.replace(/\/+$/, '') === '/api/routes') {
    let inactiveSince: Date | undefined;
    if (since !== null) {
      inactiveSince = new Date(since);
      if (Number.isNaN(inactiveSince.getTime())) return jsonError(400, `inactive_since ${JSON.stringify(since)} is not a date`);
    }
    return streamedResponse(g.rt.routes.listJsonChunks(inactiveSince), { headers: { 'content-type': 'application/json' } });
  }
  const route = g.rt.routes.getJson(g.path);
  return route === undefined ? jsonError(404, `no route ${JSON.stringify(g.path)}`) : json(route);
});

export const POST = observed('/api/routes', deps, async (request: NextRequest) => {
  const g = gate(request);
  if (!g.rt) return g.response;
  const body = await readJsonBody(request, g.rt.config.proxy.maxBodyBytes);
  if (!body.ok) return body.response;
  await g.rt.routes.upsert(g.path, body.value);
  return new Response(null, { status: 201 });
});

export const DELETE = observed('/api/routes', deps, async (request: NextRequest) => {
  const g = gate(request);
  if (!g.rt) return g.response;
  const removed = await g.rt.routes.remove(g.path);
  return removed ? new Response(null, { status: 204 }) : jsonError(404, `no route ${JSON.stringify(g.path)}`);
});

const notAllowed = async () => jsonError(405, 'method not allowed; the proxy API takes GET, POST and DELETE', { allow: 'GET, POST, DELETE' });
export const PUT = notAllowed;
export const PATCH = notAllowed;
