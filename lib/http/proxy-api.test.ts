import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KubeError } from '../kube/errors';
import { createMetrics } from '../metrics';
import { proxyApiHandler } from './proxy-api';

const token = 'proxy-api-test-token-0123456789';
const hub = { authorization: `token ${token}` };

/** A route table in memory, standing in for RouteService (its own tests cover it). */
const table = new Map<string, Record<string, unknown>>();
const calls: string[] = [];
let ready = true;
let outage: Error | undefined;
let chunksClosed = 0;
const routes = {
  get ready() {
    return ready;
  },
  *listJsonChunks(inactiveSince?: Date) {
    try {
      yield '{';
      let first = true;
      for (const [path, data] of table) {
        if (inactiveSince && typeof data.last_activity === 'string' && new Date(data.last_activity) >= inactiveSince) continue;
        yield `${first ? '' : ','}${JSON.stringify(path)}:${JSON.stringify(data)}`;
        first = false;
      }
      yield '}';
    } finally {
      chunksClosed++;
    }
  },
  getJson: (path: string) => (table.has(path) ? JSON.stringify(table.get(path)) : undefined),
  async upsert(path: string, body: unknown) {
    calls.push(`upsert ${path}`);
    if (outage) throw outage;
    table.set(path, body as Record<string, unknown>);
    return { written: true, name: 'vs', dependentsWritten: 0 };
  },
  async remove(path: string) {
    calls.push(`remove ${path}`);
    return table.delete(path);
  },
};

const logLines: Array<Record<string, unknown>> = [];
const log = pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line) as Record<string, unknown>) });
const metrics = createMetrics();
const server = http.createServer(proxyApiHandler({ routes, proxyToken: { token, source: 'env' }, maxBodyBytes: 1024, log, metrics }));
let base: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  table.clear();
  calls.length = 0;
  ready = true;
  outage = undefined;
});

