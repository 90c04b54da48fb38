import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { quoteRoutePath, virtualServiceName } from '@/lib/routes/routespec';
import type { HTTPRouteObject } from '@/lib/kube/httproutes';
import type { VirtualService } from '@/lib/kube/virtualservices';
import type { RouteObject } from '@/lib/routes/route-objects';
import { clients, eventually, HUB_NAMESPACE, notebookPod, uniqueName } from './helpers';
import { ROUTE_APIS, routeBackend, startHubmesh, TEST_HTTPROUTE_GATEWAY, type HubmeshProcess, type RouteApi } from './hubmesh-process';
import { destinationOf, expectedPathMatches, ownPathMatches, routeKindOfApi, routeObjectGroup } from './route-objects';

const { adminCustom, adminCore } = clients();

/** What JupyterHub does to a key from GET before it compares routes: quote(key, safe='@/~'). */
const hubQuote = quoteRoutePath;

const body = (user: string, target = `http://jupyter-${user.replace(/[^a-z0-9]/gi, 'x').toLowerCase()}:8888`) => ({
  target,
  jupyterhub: true,
  user,
  server_name: '',
});

/** The spec hubmesh gives a plain user route at /user/<user> to jupyter-<user>:8888, of each kind. */
function plainUserRouteSpec(api: RouteApi, user: string, name: string) {
  if (api === 'httproute') {
    const [namespace, gateway] = TEST_HTTPROUTE_GATEWAY.split('/');
    return {
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace, name: gateway }],
      rules: [
        {
          name: 'route',
          matches: [{ path: { type: 'PathPrefix', value: `/user/${user}` } }],
          filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-hubmesh-route', value: name }] } }],
          backendRefs: [{ group: '', kind: 'Service', name: `jupyter-${user}`, port: 8888, weight: 1 }],
        },
      ],
    };
  }
  return {
    hosts: ['*'],
    gateways: ['jupyterhub/jupyterhub-gateway'],
    http: [
      {
        name: 'route',
        match: [{ uri: { prefix: `/user/${user}/` } }, { uri: { exact: `/user/${user}` } }],
        route: [{ destination: { host: `jupyter-${user}.jupyterhub.svc.cluster.local`, port: { number: 8888 } } }],
        headers: { response: { set: { 'x-hubmesh-route': name } } },
      },
    ],
  };
}

/** An object of the backend's kind that is not hubmesh's, for the host `host`. */
function foreignObject(api: RouteApi, name: string, host: string, labels: Record<string, string> = {}): RouteObject {
  return api === 'httproute'
    ? ({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name, labels }, spec: { hostnames: [host] } } as HTTPRouteObject)
    : ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, labels }, spec: { hosts: [host] } } as VirtualService);
}

const hostsOf = (object: RouteObject) => ('hostnames' in object.spec ? object.spec.hostnames : (object as VirtualService).spec.hosts);

