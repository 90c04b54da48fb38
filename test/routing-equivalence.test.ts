import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import type { VirtualService } from '@/lib/kube/virtualservices';
import type { Overlays } from '@/lib/routes/overlays';
import { rateLimitedRoutes, renderRateLimitFilter } from '@/lib/routes/rate-limits';
import { quoteRoutePath, splitHostRoute } from '@/lib/routes/routespec';
import { routeFromObject } from '@/lib/routes/virtualservice';
import { routeReplica, testRenderContext } from './route-replica';
import { routeBackend } from './hubmesh-process';
import type { RouteApi } from '@/lib/routes/route-objects';
import { clients, eventually, HUB_NAMESPACE, testLog } from './helpers';
import { ChpReference } from './oracle/chp';
import { Oracle, oracleBinary, type OracleRequest } from './oracle/client';
import type { RouteObject } from '@/lib/routes/route-objects';
import { disagreement, objectsYaml, ROUTING_BACKENDS, serviceObjects, withAges, type RoutingBackend } from './oracle/routing-case';

/**
 * The promise of hubmesh, as a property: for any set of routes the hub can register, added (and some
 * removed) in any order, and with hubmesh's route objects in any order of age Istio could see them in
 * (same-second ties included), every request reaches through Istio's own gateway config what
 * configurable-http-proxy 5.3.0 picks for it, whatever resilience settings (retries, timeouts, faults, rate
 * limits) the routes carry, and they stay through the hub's re-POSTs. It holds for both route backends:
 * VirtualServices on an Istio Gateway, and HTTPRoutes on a Gateway API Gateway (with the settings the Gateway
 * API's standard channel has: timeouts). HUBMESH_ROUTING_CASES sets the count per backend (500 by default),
 * HUBMESH_ROUTING_SEED replays a run; the seed is printed either way.
 */
const CASES = Number(process.env.HUBMESH_ROUTING_CASES ?? 500);
const SEED = process.env.HUBMESH_ROUTING_SEED ? Number(process.env.HUBMESH_ROUTING_SEED) : Math.floor(Math.random() * 2 ** 31);

const { adminCustom } = clients();
/** The app's own identity for a route backend (the httproute one may write HTTPRoutes, as the chart grants it). */
const appFor = (api: RouteApi) => connect(parseConfig({ KUBECONFIG: routeBackend(api, inject('appKubeconfig')).kubeconfig, HUBMESH_NAMESPACE: HUB_NAMESPACE }));

const USERS = ['alice', 'al', 'zoe', '50fia', '秀樹', '~TestJH', 'has@', 'bob smith', 'Ünï'] as const;
const SERVERS = ['lab2', 'lab', 'gpu', '秀'] as const;
const HOST_USERS = ['alice', 'al', 'zoe', '50fia'] as const;

type RouteSpec = { path: string; target: string };

/** Resilience settings on a route: none of them may change where a request without a fault's header goes. */
const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
const RESILIENCE: Record<string, Partial<Overlays>> = {
  retries: { retries: { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset', perTryTimeout: '2s' } },
  off: { retries: 'off', timeout: 'off', rateLimit: 'off' },
  timeout: { timeout: '90s' },
  timeoutOff: { timeout: 'off' },
  fault: { fault: { abort: { percent: 50, httpStatus: 503 }, scope: { header: 'x-hubmesh-fault', exact: 'demo' }, expiresAt } },
  everyone: { fault: { delay: { percent: 5, fixedDelay: '1s' }, scope: 'everyone', expiresAt } },
  rateLimit: { rateLimit: { requests: 50, per: 'second' } },
};
/** The settings each backend can hold (the httproute backend refuses retries, faults and rate limits). */
const SETTINGS: Record<RoutingBackend['api'], string[]> = { virtualservice: Object.keys(RESILIENCE), httproute: ['timeout', 'timeoutOff'] };

type Case = {
  hostRouting: boolean;
  routes: RouteSpec[];
  /** indexes into routes: POSTed in this order; `removed` are then DELETEd again */
  order: number[];
  removed: number[];
  /** resilience settings (keys of RESILIENCE) set on routes (indexes) after they are POSTed */
  settings: Array<{ route: number; setting: string }>;
  ranks: number[];
  tieWidth: number;
  requests: OracleRequest[];
};

const subset = <T>(items: readonly T[], max: number) => fc.subarray([...items], { maxLength: Math.min(max, items.length) });

/** The hub's routes for one deployment: hub, users' default and named servers, services, extra routes. */
const pathRoutes = fc
  .record({
    base: fc.constantFrom('', '/jupyter', '/a/b'),
    rootExtra: fc.boolean(),
    users: subset(USERS, 5),
    defaults: fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }),
    named: fc.array(subset(SERVERS, 2), { minLength: 9, maxLength: 9 }),
    services: subset(['announce', 'grader', 'user'], 2),
    extras: subset(['/user', '/user/alice/lab2/deep', '/extra', '/services', '/hub/api', 'x', '/jupyterx/user/alice'], 3),
  })
  .map(({ base, rootExtra, users, defaults, named, services, extras }) => {
    const paths = new Set<string>([base || '/']);
    if (rootExtra && base) paths.add('/');
    users.forEach((user, i) => {
      if (defaults[i]) paths.add(`${base}/user/${user}`);
      for (const server of named[i] ?? []) paths.add(`${base}/user/${user}/${server}`);
    });
    for (const s of services) paths.add(`${base}/services/${s}`);
    // 'x' is a sibling of the base URL that merely starts like it ("/jupyterx")
    for (const e of extras) paths.add(e === 'x' ? (base ? `${base}x` : '/x') : e.startsWith('/jupyterx') ? e : `${base}${e}`);
    return { base, paths: [...paths] };
  });

