import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { PreviewService } from '@/lib/routes/previews';
import type { RenderContext } from '@/lib/routes/virtualservice';
import { routeReplica, testRenderContext } from './route-replica';
import { routeBackend } from './hubmesh-process';
import type { RouteApi } from '@/lib/routes/route-objects';
import { clients, eventually, HUB_NAMESPACE, testLog } from './helpers';
import { ChpReference } from './oracle/chp';
import { Oracle, oracleBinary, type OracleRequest, type OracleResult } from './oracle/client';
import type { KubeObject } from '@/lib/kube/types';
import type { HTTPRouteObject } from '@/lib/kube/httproutes';
import { ageOrders, disagreement, expectedCluster, objectsYaml, ROUTING_BACKENDS, serviceObjects, withAges } from './oracle/routing-case';

/**
 * Fixed scenarios from the hub's life, each judged by Istio's own config generator (istio-oracle) under
 * every order of age its route objects could have (all permutations, and all of them created in the same
 * second), with 0 messages from Istio's validation and analyzers, for both route backends: VirtualServices on
 * an Istio Gateway, and HTTPRoutes on a Gateway API Gateway (Istio's own Gateway API translation). Plain routes
 * are compared with configurable-http-proxy itself; overlays (which CHP does not have) with what they promise.
 */
const { adminCore, adminCustom } = clients();
/** The app's own identity for a route backend (the httproute one may write HTTPRoutes, as the chart grants it). */
const appFor = (api: RouteApi) => connect(parseConfig({ KUBECONFIG: routeBackend(api, inject('appKubeconfig')).kubeconfig, HUBMESH_NAMESPACE: HUB_NAMESPACE }));
const OVERLAY_SERVICES = ['hub-next', 'beta', 'lab-next', 'alice-next'];
const cluster = (service: string, port = 8888) => expectedCluster(`http://${service}:${port}`, HUB_NAMESPACE);

type Route = { path: string; target: string; data?: Record<string, unknown> };

