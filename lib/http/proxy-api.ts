import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ApiError } from '../api-error';
import { PROXY_TOKEN_REFUSED, proxyTokenMatches, type ProxyToken } from '../auth/proxy-token';
import { schemeIsHttps } from '../auth/session';
import type { Metrics } from '../metrics';
import { ROUTES_API_PREFIX, routePathFromRequest } from '../routes/routespec';
import type { RouteService } from '../routes/service';
import { asApiError, errorBody, readJson, recordRequest } from './api';
import { HSTS_HEADER, JSON_CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from './security-headers';

/**
 * The hub proxy API, configurable-http-proxy's REST contract (GET, POST and DELETE /api/routes[/<route>]),
 * served by hubmesh's HTTP server itself as the front door passes a request on, without Next.js: every
 * server start waits on one of these POSTs, and Next's request pipeline cost as much CPU as the rest of it.
 * Same answers, request ids, log line and metrics as the console's handlers (lib/http/api.ts).
 */
export type ProxyApiDeps = {
  routes: Pick<RouteService, 'ready' | 'listJsonChunks' | 'getJson' | 'upsert' | 'remove'>;
  proxyToken: ProxyToken;
  maxBodyBytes: number;
  log: Logger;
  metrics: Pick<Metrics, 'httpRequests' | 'httpDuration'>;
};

export type ProxyApiHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** What a request answers: a body held whole, or pulled piece by piece as the client reads (the route table). */
type Answer = { status: number; headers?: Record<string, string>; body?: string | Iterator<string> };

const JSON_TYPE = { 'content-type': 'application/json' };
/** Next answered OPTIONS for the route handler this replaces; so does this, naming what is served. */
const OPTIONS_ALLOW = 'GET, HEAD, POST, DELETE, OPTIONS';

export function proxyApiHandler(deps: ProxyApiDeps): ProxyApiHandler {
  const { routes } = deps;

  async function answer(method: string, url: URL, req: IncomingMessage): Promise<Answer> {
    // the front door checked the token before the body was read; checked again here
    if (!proxyTokenMatches(deps.proxyToken, req.headers.authorization ?? null)) throw new ApiError(403, 'forbidden', PROXY_TOKEN_REFUSED);
    // parsed from the raw pathname, so the route is decoded exactly once, as CHP does
    const path = routePathFromRequest(url.pathname);
    switch (method) {
      case 'GET':
      case 'HEAD':
        return read(method, url, path);
      case 'POST':
        await routes.upsert(path, await readJson(req, Number(req.headers['content-length']), deps.maxBodyBytes));
        return { status: 201 };
      case 'DELETE':
        if (!(await routes.remove(path))) throw notFound(path);
        return { status: 204 };
      case 'OPTIONS':
        return { status: 204, headers: { allow: OPTIONS_ALLOW } };
      default:
        throw new ApiError(405, 'method-not-allowed', 'method not allowed; the proxy API takes GET, POST and DELETE', { headers: { allow: 'GET, POST, DELETE' } });
    }
  }

  function read(method: string, url: URL, path: string): Answer {
    // reads come from the watch cache, so they wait for it; writes go to the apiserver themselves
    if (!routes.ready) throw new ApiError(503, 'kube-unavailable', 'route cache is not synced with the Kubernetes API yet', { headers: { 'retry-after': '1' } });
    if (path === '/' && url.pathname.replace(/\/+$/, '') === ROUTES_API_PREFIX) {
      const since = url.searchParams.get('inactive_since') ?? url.searchParams.get('inactiveSince');
      let inactiveSince: Date | undefined;
      if (since !== null) {
        inactiveSince = new Date(since);
        if (Number.isNaN(inactiveSince.getTime())) throw new ApiError(400, 'invalid-input', `inactive_since ${JSON.stringify(since)} is not a date`);
      }
      return { status: 200, headers: JSON_TYPE, body: method === 'HEAD' ? undefined : routes.listJsonChunks(inactiveSince) };
    }
    const route = routes.getJson(path);
    if (route === undefined) throw notFound(path);
    return { status: 200, headers: JSON_TYPE, body: route };
  }

  return async (req, res) => {
    const started = performance.now();
    const requestId = headerValue(req.headers['x-request-id']) ?? randomUUID();
    const log = deps.log.child({ requestId });
    const method = req.method ?? 'GET';
    // dot segments resolved and the query split off as Next's router did; the path stays percent-encoded
    const url = new URL(req.url ?? '/', 'http://proxy-api.invalid');
    let reply: Answer;
    try {
      reply = await answer(method, url, req);
    } catch (error) {
      if (req.errored) return void res.destroy(); // the client went away mid-body; the front door logged it
      const refusal = asApiError(error, log);
      reply = { status: refusal.status, headers: { ...JSON_TYPE, ...refusal.headers }, body: JSON.stringify(errorBody(refusal, 'proxy-api')) };
    }
    const headers: Record<string, string> = {
      ...SECURITY_HEADERS,
      'content-security-policy': JSON_CONTENT_SECURITY_POLICY,
      ...(schemeIsHttps(headerValue(req.headers['x-forwarded-proto']), 'http') ? HSTS_HEADER : {}),
      ...reply.headers,
      'x-request-id': requestId,
    };
    await send(res, reply, headers);
    recordRequest({ metrics: deps.metrics, log }, { route: ROUTES_API_PREFIX, method, path: url.pathname, status: reply.status, started });
  };
}

const notFound = (path: string) => new ApiError(404, 'not-found', `no route ${JSON.stringify(path)}`);

const headerValue = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/** Writes an answer; a piecewise body is written as the client takes it, and abandoned when the client goes. */
async function send(res: ServerResponse, reply: Answer, headers: Record<string, string>): Promise<void> {
  const { body } = reply;
  if (body === undefined || typeof body === 'string') {
    res.writeHead(reply.status, body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    res.end(body);
    return;
  }
  res.writeHead(reply.status, headers);
  try {
    for (let next = body.next(); !next.done; next = body.next()) {
      if (res.destroyed) return;
      if (!res.write(next.value)) await drainedOrClosed(res);
    }
    res.end();
  } finally {
    body.return?.(undefined);
  }
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