const hostRoutes = fc.record({ users: subset(HOST_USERS, 3), named: fc.array(subset(SERVERS, 2), { minLength: 4, maxLength: 4 }) }).map(({ users, named }) => {
  const paths = new Set<string>(['/']);
  users.forEach((user, i) => {
    const host = `/${user}.hub.example.com`;
    paths.add(`${host}/user/${user}`);
    for (const server of named[i] ?? []) paths.add(`${host}/user/${user}/${server}`);
  });
  return { base: '', paths: [...paths] };
});

/** Requests around every route: itself, below it, beside it, above it, and some that no route holds. */
function requestsFor(paths: string[], hostRouting: boolean, picks: number[]): OracleRequest[] {
  const candidates: OracleRequest[] = [];
  for (const full of paths) {
    const { host, path } = splitHostRoute(full, hostRouting);
    const h = host ?? 'hub.example.com';
    const q = quoteRoutePath(path);
    const stem = q === '/' ? '' : q;
    for (const p of [q, `${stem}/`, `${stem}/api/kernels`, `${stem}x`, `${stem}/lab2/tree?x=1`, `${stem}?next=/y`, `${stem}/hub/api/users`])
      candidates.push({ host: h, path: p.startsWith('/') ? p : `/${p}` });
    const parent = q.slice(0, q.lastIndexOf('/')) || '/';
    candidates.push({ host: h, path: parent });
    if (hostRouting) candidates.push({ host: 'hub.example.com', path: q });
  }
  for (const p of ['/', '/hub/home', '/hub/api/users', '/user/nobody/', '/jupyter/user/nobody/lab', '/jupyter', '/jupyterx', '/other/x', '/services/none'])
    candidates.push({ host: hostRouting ? 'nobody.hub.example.com' : 'hub.example.com', path: p });
  return picks.map((i) => candidates[i % candidates.length]!);
}

/**
 * Random cases for a backend: `settingNames` are the settings it holds; without `rootTargetPaths`, the route at "/"
 * never has a target with a path (Istio cannot rewrite that for an HTTPRoute, and hubmesh refuses it: see
 * routing-scenarios).
 */
const caseArbitrary = (settingNames: string[], rootTargetPaths: boolean): fc.Arbitrary<Case> =>
  fc
    .boolean()
    .chain((hostRouting) =>
      (hostRouting ? hostRoutes : pathRoutes).chain(({ paths }) =>
        fc.record({
          hostRouting: fc.constant(hostRouting),
          order: fc.shuffledSubarray([...paths.keys()], { minLength: paths.length, maxLength: paths.length }),
          removed: subset([...paths.keys()], 2),
          ranks: fc.array(fc.nat(40), { minLength: paths.length, maxLength: paths.length }),
          tieWidth: fc.integer({ min: 1, max: 3 }),
          pathTargets: fc.array(fc.boolean(), { minLength: paths.length, maxLength: paths.length }),
          picks: fc.array(fc.nat(10_000), { minLength: 40, maxLength: 40 }),
          settings: fc.array(fc.record({ route: fc.nat(paths.length - 1), setting: fc.constantFrom(...settingNames) }), { maxLength: 4 }),
        }).map(({ order, removed, ranks, tieWidth, pathTargets, picks, settings }) => ({
          hostRouting,
          routes: paths.map((path, i) => ({ path, target: pathTargets[i] && i % 3 === 0 && (rootTargetPaths || path !== '/') ? `http://t${i}:9999/test` : `http://t${i}:${8000 + (i % 3)}` })),
          order,
          removed,
          settings,
          ranks,
          tieWidth,
          // some requests again with a scoped fault's header: the fault rule must send them where CHP does
          requests: [...requestsFor(paths, hostRouting, picks), ...requestsFor(paths, hostRouting, picks.slice(0, 10)).map((r) => ({ ...r, headers: { 'x-hubmesh-fault': 'demo' } }))],
        })),
      ),
    );

