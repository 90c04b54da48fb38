import { randomUUID } from 'node:crypto';
import type { NextRequest } from 'next/server';
import type { Logger } from 'pino';
import { ApiError, isApiError } from '../api-error';
import { callerOf, type Caller } from '../auth/actor';
import type { DashboardAuth } from '../auth/dashboard-auth';
import type { EngineerToken } from '../auth/roles';
import { JsonDepthError, MAX_JSON_DEPTH, parseJson } from '../json';
import { isKubeError } from '../kube/errors';
import type { Metrics } from '../metrics';
import { bodyTooLarge } from './front-door';

/**
 * How an error answers: hubmesh's console API as `{ status, error, code, field?, ...details }`;
 * the hub proxy API exactly as configurable-http-proxy's clients have always read it, `{ status, error }`.
 */
export type ErrorStyle = 'console' | 'proxy-api';

/** The one place an ApiError becomes a JSON error body. */
export function errorBody(error: ApiError, style: ErrorStyle = 'console'): Record<string, unknown> {
  const { status, message, code, field, details } = error;
  return style === 'proxy-api' ? { status, error: message } : { status, error: message, code, ...(field === undefined ? {} : { field }), ...details };
}

export function errorResponse(error: ApiError, style: ErrorStyle = 'console'): Response {
  return Response.json(errorBody(error, style), { status: error.status, headers: error.headers });
}

/**
 * Reads a JSON body of at most maxBytes and MAX_JSON_DEPTH levels, whatever Content-Type says (the hub
 * sends none), with its keys exactly as sent (parseJson). Throws an ApiError (413, 400) for one it cannot take.
 */
export function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  return readJson(request.body, Number(request.headers.get('content-length')), maxBytes);
}

/** readJsonBody from the body's chunks as they arrive (a web stream or a Node request), and the size it declared. */
export async function readJson(body: AsyncIterable<Uint8Array> | null, declaredBytes: number, maxBytes: number): Promise<unknown> {
  const tooLarge = () => new ApiError(413, 'too-large', bodyTooLarge(maxBytes));
  if (declaredBytes > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  // leaving the loop early (a throw or return) cancels a web stream's reader
  for await (const chunk of body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return parseJson(text);
  } catch (error) {
    if (error instanceof JsonDepthError) throw new ApiError(400, 'invalid-input', `body nests deeper than ${MAX_JSON_DEPTH} levels`);
    throw new ApiError(400, 'invalid-input', text.trim() === '' ? 'body must be a JSON object' : 'body is not valid JSON');
  }
}

/** What the wrapper needs of the process: the runtime has all of it. */
export type ApiDeps = {
  log: Logger;
  metrics: Metrics;
  dashboardAuth: DashboardAuth;
  config: { dashboard: { engineerTokens: readonly EngineerToken[] } };
};

/** A route's dynamic segments, as Next decodes them. */
export type RouteParams = Record<string, string | string[] | undefined>;

export type ApiContext<P extends RouteParams = RouteParams> = {
  log: Logger;
  requestId: string;
  params: P;
  /** who is calling (callerOf), resolved on first use and kept for the rest of the request */
  readonly caller: Caller;
};

/**
 * Wraps a route handler: request id, structured log line, metrics, Next's route params, the caller, and
 * the mapping of whatever it throws to an answer: an ApiError → its own, an unreachable or failing
 * apiserver → 503, a ConfigError → 503, anything else → 500.
 */
export function observed<P extends RouteParams = RouteParams>(
  route: string,
  deps: () => ApiDeps,
  handler: (request: NextRequest, ctx: ApiContext<P>) => Promise<Response>,
  options: { errors?: ErrorStyle } = {},
): (request: NextRequest, context: { params?: Promise<P> }) => Promise<Response> {
  return async (request, context) => {
    const started = performance.now();
    const requestId = request.headers.get('x-request-id') ?? randomUUID();
    let log: Logger | undefined;
    let metrics: Metrics | undefined;
    let response: Response;
    try {
      const d = deps();
      metrics = d.metrics;
      log = d.log.child({ requestId });
      let caller: Caller | undefined;
      const ctx: ApiContext<P> = {
        log,
        requestId,
        // Next passes no params to a route without dynamic segments, whose handlers read none
        params: (await context.params) ?? ({} as P),
        get caller() {
          return (caller ??= callerOf(d.dashboardAuth, d.config.dashboard.engineerTokens, request));
        },
      };
      response = await handler(request, ctx);
    } catch (error) {
      response = errorResponse(asApiError(error, log), options.errors);
    }
    response.headers.set('x-request-id', requestId);
    recordRequest({ metrics, log }, { route, method: request.method, path: new URL(request.url).pathname, status: response.status, started });
    return response;
  };
}

/** Every answered request's metrics and its `request` log line, whoever served it (observed, or lib/http/proxy-api.ts). */
export function recordRequest(
  deps: { metrics: Pick<Metrics, 'httpRequests' | 'httpDuration'> | undefined; log: Pick<Logger, 'info'> | undefined },
  request: { route: string; method: string; path: string; status: number; started: number },
): void {
  const { route, method, path, status } = request;
  const seconds = (performance.now() - request.started) / 1000;
  deps.metrics?.httpRequests.inc({ route, method, code: String(status) });
  deps.metrics?.httpDuration.observe({ route, method }, seconds);
  deps.log?.info({ method, path, status, ms: Math.round(seconds * 1000) }, 'request');
}

/** What a thrown error answers, logged when it is hubmesh's trouble rather than the client's. */
export function asApiError(error: unknown, log: Pick<Logger, 'error'> | undefined): ApiError {
  if (isApiError(error)) return error;
  if (isKubeError(error)) {
    if (error.status === 403) {
      log?.error({ err: error.message }, 'Kubernetes RBAC refused a request hubmesh needs');
      return new ApiError(503, 'kube-forbidden', `hubmesh's Kubernetes identity is not allowed to do this: ${error.message}`, { cause: error });
    }
    log?.error({ status: error.status, reason: error.reason, err: error.message }, 'Kubernetes API unavailable');
    return new ApiError(503, 'kube-unavailable', `Kubernetes API unavailable: ${error.message}`, { headers: { 'retry-after': '1' }, cause: error });
  }
  if (error instanceof Error && error.name === 'ConfigError') {
    console.error(error.message);
    return new ApiError(503, 'config', error.message, { cause: error });
  }
  log?.error({ err: error }, 'unexpected error');
  return new ApiError(500, 'internal', 'internal error; see hubmesh logs', { cause: error });
}

/**
 * The origin the client used to reach hubmesh, from the Host header (and X-Forwarded-Proto behind a
 * gateway): Next's own request URL names the address it listens on, which is not what a browser can open.
 */
export function requestOrigin(request: { headers: Headers; nextUrl: URL }): string {
  const host = request.headers.get('x-forwarded-host') ?? request.headers.get('host') ?? request.nextUrl.host;
  const proto = request.headers.get('x-forwarded-proto')?.split(',')[0]?.trim() ?? request.nextUrl.protocol.replace(/:$/, '');
  return `${proto}://${host}`;
}
