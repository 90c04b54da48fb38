import { NextRequest } from 'next/server';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api-error';
import { ConfigError } from '../config-error';
import { MAX_JSON_DEPTH } from '../json';
import { KubeError } from '../kube/errors';
import { createMetrics } from '../metrics';
import { errorResponse, observed, readJsonBody, type ApiDeps } from './api';

const post = (body: string) => new Request('http://hubmesh/api/routes/user/alice', { method: 'POST', body });

/** What readJsonBody throws, as the console would answer it. */
async function refusalOf(reading: Promise<unknown>) {
  const error = await reading.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApiError);
  const response = errorResponse(error as ApiError);
  return { status: response.status, body: await response.json() };
}

describe('readJsonBody', () => {
  it('answers 400 with a JSON error for a body nested deeper than the limit, and reads one at the limit', async () => {
    expect(await refusalOf(readJsonBody(post(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`), 1 << 20))).toEqual({
      status: 400,
      body: { status: 400, error: `body nests deeper than ${MAX_JSON_DEPTH} levels`, code: 'invalid-input' },
    });
    const atLimit = await readJsonBody(post(`{"target":"http://a:1","x":${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}}`), 1 << 20);
    expect(atLimit).toMatchObject({ target: 'http://a:1' });
  });

  it('keeps escaped keys as sent', async () => {
    await readJsonBody(post(String.raw`{"target":"http://a:1","\\":1}`), 1 << 20);
    const body = await readJsonBody(post(String.raw`{"target":"http://a:1","\u03a9":1}`), 1 << 20);
    expect(Object.keys(body as object)).toEqual(['target', 'Ω']);
  });

  it('still tells an empty body from invalid JSON', async () => {
    expect((await refusalOf(readJsonBody(post(''), 1024))).body).toMatchObject({ status: 400, error: 'body must be a JSON object' });
    expect((await refusalOf(readJsonBody(post('{"target":'), 1024))).body).toMatchObject({ status: 400, error: 'body is not valid JSON' });
  });

  it('refuses a body larger than the limit, declared or sent', async () => {
    const declared = new Request('http://hubmesh/x', { method: 'POST', body: '{}', headers: { 'content-length': '2000' } });
    expect(await refusalOf(readJsonBody(declared, 1024))).toMatchObject({ status: 413, body: { code: 'too-large' } });
    expect(await refusalOf(readJsonBody(post(`{"a":"${'x'.repeat(2000)}"}`), 1024))).toMatchObject({ status: 413, body: { code: 'too-large' } });
  });
});

describe('errorResponse', () => {
  const refusal = new ApiError(409, 'takeover-required', 'the Gateway is argocd’s; confirm a takeover to apply', {
    fields: [{ field: 'confirmTakeover', message: 'must be true' }],
    details: { reason: 'TakeoverRequired', stage: 'ownership' },
    headers: { 'retry-after': '1' },
  });

  it('answers the console with status, message, stable code, the field at fault and the details', async () => {
    const response = errorResponse(refusal);
    expect(response.status).toBe(409);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toEqual({
      status: 409,
      error: 'the Gateway is argocd’s; confirm a takeover to apply',
      code: 'takeover-required',
      field: 'confirmTakeover',
      reason: 'TakeoverRequired',
      stage: 'ownership',
    });
  });

  it('answers the hub proxy API with exactly the body configurable-http-proxy clients read', async () => {
    const response = errorResponse(new ApiError(404, 'not-found', 'no route "/user/nobody"'), 'proxy-api');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ status: 404, error: 'no route "/user/nobody"' });
  });
});

describe('observed', () => {
  const engineerToken = 'engineer-token-0123456789';
  const deps: ApiDeps = {
    log: pino({ enabled: false }),
    metrics: createMetrics(),
    dashboardAuth: { adminToken: 'admin-token-0123456789', adminTokenSource: 'env', sessionSecret: 'secret', ephemeralSecret: false, ttlSeconds: 3600 },
    config: { dashboard: { engineerTokens: [{ name: 'ci', token: engineerToken }] } },
  };
  const request = (headers: Record<string, string> = {}) => new NextRequest('http://hubmesh/api/v1/previews/demo', { headers });
  const context = <P>(params: P) => ({ params: Promise.resolve(params) });
  const failing = (error: unknown, options?: Parameters<typeof observed>[3]) =>
    observed(
      '/test',
      () => deps,
      async () => {
        throw error;
      },
      options,
    )(request(), context({}));

  it('hands the handler the route params Next resolved', async () => {
    const handler = observed<{ name: string }>('/api/v1/previews/[name]', () => deps, async (_request, { params }) => Response.json(params));
    expect(await (await handler(request(), context({ name: 'démo' }))).json()).toEqual({ name: 'démo' });
  });

  it('hands a route without dynamic segments empty params, as Next gives it none', async () => {
    const handler = observed('/api/v1/overview', () => deps, async (_request, { params }) => Response.json(params));
    expect(await (await handler(request(), {})).json()).toEqual({});
  });

  it('resolves the caller once per request, from the bearer token or the session', async () => {
    const handler = observed('/test', () => deps, async (_request, { caller }) => Response.json(caller));
    const twice = observed('/test', () => deps, async (_request, ctx) => Response.json({ same: ctx.caller === ctx.caller }));
    expect(await (await handler(request({ authorization: `Bearer ${deps.dashboardAuth.adminToken}` }), context({}))).json()).toEqual({ actor: 'admin-token', role: 'admin' });
    expect(await (await handler(request({ authorization: `Bearer ${engineerToken}` }), context({}))).json()).toEqual({ actor: 'engineer:ci', role: 'engineer' });
    expect(await (await handler(request(), context({}))).json()).toEqual({ actor: 'unknown', role: 'viewer' });
    expect(await (await twice(request(), context({}))).json()).toEqual({ same: true });
  });

  it('answers an ApiError with its own status, code and headers, and sets the request id', async () => {
    const response = await failing(new ApiError(404, 'not-found', 'no preview named "demo"'));
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(await response.json()).toEqual({ status: 404, error: 'no preview named "demo"', code: 'not-found' });
  });

  it('answers an apiserver that refuses hubmesh (RBAC) or fails with 503', async () => {
    const forbidden = await failing(new KubeError(403, 'Forbidden', 'configmaps is forbidden'));
    expect(forbidden.status).toBe(503);
    expect(await forbidden.json()).toEqual({ status: 503, error: "hubmesh's Kubernetes identity is not allowed to do this: configmaps is forbidden", code: 'kube-forbidden' });
    const unreachable = await failing(new KubeError(503, 'Unreachable', 'connect ECONNREFUSED'));
    expect(unreachable.headers.get('retry-after')).toBe('1');
    expect(await unreachable.json()).toEqual({ status: 503, error: 'Kubernetes API unavailable: connect ECONNREFUSED', code: 'kube-unavailable' });
  });

  it('answers bad configuration with 503 and anything else with 500, without its message', async () => {
    const config = await failing(new ConfigError('config: HUBMESH_NAMESPACE must be a DNS-1123 label'));
    expect(await config.json()).toEqual({ status: 503, error: 'config: HUBMESH_NAMESPACE must be a DNS-1123 label', code: 'config' });
    const bug = await failing(new TypeError('cannot read properties of undefined (secret detail)'));
    expect(await bug.json()).toEqual({ status: 500, error: 'internal error; see hubmesh logs', code: 'internal' });
  });

  it('answers in the proxy API style when asked, whatever failed', async () => {
    expect(await (await failing(new ApiError(403, 'forbidden', 'missing or wrong Authorization'), { errors: 'proxy-api' })).json()).toEqual({ status: 403, error: 'missing or wrong Authorization' });
    expect(await (await failing(new KubeError(500, 'InternalError', 'etcd timeout'), { errors: 'proxy-api' })).json()).toEqual({ status: 503, error: 'Kubernetes API unavailable: etcd timeout' });
  });

  it('answers 503 when the process cannot start (a bad setting), before any handler runs', async () => {
    const handler = observed(
      '/test',
      () => {
        throw new ConfigError('config: CONFIGPROXY_AUTH_TOKEN must be set');
      },
      async () => Response.json({}),
    );
    const response = await handler(request(), context({}));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: 'config: CONFIGPROXY_AUTH_TOKEN must be set' });
  });
});