describe.each(ROUTE_APIS)('hub proxy API on the real apiserver (%s)', (api) => {
  let hm: HubmeshProcess;
  const prefix = `ct${uniqueName('x').slice(2)}`;
  const group = routeObjectGroup(api);
  const kindName = routeKindOfApi(api);
  const vsOf = (path: string) => adminCustom.getNamespacedCustomObject({ ...group, name: virtualServiceName(prefix, path) }) as Promise<RouteObject>;
  const routes = async (query = '') => {
    const r = await hm.api(`/api/routes${query}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    return (await r.json()) as Record<string, Record<string, unknown>>;
  };
  const post = (spec: string, data: unknown) => hm.api(`/api/routes${spec}`, { method: 'POST', body: JSON.stringify(data) });
  const vsExists = async (path: string) => vsOf(path).then(() => true, () => false);

  beforeAll(async () => {
    hm = await startHubmesh({ ...routeBackend(api, inject('appKubeconfig')), prefix });
  });
  afterAll(async () => {
    await hm?.stop();
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...group, labelSelector: `hubmesh.io/prefix=${prefix}` });
  });

  it('refuses requests without the right token with a JSON 403', async () => {
    for (const authorization of [undefined, 'token wrong', `Bearer ${hm.token}`]) {
      const r = await fetch(`${hm.url}/api/routes`, { headers: authorization ? { authorization } : {} });
      expect(r.status).toBe(403);
      expect(await r.json()).toMatchObject({ status: 403, error: expect.stringContaining('token') });
    }
  });

  it('starts with an empty table', async () => {
    expect(await routes()).toEqual({});
  });

  it('adds a user route as its object, which cannot catch a longer user name', async () => {
    const before = Date.now();
    const r = await post('/user/alice', body('alice'));
    expect(r.status).toBe(201);
    expect(await r.text()).toBe('');
    const table = await routes();
    expect(table['/user/alice']).toEqual({ ...body('alice'), last_activity: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    expect(Date.parse(table['/user/alice']!.last_activity as string)).toBeGreaterThanOrEqual(before - 1000);

    const vs = await vsOf('/user/alice');
    expect(vs.kind).toBe(kindName);
    expect(vs.metadata.name).toMatch(new RegExp(`^${prefix}-user-alice-[0-9a-f]{10}$`));
    expect(vs.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'hubmesh',
      'hubmesh.io/prefix': prefix,
      'hubmesh.io/user': 'alice',
      'hubmesh.io/server-name': '',
    });
    expect(vs.metadata.annotations?.['hubmesh.io/route']).toBe('/user/alice');
    expect(JSON.parse(vs.metadata.annotations!['hubmesh.io/data']!)).toEqual(body('alice'));
    expect(vs.spec).toEqual(plainUserRouteSpec(api, 'alice', vs.metadata.name));
  });

  it('adds the hub route / as the catch-all, from POST /api/routes/ and from POST /api/routes', async () => {
    expect((await post('/', { target: 'http://hub:8081', jupyterhub: true, hub: true })).status).toBe(201);
    const vs = await vsOf('/');
    expect(ownPathMatches(vs)).toEqual(expectedPathMatches(api, '/'));
    expect(destinationOf(vs)).toEqual({ host: 'hub.jupyterhub.svc.cluster.local', port: 8081 });
    expect((await post('', { target: 'http://hub:8081', jupyterhub: true, hub: true, again: 1 })).status).toBe(201);
    expect((await routes())['/']).toMatchObject({ hub: true, again: 1 });
  });

  it('treats /user/bob/ and /user/bob as one route', async () => {
    expect((await post('/user/bob/', body('bob'))).status).toBe(201);
    expect(Object.keys(await routes())).toContain('/user/bob');
    expect((await hm.api('/api/routes/user/bob', { method: 'DELETE' })).status).toBe(204);
    expect(Object.keys(await routes())).not.toContain('/user/bob');
  });

  // [what is sent, the key GET lists, the routespec the hub makes of that key]
  it.each([
    ['/user/foo%40bar', '/user/foo@bar', '/user/foo@bar'],
    ['/user/%E7%A7%80%E6%A8%B9', '/user/秀樹', '/user/%E7%A7%80%E6%A8%B9'],
    ['/user/~TestJH', '/user/~TestJH', '/user/~TestJH'],
    ['/user/has@', '/user/has@', '/user/has@'],
    ['/user/50fia', '/user/50fia', '/user/50fia'],
    ['/user/with%20space', '/user/with space', '/user/with%20space'],
  ])('decodes %s to the key %s, which the hub quotes back to %s', async (spec, key, hubSpec) => {
    const user = decodeURIComponent(spec.slice('/user/'.length));
    expect((await post(spec, body(user))).status).toBe(201);
    const table = await routes();
    expect(table[key]).toMatchObject({ user });
    expect(hubQuote(key)).toBe(hubSpec);
    const vs = await vsOf(key);
    expect(vs.metadata.annotations?.['hubmesh.io/route']).toBe(key);
    expect(ownPathMatches(vs)).toEqual(expectedPathMatches(api, hubSpec));
    // the same route named in its decoded form is the same object
    expect((await hm.api(`/api/routes${encodeURI(key)}`)).status).toBe(200);
  });

  it('keeps the whole body as data, replaces it on the next POST, and writes nothing when nothing changed', async () => {
    expect((await post('/user/carol', { ...body('carol'), extra: { nested: [1, 'two'] } })).status).toBe(201);
    expect((await routes())['/user/carol']).toMatchObject({ extra: { nested: [1, 'two'] } });
    const first = await vsOf('/user/carol');

    expect((await post('/user/carol', { ...body('carol'), extra: { nested: [1, 'two'] } })).status).toBe(201);
    const same = await vsOf('/user/carol');
    expect(same.metadata.resourceVersion).toBe(first.metadata.resourceVersion);
    expect(same.metadata.annotations?.['hubmesh.io/last-activity']).toBe(first.metadata.annotations?.['hubmesh.io/last-activity']);

    expect((await post('/user/carol', body('carol', 'http://jupyter-carol-2:8888'))).status).toBe(201);
    const updated = await vsOf('/user/carol');
    expect(updated.metadata.uid).toBe(first.metadata.uid);
    expect(updated.metadata.generation).toBe((first.metadata.generation ?? 1) + 1);
    expect(destinationOf(updated)?.host).toBe('jupyter-carol-2.jupyterhub.svc.cluster.local');
    const data = (await routes())['/user/carol']!;
    expect(data.extra).toBeUndefined();
    expect(data.target).toBe('http://jupyter-carol-2:8888');
  });

  it('answers GET /api/routes/<route> with the route or a JSON 404', async () => {
    const one = await hm.api('/api/routes/user/alice');
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject(body('alice'));
    const none = await hm.api('/api/routes/user/nobody');
    expect(none.status).toBe(404);
    expect(await none.json()).toMatchObject({ status: 404, error: expect.stringContaining('/user/nobody') });
  });

  it('deletes with 204 and an empty body, then 404 for a route that is gone', async () => {
    expect((await post('/user/dave', body('dave'))).status).toBe(201);
    const r = await hm.api('/api/routes/user/dave', { method: 'DELETE' });
    expect(r.status).toBe(204);
    expect(await r.text()).toBe('');
    expect(await vsExists('/user/dave')).toBe(false);
    const again = await hm.api('/api/routes/user/dave', { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ status: 404 });
  });

  it('filters by inactive_since and inactiveSince, and refuses a date it cannot read', async () => {
    expect((await post('/user/early', body('early'))).status).toBe(201);
    await new Promise((r) => setTimeout(r, 20));
    const cutoff = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 20));
    expect((await post('/user/late', body('late'))).status).toBe(201);
    for (const param of ['inactive_since', 'inactiveSince']) {
      const keys = Object.keys(await routes(`?${param}=${encodeURIComponent(cutoff)}`));
      expect(keys).toContain('/user/early');
      expect(keys).not.toContain('/user/late');
    }
    const bad = await hm.api('/api/routes?inactive_since=yesterday-ish');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ status: 400, error: expect.stringContaining('yesterday-ish') });
  });

  it('refuses bad bodies with a JSON 4xx and writes nothing', async () => {
    const cases: Array<[string, BodyInit, number, RegExp]> = [
      ['/user/bad1', '{not json', 400, /not valid JSON/],
      ['/user/bad2', '[1,2]', 400, /JSON object/],
      ['/user/bad3', JSON.stringify({ target: 8888 }), 400, /target must be a string/],
      ['/user/bad4', 'null', 400, /target must be a string/],
      ['/user/bad5', '', 400, /JSON object/],
      ['/user/bad6', JSON.stringify({ target: 'http://hub:8081/some/path?x=1' }), 400, /must not have a query or fragment/],
      ['/user/bad7', JSON.stringify({ target: 'x', pad: 'y'.repeat(70_000) }), 413, /larger than/],
    ];
    for (const [spec, payload, status, message] of cases) {
      const r = await hm.api(`/api/routes${spec}`, { method: 'POST', body: payload });
      expect(r.status, spec).toBe(status);
      expect(((await r.json()) as { error: string }).error).toMatch(message);
      expect(await vsExists(spec)).toBe(false);
    }
    expect(Object.keys(await routes()).filter((k) => k.startsWith('/user/bad'))).toEqual([]);
  });

  it('answers other API paths with a JSON 404 and other methods with a JSON 405', async () => {
    const other = await hm.api('/api/other');
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ status: 404 });
    for (const method of ['PUT', 'PATCH']) {
      const r = await hm.api('/api/routes/user/alice', { method, body: '{}' });
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('GET, POST, DELETE');
      expect(await r.json()).toMatchObject({ status: 405 });
    }
  });

  it('shows its own write on the very next read (read-your-writes)', async () => {
    for (let i = 0; i < 15; i++) {
      const spec = `/user/ryw${i}`;
      expect((await post(spec, body(`ryw${i}`))).status).toBe(201);
      expect(Object.keys(await routes())).toContain(spec);
      expect((await hm.api(`/api/routes${spec}`, { method: 'DELETE' })).status).toBe(204);
      expect(Object.keys(await routes())).not.toContain(spec);
    }
  });

  it('resolves a pod-IP target to the Service that selects the pod', async () => {
    const name = uniqueName('jupyter-erin');
    await adminCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: notebookPod(name, 'erin') });
    await adminCore.createNamespacedService({
      namespace: HUB_NAMESPACE,
      body: { metadata: { name }, spec: { selector: { 'hub.jupyter.org/username': 'erin' }, ports: [{ name: 'http', port: 8888, targetPort: 8888 }] } },
    });
    try {
      const ip = await eventually(async () => (await adminCore.readNamespacedPod({ namespace: HUB_NAMESPACE, name })).status?.podIP, 'a pod IP from kwok');
      expect((await post('/user/erin', body('erin', `http://${ip}:8888`))).status).toBe(201);
      expect(destinationOf(await vsOf('/user/erin'))).toEqual({ host: `${name}.${HUB_NAMESPACE}.svc.cluster.local`, port: 8888 });
      expect((await routes())['/user/erin']?.target).toBe(`http://${ip}:8888`);
    } finally {
      await adminCore.deleteNamespacedService({ namespace: HUB_NAMESPACE, name });
      await adminCore.deleteNamespacedPod({ namespace: HUB_NAMESPACE, name, gracePeriodSeconds: 0 });
    }
  });

  it('refuses a pod-IP target no Service serves, and says what to configure', async () => {
    const r = await post('/user/frank', body('frank', 'http://10.244.99.99:8888'));
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: string }).error).toMatch(/KubeSpawner\.services_enabled = True/);
    expect(await vsExists('/user/frank')).toBe(false);
  });

  it(`never lists or touches ${kindName}s it does not own`, async () => {
    const foreign = uniqueName('someone-else');
    await adminCustom.createNamespacedCustomObject({ ...group, body: foreignObject(api, foreign, 'elsewhere.example.com') });
    // an object that happens to carry the name hubmesh would give /user/grace, but is not hubmesh's
    const clash = virtualServiceName(prefix, '/user/grace');
    await adminCustom.createNamespacedCustomObject({ ...group, body: foreignObject(api, clash, 'other.example.com', { team: 'other' }) });
    try {
      expect(Object.keys(await routes())).not.toContain('/user/grace');
      const r = await post('/user/grace', body('grace'));
      expect(r.status).toBe(409);
      expect(((await r.json()) as { error: string }).error).toMatch(/not managed by hubmesh/);
      expect((await hm.api('/api/routes/user/grace', { method: 'DELETE' })).status).toBe(404);
      const untouched = (await adminCustom.getNamespacedCustomObject({ ...group, name: clash })) as RouteObject;
      expect(hostsOf(untouched)).toEqual(['other.example.com']);
    } finally {
      await adminCustom.deleteNamespacedCustomObject({ ...group, name: foreign });
      await adminCustom.deleteNamespacedCustomObject({ ...group, name: clash });
    }
  });

  it('serves health, readiness and metrics', async () => {
    expect(await (await fetch(`${hm.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${hm.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', mode: 'cluster', checks: { routeCache: { ok: true }, apiserver: { ok: true } } });
    const metrics = await (await fetch(`${hm.url}/metrics`)).text();
    expect(metrics).toMatch(/hubmesh_http_requests_total\{route="\/api\/routes",method="POST",code="201"\} \d+/);
    expect(metrics).toMatch(/hubmesh_http_request_duration_seconds_bucket\{le="0\.1",route="\/api\/routes",method="GET"\} \d+/);
    expect(metrics).toMatch(/hubmesh_kube_requests_total\{verb="POST",code="201"\} \d+/);
    expect(metrics).toMatch(/hubmesh_kube_request_errors_total\{verb="POST",code="409"\} \d+/);
    expect(metrics).toMatch(new RegExp(`hubmesh_cache_objects\\{kind="${group.plural}"\\} \\d+`));
    expect(metrics).toMatch(new RegExp(`hubmesh_cache_synced\\{kind="${group.plural}"\\} 1`));
  });

  it('logs each request as a JSON line with its request id', async () => {
    const r = await hm.api('/api/routes', { headers: { 'x-request-id': 'trace-me-123' } });
    expect(r.headers.get('x-request-id')).toBe('trace-me-123');
    await eventually(() => (hm.output().includes('"requestId":"trace-me-123"') ? true : undefined), 'the request log line');
    const line = hm.output().split('\n').find((l) => l.includes('"requestId":"trace-me-123"'))!;
    expect(JSON.parse(line)).toMatchObject({ level: 30, method: 'GET', path: '/api/routes', status: 200, msg: 'request' });
  });
});

describe('host routing (HUBMESH_HOST_ROUTING)', () => {
  const group = routeObjectGroup('virtualservice');
  let hm: HubmeshProcess;
  const prefix = `ht${uniqueName('x').slice(2)}`;
  beforeAll(async () => {
    hm = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, env: { HUBMESH_HOST_ROUTING: 'true', HUBMESH_HOSTS: 'hub.example.com' } });
  });
  afterAll(async () => {
    await hm?.stop();
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...group, labelSelector: `hubmesh.io/prefix=${prefix}` });
  });

  it('binds a host route to its host, and keeps / on the configured hosts', async () => {
    expect((await hm.api('/api/routes/alice.hub.example.com/user/alice', { method: 'POST', body: JSON.stringify(body('alice')) })).status).toBe(201);
    expect((await hm.api('/api/routes/', { method: 'POST', body: JSON.stringify({ target: 'http://hub:8081', jupyterhub: true }) })).status).toBe(201);
    const table = (await (await hm.api('/api/routes')).json()) as Record<string, unknown>;
    expect(Object.keys(table).sort()).toEqual(['/', '/alice.hub.example.com/user/alice']);
    const vs = (await adminCustom.getNamespacedCustomObject({ ...group, name: virtualServiceName(prefix, '/alice.hub.example.com/user/alice') })) as VirtualService;
    expect(vs.spec.hosts).toEqual(['alice.hub.example.com']);
    expect(vs.spec.http?.[0]?.match).toEqual([{ uri: { prefix: '/user/alice/' } }, { uri: { exact: '/user/alice' } }]);
    const root = (await adminCustom.getNamespacedCustomObject({ ...group, name: virtualServiceName(prefix, '/') })) as VirtualService;
    expect(root.spec.hosts).toEqual(['hub.example.com']);
  });
});