describe.each(ROUTING_BACKENDS)('routing scenarios through Istio (istio-oracle), $api backend', (backend) => {
  const vsGroup = { ...backend.objects, namespace: HUB_NAMESPACE };
  const app = appFor(backend.api);
  let oracle: Oracle;
  const stop: Array<() => void> = [];
  let ctx: RenderContext;

  beforeAll(async () => {
    oracle = new Oracle(oracleBinary());
    for (const name of OVERLAY_SERVICES) {
      await adminCore
        .createNamespacedService({ namespace: HUB_NAMESPACE, body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 8888 }] } } })
        .catch(() => undefined);
    }
  });

  afterEach(async () => {
    for (const s of stop.splice(0)) s();
    if (ctx) await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` });
  });

  afterAll(async () => {
    await oracle?.close();
    for (const name of OVERLAY_SERVICES) await adminCore.deleteNamespacedService({ namespace: HUB_NAMESPACE, name }).catch(() => undefined);
  });

  async function setUp(routes: Route[], options: { hostRouting?: boolean; order?: number[] } = {}) {
    ctx = { ...testRenderContext('sc'), hostRouting: options.hostRouting ?? false };
    const replica = await routeReplica(app, ctx, undefined, testLog, backend.api);
    stop.push(() => replica.stop());
    for (const i of options.order ?? routes.keys()) await replica.routes.upsert(routes[i]!.path, { target: routes[i]!.target, jupyterhub: true, ...routes[i]!.data });
    const previews = new PreviewService({ routes: replica.routes, store: replica.store, hostRouting: ctx.hostRouting, log: testLog });
    return { replica, previews };
  }

  /** The objects as stored, then Istio's answer to each request under every order of age; with `expect`, the answers to check. */
  async function judgeAllOrders(routes: Route[], requests: OracleRequest[], check: (request: OracleRequest, result: OracleResult) => string | undefined) {
    const list = (await adminCustom.listNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` })) as { items: KubeObject[] };
    const services = serviceObjects(HUB_NAMESPACE, [...routes.map((r) => r.target), ...OVERLAY_SERVICES.map((s) => `http://${s}:8888`)]);
    const problems: string[] = [];
    let orders = 0;
    for (const { ranks, tieWidth } of ageOrders(list.items.length)) {
      const verdict = await oracle.judge({ objects: objectsYaml([backend.gateway(HUB_NAMESPACE), ...services, ...withAges(list.items, ranks, tieWidth)]), requests, ...backend.judgeWith(HUB_NAMESPACE) });
      expect(verdict.error).toBe('');
      expect(verdict.messages, "Istio's validation and analyzers").toEqual([]);
      for (const [i, request] of requests.entries()) {
        const problem = check(request, verdict.results[i]!);
        if (problem) problems.push(`ages ${ranks.join(',')}: ${problem}`);
      }
      orders++;
    }
    expect(problems).toEqual([]);
    expect(orders).toBeGreaterThan(1);
  }

  /** Plain routes: Istio's choice equals CHP's for every request. */
  async function equalsChp(routes: Route[], requests: OracleRequest[], hostRouting = false) {
    const chp = new ChpReference({ hostRouting });
    for (const r of routes) await chp.add(r.path, r.target);
    const choices = new Map<OracleRequest, Awaited<ReturnType<ChpReference['choose']>>>();
    for (const request of requests) choices.set(request, await chp.choose(request));
    await judgeAllOrders(routes, requests, (request, result) => disagreement(request, choices.get(request), result, HUB_NAMESPACE));
  }

  const at = (path: string, headers?: Record<string, string>): OracleRequest => ({ host: 'hub.example.com', path, ...(headers ? { headers } : {}) });
  const hub: Route = { path: '/', target: 'http://hub:8081', data: { hub: true } };
  const alice: Route = { path: '/user/alice', target: 'http://jupyter-alice:8888', data: { user: 'alice', server_name: '' } };
  const lab2: Route = { path: '/user/alice/lab2', target: 'http://jupyter-alice-lab2:8888', data: { user: 'alice', server_name: 'lab2' } };
  const aliceRequests = [at('/user/alice'), at('/user/alice/'), at('/user/alice/api/kernels'), at('/user/alice/lab2'), at('/user/alice/lab2/api/kernels'), at('/user/alice/lab22'), at('/user/alicex'), at('/hub/home')];

  it('named servers: /user/alice/lab2 reaches its own server whichever was created first', async () => {
    for (const order of [
      [0, 1, 2],
      [0, 2, 1],
    ]) {
      await setUp([hub, alice, lab2], { order });
      await equalsChp([hub, alice, lab2], aliceRequests);
      for (const s of stop.splice(0)) s();
      await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` });
    }
  });

  it('base_url: the hub at /jupyter/ never takes a user, and paths outside it have no route (404), as with CHP', async () => {
    const routes: Route[] = [
      { path: '/jupyter', target: 'http://hub:8081', data: { hub: true } },
      { path: '/jupyter/user/alice', target: 'http://jupyter-alice:8888' },
      { path: '/jupyter/user/秀', target: 'http://jupyter-hideki:8888' },
      { path: '/jupyter/services/announce', target: 'http://announce:8000' },
    ];
    await setUp(routes);
    await equalsChp(routes, [
      at('/jupyter/user/alice/api'),
      at('/jupyter/user/alice'),
      at('/jupyter/user/%E7%A7%80/x'),
      at('/jupyter/services/announce/news'),
      at('/jupyter/hub/home'),
      at('/jupyter'),
      at('/jupyterx'),
      at('/other'),
      at('/'),
    ]);
  });

  it("services and extra routes, unicode, '@' and '~' users in the form JupyterHub links to", async () => {
    const routes: Route[] = [
      hub,
      { path: '/services/announce', target: 'http://announce:8000' },
      { path: '/user/秀樹', target: 'http://jupyter-hideki:8888' },
      { path: '/user/has@', target: 'http://jupyter-has:8888' },
      { path: '/user/~TestJH', target: 'http://jupyter-testjh:8888' },
      { path: '/user/~TestJH/lab', target: 'http://jupyter-testjh-lab:8888' },
    ];
    await setUp(routes);
    await equalsChp(routes, [
      at('/services/announce/x'),
      at('/services/other'),
      at('/user/%E7%A7%80%E6%A8%B9/lab'),
      at('/user/has@/tree'),
      at('/user/~TestJH/lab/tree'),
      at('/user/~TestJH/tree'),
      at('/user/~TestJHx'),
    ]);
  });

  it('host routing: a host route by its host first, and the rest of every host to the hub', async () => {
    const routes: Route[] = [
      hub,
      { path: '/alice.hub.example.com/user/alice', target: 'http://jupyter-alice:8888' },
      { path: '/alice.hub.example.com/user/alice/lab2', target: 'http://jupyter-alice-lab2:8888' },
    ];
    await setUp(routes, { hostRouting: true });
    const on = (host: string, path: string): OracleRequest => ({ host, path });
    await equalsChp(
      routes,
      [on('alice.hub.example.com', '/user/alice/x'), on('alice.hub.example.com', '/user/alice/lab2/x'), on('alice.hub.example.com', '/hub/login'), on('hub.example.com', '/user/alice/x'), on('bob.hub.example.com', '/user/bob/')],
      true,
    );
  });

  it("target paths: CHP's prepend-path is Istio's rewrite", async () => {
    const routes: Route[] = [hub, { path: '/has space/foo', target: 'http://localhost:9999/test' }, { path: '/prefixed', target: 'http://svc:8000/base/' }];
    const { replica } = await setUp(routes);
    await equalsChp(routes, [at('/has%20space/foo/x'), at('/has%20space/foo'), at('/has%20space/foo/'), at('/prefixed/a?b=1'), at('/prefixed')]);
    if (backend.api === 'httproute') {
      // Istio rewrites an HTTPRoute's PathPrefix "/" to "<path>x", not CHP's "<path>/x": refused, the route kept as it was
      await expect(replica.routes.upsert('/', { target: 'http://hub:8081/base', jupyterhub: true })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/on "\/" Istio rewrites/) });
      await equalsChp(routes, [at('/hub/home')]);
    }
  });

  it('a canary applies only to its own route: not to the named server below it', async () => {
    const { replica } = await setUp([hub, alice, lab2]);
    await replica.routes.setOverlays('/user/alice', { canary: { weights: { current: 90, canary: 10 }, destination: { service: 'alice-next', port: 8888 } }, rules: [] });
    await judgeAllOrders([hub, alice, lab2], [at('/user/alice/x'), at('/user/alice/lab2/x'), at('/hub/home')], (request, r) => {
      if (request.path.startsWith('/user/alice/lab2')) return r.outcome === 'cluster' && r.cluster === cluster('jupyter-alice-lab2') ? undefined : `${request.path}: ${r.outcome} ${r.cluster}`;
      if (request.path.startsWith('/user/alice')) {
        const w = (r.weightedClusters ?? []).map((c) => `${c.name}=${c.weight}`).join(',');
        return r.outcome === 'weighted' && w === `${cluster('jupyter-alice')}=90,${cluster('alice-next')}=10` ? undefined : `${request.path}: ${r.outcome} ${w}`;
      }
      return r.cluster === cluster('hub', 8081) ? undefined : `${request.path}: ${r.cluster}`;
    });
  });

  it("a selective rule takes its route's matching requests, never a more specific route's", async () => {
    const { replica } = await setUp([hub, alice, lab2]);
    await replica.routes.setOverlays('/user/alice', { rules: [{ name: 'beta', match: { header: 'x-beta', exact: '1' }, destination: { service: 'beta' } }] });
    await judgeAllOrders([hub, alice, lab2], [at('/user/alice/x', { 'x-beta': '1' }), at('/user/alice/lab2/x', { 'x-beta': '1' }), at('/user/alice/x')], (request, r) => {
      const want = request.path.includes('lab2') ? cluster('jupyter-alice-lab2') : request.headers ? cluster('beta') : cluster('jupyter-alice');
      return r.cluster === want ? undefined : `${request.path} ${JSON.stringify(request.headers)}: ${r.cluster}, want ${want}`;
    });
  });

  it("a preview on / takes the hub's pages for its cookie, but neither a user's server nor the hub's API", async () => {
    const { previews } = await setUp([hub, alice, lab2]);
    await previews.create({ name: 'hub-next', pathPrefix: '/', service: 'hub-next', match: { header: true, cookie: true }, ttl: 3_600_000 }, { owner: 'eng', isAdmin: false });
    const cookie = { cookie: 'a=1; hubmesh-preview=hub-next; b=2' };
    await judgeAllOrders(
      [hub, alice, lab2],
      [at('/hub/home', cookie), at('/hub/home', { 'x-hubmesh-preview': 'hub-next' }), at('/user/alice/x', cookie), at('/user/alice/lab2/x', cookie), at('/hub/api/users', cookie), at('/hub/home'), at('/user/bob/', cookie)],
      (request, r) => {
        // a preview never takes a more specific route's requests. In a VirtualService it keeps off the whole first
        // segment that holds routes (/user/...), so a stopped user's /user/bob/ stays with the hub; an HTTPRoute's
        // PathPrefix "/" loses to every longer route by the Gateway API's own precedence, and takes /user/bob/ too
        const keptOff = backend.api === 'virtualservice' && request.path.startsWith('/user/');
        const want =
          request.path.startsWith('/user/alice/lab2') ? cluster('jupyter-alice-lab2')
          : request.path.startsWith('/user/alice') ? cluster('jupyter-alice')
          : request.path.startsWith('/hub/api') || keptOff || !request.headers ? cluster('hub', 8081)
          : cluster('hub-next');
        return r.cluster === want ? undefined : `${request.path} ${JSON.stringify(request.headers)}: ${r.cluster} (${r.routeName}), want ${want}`;
      },
    );
  });

  it('a preview on a user path takes that path for its header only, not the named server below the user', async () => {
    const { previews } = await setUp([hub, alice, lab2]);
    await previews.create({ name: 'alice-lab', pathPrefix: '/user/alice', service: 'lab-next', match: { header: true, cookie: false }, ttl: 3_600_000 }, { owner: 'alice', isAdmin: false });
    const header = { 'x-hubmesh-preview': 'alice-lab' };
    await judgeAllOrders([hub, alice, lab2], [at('/user/alice/tree', header), at('/user/alice/lab2/tree', header), at('/user/alice/tree')], (request, r) => {
      const want = request.path.includes('lab2') ? cluster('jupyter-alice-lab2') : request.headers ? cluster('lab-next') : cluster('jupyter-alice');
      return r.cluster === want ? undefined : `${request.path} ${JSON.stringify(request.headers)}: ${r.cluster}, want ${want}`;
    });
  });

  // each backend's own form of an object written otherwise: defined only where it applies, so nothing is skipped
  if (backend.api === 'httproute') it('renders an HTTPRoute changed by hand again, in place, once the reconciler runs', async () => {
    const { replica } = await setUp([hub, alice, lab2]);
    const list = (await adminCustom.listNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` })) as { items: HTTPRouteObject[] };
    const stored = list.items.find((r) => r.metadata.annotations?.['hubmesh.io/route'] === '/user/alice')!;
    // someone points alice's rule at the hub: the reconciler puts the route's own backend back, in the same object
    const edited = { ...stored, spec: { ...stored.spec, rules: stored.spec.rules!.map((r) => ({ ...r, backendRefs: [{ group: '', kind: 'Service', name: 'hub', port: 8081, weight: 1 }] })) } };
    await adminCustom.replaceNamespacedCustomObject({ ...vsGroup, name: stored.metadata.name, body: edited });
    await eventually(() => ((replica.store.cache.get(stored.metadata.name) as HTTPRouteObject | undefined)?.spec.rules?.[0]?.backendRefs?.[0]?.name === 'hub' ? true : undefined), 'the edit in the cache');
    // the stored object's own rule now names the hub: the route keeps the destination its object says, as for a VirtualService
    expect(await replica.routes.reconcileAll()).toEqual({ routes: 3, written: 0, failed: 0 });
    await replica.routes.upsert(alice.path, { target: alice.target, jupyterhub: true, ...alice.data });
    const after = (await adminCustom.getNamespacedCustomObject({ ...vsGroup, name: stored.metadata.name })) as HTTPRouteObject;
    expect(after.metadata.uid).toBe(stored.metadata.uid);
    await equalsChp([hub, alice, lab2], aliceRequests);
  });

  if (backend.api === 'virtualservice') it('renders objects written by the previous rendering again, in place, once the reconciler runs', async () => {
    const { replica } = await setUp([hub, alice]);
    // an object as the previous version wrote it: alice's route alone, without lab2's rule nested in it
    const before = (await adminCustom.listNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` })) as { items: VirtualService[] };
    await replica.routes.upsert(lab2.path, { target: lab2.target, jupyterhub: true });
    const aliceName = before.items.find((vs) => vs.metadata.annotations?.['hubmesh.io/route'] === '/user/alice')!.metadata.name;
    const old = before.items.find((vs) => vs.metadata.name === aliceName)!;
    const current = (await adminCustom.getNamespacedCustomObject({ ...vsGroup, name: aliceName })) as VirtualService;
    await adminCustom.replaceNamespacedCustomObject({ ...vsGroup, name: aliceName, body: { ...current, spec: old.spec } });
    await eventually(() => ((replica.store.cache.get(aliceName) as VirtualService | undefined)?.spec.http?.length === 1 ? true : undefined), 'the old rendering in the cache');
    const result = await replica.routes.reconcileAll();
    expect(result).toEqual({ routes: 3, written: 1, failed: 0 });
    const after = (await adminCustom.listNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` })) as { items: VirtualService[] };
    expect(after.items.map((vs) => vs.metadata.uid).sort()).toEqual([...before.items.map((vs) => vs.metadata.uid), after.items.find((vs) => vs.metadata.annotations?.['hubmesh.io/route'] === lab2.path)!.metadata.uid].sort());
    await equalsChp([hub, alice, lab2], aliceRequests);
  });
});