describe.each(ROUTING_BACKENDS)('routing through Istio equals configurable-http-proxy (property, Istio in the loop), $api backend', (backend) => {
  const vsGroup = { ...backend.objects, namespace: HUB_NAMESPACE };
  const app = appFor(backend.api);
  let oracle: Oracle;
  const replicas: Record<'path' | 'host', Awaited<ReturnType<typeof routeReplica>>> = {} as never;
  const contexts = { path: testRenderContext('eq'), host: { ...testRenderContext('eqh'), hostRouting: true } };
  const stats = { cases: 0, requests: 0, routes: 0, simulationChecked: 0, simulationShortcuts: 0 };

  beforeAll(async () => {
    oracle = new Oracle(oracleBinary());
    replicas.path = await routeReplica(app, contexts.path, undefined, testLog, backend.api);
    replicas.host = await routeReplica(app, contexts.host, undefined, testLog, backend.api);
  });

  afterAll(async () => {
    await oracle?.close();
    for (const r of Object.values(replicas)) r.stop();
    for (const ctx of Object.values(contexts)) await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` });
  });

  async function runCase(c: Case): Promise<void> {
    const kind = c.hostRouting ? 'host' : 'path';
    const { routes } = replicas[kind];
    const ctx = contexts[kind];
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` });
    await eventually(() => (routes.size === 0 ? true : undefined), 'the previous case to be gone', 20_000);

    for (const i of c.order) await routes.upsert(c.routes[i]!.path, { target: c.routes[i]!.target, jupyterhub: true });
    const settings = new Map<number, Partial<Overlays>>();
    for (const { route, setting } of c.settings) settings.set(route, { ...settings.get(route), ...RESILIENCE[setting] });
    for (const [i, overlays] of settings) await routes.setOverlays(c.routes[i]!.path, { rules: [], ...overlays });
    for (const i of c.removed) await routes.remove(c.routes[i]!.path);
    const live = c.routes.filter((_, i) => !c.removed.includes(i));
    // the hub POSTs its routes again (as it does at every start): the settings stay
    for (const r of live) await routes.upsert(r.path, { target: r.target, jupyterhub: true });

    const list = (await adminCustom.listNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` })) as { items: RouteObject[] };
    expect(list.items).toHaveLength(live.length);
    for (const [i, overlays] of settings) {
      if (c.removed.includes(i)) continue;
      const stored = list.items.map(routeFromObject).find((r) => r?.path === c.routes[i]!.path);
      expect(stored?.overlays, `the settings of ${c.routes[i]!.path} after the hub's re-POST`).toEqual({ rules: [], ...overlays });
    }
    const limits = backend.api === 'virtualservice' ? rateLimitedRoutes(list.items as VirtualService[]) : [];
    const filter = limits.length ? [renderRateLimitFilter(limits, { name: `${ctx.prefix}-rate-limits`, namespace: 'istio-system', prefix: ctx.prefix, gatewaySelector: { istio: 'ingressgateway' } })] : [];
    const chp = new ChpReference({ hostRouting: c.hostRouting });
    for (const r of live) await chp.add(r.path, r.target);

    const objects = [backend.gateway(HUB_NAMESPACE), ...serviceObjects(HUB_NAMESPACE, c.routes.map((r) => r.target)), ...withAges(list.items, c.ranks, c.tieWidth), ...filter];
    const verdict = await oracle.judge({ objects: objectsYaml(objects), requests: c.requests, ...backend.judgeWith(HUB_NAMESPACE) });
    expect(verdict.error, 'the oracle could not evaluate the case').toBe('');
    // every EnvoyFilter draws Istio's warning that it exposes Envoy's internals (validation, and IST0133 for it)
    expect(verdict.messages.filter((m) => !(m.object.startsWith('EnvoyFilter ') && /exposes internal implementation details/.test(m.message))), "Istio's validation and analyzers").toEqual([]);
    expect(verdict.results).toHaveLength(c.requests.length);
    const problems: string[] = [];
    for (const [i, request] of c.requests.entries()) {
      const istio = verdict.results[i]!;
      const problem = disagreement(request, await chp.choose(request), istio, HUB_NAMESPACE);
      if (problem) problems.push(problem);
      if (istio.simulation.checked) {
        stats.simulationChecked++;
        // the simulator compares an exact path with its query and skips header matchers: such a difference is its shortcut
        if (!istio.simulation.agrees && istio.simulation.explained) stats.simulationShortcuts++;
        else if (!istio.simulation.agrees) problems.push(`${request.host}${request.path}: our reading of Istio's route table disagrees with Istio's simulation: ${istio.simulation.detail}`);
      }
    }
    expect(problems, `routes: ${JSON.stringify(live)}`).toEqual([]);
    stats.cases++;
    stats.requests += c.requests.length;
    stats.routes += live.length;
  }

  it(`agrees on every request, over ${CASES} random route tables (seed ${SEED})`, { timeout: Math.max(600_000, CASES * 3_000) }, async () => {
    console.info(`routing equivalence (${backend.api}): seed ${SEED}, ${CASES} cases (replay with HUBMESH_ROUTING_SEED=${SEED})`);
    await fc.assert(fc.asyncProperty(caseArbitrary(SETTINGS[backend.api], backend.api === 'virtualservice'), runCase), { seed: SEED, numRuns: CASES, endOnFailure: true });
    console.info(`routing equivalence (${backend.api}): ${stats.cases} cases, ${stats.routes} routes, ${stats.requests} requests agreed (${stats.simulationChecked} also checked against Istio's simulation, ${stats.simulationShortcuts} of them different only by its shortcuts); seed ${SEED}`);
    expect(stats.cases).toBe(CASES);
  });
});

