import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isKubeError } from '../kube/errors';
import type { Metrics } from '../metrics';
import { bodyTooLarge } from './front-door';
import { isRouteError } from '../routes/service';
import { JsonDepthError, MAX_JSON_DEPTH, parseJson } from '../json';

export function jsonError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ status, error: message }, { status, headers });
}

export type BodyResult = { ok: true; value: unknown } | { ok: false; response: Response };

/**
 * Reads a JSON body of at most maxBytes and MAX_JSON_DEPTH levels, whatever Content-Type says (the hub
 * sends none), with its keys exactly as sent (parseJson).
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<BodyResult> {
  const declared = Number(request.headers.get('content-length'));
  const tooLarge = () => ({ ok: false as const, response: jsonError(413, bodyTooLarge(maxBytes)) });
  if (declared > maxBytes) return tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return tooLarge();
      }
      chunks.push(value);
    }
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return { ok: true, value: parseJson(text) };
  } catch (error) {
    if (error instanceof JsonDepthError) return { ok: false, response: jsonError(400, `body nests deeper than ${MAX_JSON_DEPTH} levels`) };
    return { ok: false, response: jsonError(400, text.trim() === '' ? 'body must be a JSON object' : 'body is not valid JSON') };
  }
}

export type ApiContext = { log: Logger; requestId: string };

/**
 * Wraps a route handler: request id, structured log line, metrics, and the mapping of failures to
 * answers: RouteError → its 4xx, an unreachable or failing apiserver → 503, anything else → 500.
 */
export function observed<R extends Request>(
  route: string,
  deps: () => { log: Logger; metrics: Metrics },
  handler: (request: R, ctx: ApiContext) => Promise<Response>,
): (request: R) => Promise<Response> {
  return async (request) => {
    const started = performance.now();
    const requestId = request.headers.get('x-request-id') ?? randomUUID();
    let log: Logger | undefined;
    let metrics: Metrics | undefined;
    let response: Response;
    try {
      ({ log, metrics } = deps());
      log = log.child({ requestId });
      response = await handler(request, { log, requestId });
    } catch (error) {
      response = failure(error, log);
    }
    response.headers.set('x-request-id', requestId);
    const seconds = (performance.now() - started) / 1000;
    metrics?.httpRequests.inc({ route, method: request.method, code: String(response.status) });
    metrics?.httpDuration.observe({ route, method: request.method }, seconds);
    log?.info({ method: request.method, path: new URL(request.url).pathname, status: response.status, ms: Math.round(seconds * 1000) }, 'request');
    return response;
  };
}

function failure(error: unknown, log: Logger | undefined): Response {
  if (isRouteError(error)) return jsonError(error.status, error.message);
  if (isKubeError(error)) {
    if (error.status === 403) {
      log?.error({ err: error.message }, 'Kubernetes RBAC refused a request hubmesh needs');
      return jsonError(503, `hubmesh's Kubernetes identity is not allowed to do this: ${error.message}`);
    }
    log?.error({ status: error.status, reason: error.reason, err: error.message }, 'Kubernetes API unavailable');
    return jsonError(503, `Kubernetes API unavailable: ${error.message}`, { 'retry-after': '1' });
  }
  if (error instanceof Error && error.name === 'ConfigError') {
    console.error(error.message);
    return jsonError(503, error.message);
  }
  log?.error({ err: error }, 'unexpected error');
  return jsonError(500, 'internal error; see hubmesh logs');
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