const api = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { ...init, headers: { ...hub, ...(init.headers as Record<string, string>) } });
const post = (path: string, body: unknown) => api(path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('the hub proxy API handler', () => {
  it('adds, reads and deletes a route as configurable-http-proxy does', async () => {
    const added = await post('/api/routes/user/alice', { target: 'http://jupyter-alice:8888', user: 'alice' });
    expect(added.status).toBe(201);
    expect(await added.text()).toBe('');
    const one = await api('/api/routes/user/alice');
    expect(one.status).toBe(200);
    expect(one.headers.get('content-type')).toBe('application/json');
    expect(await one.json()).toEqual({ target: 'http://jupyter-alice:8888', user: 'alice' });
    expect(await (await api('/api/routes')).json()).toEqual({ '/user/alice': { target: 'http://jupyter-alice:8888', user: 'alice' } });
    expect((await api('/api/routes/user/alice', { method: 'DELETE' })).status).toBe(204);
    const gone = await api('/api/routes/user/alice', { method: 'DELETE' });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({ status: 404, error: 'no route "/user/alice"' });
  });

  it('decodes the route once and resolves dot segments, as the router before it did', async () => {
    await post('/api/routes/user/%E7%A7%80/', { target: 'http://a:1' });
    await post('/api/routes/user/x%2Fy', { target: 'http://a:1' });
    await post('/api/routes/user/c/../d?ignored=1', { target: 'http://a:1' });
    await post('/api/routes', { target: 'http://a:1' });
    expect(calls).toEqual(['upsert /user/秀', 'upsert /user/x/y', 'upsert /user/d', 'upsert /']);
  });

  it('lists the table for /api/routes and /api/routes/, filtered by inactive_since', async () => {
    table.set('/user/old', { target: 'http://a:1', last_activity: '2020-01-01T00:00:00.000Z' });
    table.set('/user/new', { target: 'http://a:1', last_activity: '2030-01-01T00:00:00.000Z' });
    expect(Object.keys(await (await api('/api/routes/')).json())).toEqual(['/user/old', '/user/new']);
    expect(Object.keys(await (await api('/api/routes?inactive_since=2025-01-01T00:00:00Z')).json())).toEqual(['/user/old']);
    expect(Object.keys(await (await api('/api/routes?inactiveSince=2025-01-01T00:00:00Z')).json())).toEqual(['/user/old']);
    const bad = await api('/api/routes?inactive_since=bogus');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ status: 400, error: 'inactive_since "bogus" is not a date' });
  });

  it('answers HEAD without a body, OPTIONS with what it serves, and PUT or PATCH with 405', async () => {
    table.set('/user/a', { target: 'http://a:1' });
    const head = await api('/api/routes', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('application/json');
    expect(await head.text()).toBe('');
    expect((await api('/api/routes/user/none', { method: 'HEAD' })).status).toBe(404);
    const options = await api('/api/routes', { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD, POST, DELETE, OPTIONS');
    for (const method of ['PUT', 'PATCH']) {
      const r = await api('/api/routes/user/a', { method, body: '{}' });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, POST, DELETE');
      expect(await r.json()).toEqual({ status: 405, error: 'method not allowed; the proxy API takes GET, POST and DELETE' });
    }
  });

  it('refuses a missing or wrong token with 403, touching nothing', async () => {
    for (const authorization of ['', 'token wrong', `Bearer ${token}`]) {
      const r = await fetch(`${base}/api/routes/user/a`, { method: 'POST', headers: { authorization }, body: '{"target":"http://a:1"}' });
      expect(r.status).toBe(403);
      expect(await r.json()).toEqual({ status: 403, error: 'missing or wrong Authorization: token <CONFIGPROXY_AUTH_TOKEN>' });
    }
    expect(calls).toEqual([]);
  });

  it('refuses bodies it cannot take with 400 or 413 and a JSON error', async () => {
    expect(await (await post('/api/routes/user/a', '{')).json()).toEqual({ status: 400, error: 'body is not valid JSON' });
    expect(await (await post('/api/routes/user/a', '')).json()).toEqual({ status: 400, error: 'body must be a JSON object' });
    const large = await post('/api/routes/user/a', { target: 'http://a:1', pad: 'x'.repeat(2000) });
    expect(large.status).toBe(413);
    expect(await large.json()).toEqual({ status: 413, error: 'body is larger than 1024 bytes' });
    expect(calls).toEqual([]);
  });

  it('answers 503 while the route cache is not synced, and when the apiserver is down', async () => {
    ready = false;
    const unsynced = await api('/api/routes');
    expect(unsynced.status).toBe(503);
    expect(unsynced.headers.get('retry-after')).toBe('1');
    outage = new KubeError(503, 'ServiceUnavailable', 'connect ECONNREFUSED');
    const down = await post('/api/routes/user/a', { target: 'http://a:1' });
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 503, error: 'Kubernetes API unavailable: connect ECONNREFUSED' });
    expect(logLines).toContainEqual(expect.objectContaining({ level: 50, msg: 'Kubernetes API unavailable' }));
  });

  it('carries the request id, the security headers, one log line and the metrics of each request', async () => {
    const r = await api('/api/routes', { headers: { 'x-request-id': 'trace-me-123', 'x-forwarded-proto': 'https' } });
    expect(r.headers.get('x-request-id')).toBe('trace-me-123');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('referrer-policy')).toBe('same-origin');
    expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(r.headers.get('strict-transport-security')).toBe('max-age=31536000');
    expect((await api('/api/routes')).headers.get('strict-transport-security')).toBeNull();
    expect(logLines).toContainEqual(expect.objectContaining({ requestId: 'trace-me-123', method: 'GET', path: '/api/routes', status: 200, msg: 'request' }));
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/hubmesh_http_requests_total\{route="\/api\/routes",method="GET",code="200"\} [1-9]/);
  });

  it('writes a large table as the client reads it, and lets go of it when the client leaves', async () => {
    for (let i = 0; i < 20_000; i++) table.set(`/user/u${i}`, { target: `http://jupyter-u${i}:8888`, pad: 'x'.repeat(100) });
    const whole = await (await api('/api/routes')).json();
    expect(Object.keys(whole)).toHaveLength(20_000);
    const closedBefore = chunksClosed;
    const controller = new AbortController();
    const reply = await api('/api/routes', { signal: controller.signal });
    const reader = reply.body!.getReader();
    await reader.read();
    controller.abort();
    await expect.poll(() => chunksClosed, { timeout: 5000 }).toBe(closedBefore + 1);
    expect((await api('/api/routes/user/u1')).status).toBe(200);
  });
});
