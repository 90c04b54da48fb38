/**
 * The circuit-breaker pass at scale, in this process, no control plane: the pure plan (planCircuitBreakers:
 * one DestinationRule per notebook Service host, foreign rules blocking theirs, lib/routes/circuit-breakers.ts)
 * and the leader's whole pass after one route changed (syncCircuitBreakers over an in-memory backend: the plan,
 * the comparison with the stored rules, one apply and one delete), vs. the rate-limit EnvoyFilter's render over
 * the same routes (rateLimitedRoutes + renderRateLimitFilter, lib/routes/rate-limits.ts) as the anchor: the
 * other pure pass over every route's VirtualService that follows each route change. Each round runs every
 * measure once, starting one measure later than the round before, so all see the same machine and each pays
 * alike for the others' garbage.
 *
 * The routes are what hubmesh renders (renderRouteVirtualService with each route's placement, as RouteService
 * gives it): the hub at "/", and N notebook routes /user/u<i> to Service jupyter-u<i>, every tenth of them a
 * named server /user/u<i>/lab (to jupyter-u<i>-lab) that its user's route carries, every hundredth with a rate
 * limit of its own, all rendered with notebook defaults of retries, a rate limit and circuit breaking. Five
 * DestinationRules of other owners are present: three for notebook hosts (which block those), one for the
 * hub's Service, one in another namespace.
 *
 * The plan has no incremental form: after any route change the keeper plans from every route again, so the
 * plan "after one route changed" (u0 gone, a new user's route there) costs what the full plan costs.
 *
 * Environment: BENCH_CB_ROUTES (notebook routes, at least 40 each, default 1000,10000), BENCH_CB_RUNS
 * (measured runs per measure and size, 30; three more warm up first).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { changePipeline } from '../../lib/changes/pipeline';
import type { DestinationRule } from '../../lib/kube/destinationrules';
import type { ResourceBackend } from '../../lib/kube/types';
import type { VirtualService } from '../../lib/kube/virtualservices';
import { syncCircuitBreakers, type CircuitBreakerSyncDeps } from '../../lib/routes/circuit-breaker-sync';
import { planCircuitBreakers, type CircuitBreakerContext } from '../../lib/routes/circuit-breakers';
import { notebookDefaults } from '../../lib/routes/notebook-defaults';
import { rateLimitedRoutes, renderRateLimitFilter, type DefaultLimit } from '../../lib/routes/rate-limits';
import { RouteTree } from '../../lib/routes/route-tree';
import { placementFor, type PlanInput, type TreeValue } from '../../lib/routes/routing-plan';
import { virtualServiceName } from '../../lib/routes/routespec';
import { parseTarget } from '../../lib/routes/target';
import { notebookMatchName, renderRouteVirtualService, type Destination, type RenderContext, type RouteData, type StoredRoute } from '../../lib/routes/virtualservice';
import type { Overlays } from '../../lib/routes/overlays';
import { repoRoot } from '../../test/cluster/harness';
import { formatTable, intList, intOf, percentile, rotatedSamples, type Row } from './stats';

const namespace = 'jupyterhub';
const clusterDomain = 'cluster.local';
const prefix = 'hubmesh';
const defaults = notebookDefaults.parse({
  retries: { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset' },
  rateLimit: { requests: 20, per: 'second' },
  circuitBreaking: { connectionPool: { http1MaxPendingRequests: 50, http2MaxRequests: 200 }, outlierDetection: { consecutive5xxErrors: 5 } },
});
const renderCtx: RenderContext = { namespace, prefix, gateway: `${namespace}/jupyterhub-gateway`, hosts: ['*'], hostRouting: false, routeTimeout: undefined, clusterDomain, notebookDefaults: defaults };
const cbCtx: CircuitBreakerContext = { namespace, clusterDomain, prefix, autoMtls: true };
const defaultLimit: DefaultLimit = { limit: defaults.rateLimit, matchName: notebookMatchName(prefix) };
const filterCtx = { name: `${prefix}-rate-limits`, namespace: 'istio-system', prefix, gatewaySelector: { istio: 'ingressgateway' } };
const OWN_LIMIT: Overlays = { rules: [], rateLimit: { requests: 50, per: 'second' } };

type Route = { route: StoredRoute; destination: Destination };

/** Notebook route k of n: user u<k>'s, or every tenth a named server of the user before it. */
function notebookRoute(k: number): Route {
  const named = k % 10 === 9;
  const user = `u${named ? k - 1 : k}`;
  const service = named ? `jupyter-${user}-lab` : `jupyter-${user}`;
  const data: RouteData = { target: `http://${service}:8888`, jupyterhub: true, user, server_name: named ? 'lab' : '' };
  return record(named ? `/user/${user}/lab` : `/user/${user}`, data, k % 100 === 50 ? OWN_LIMIT : { rules: [] });
}

function record(routePath: string, data: RouteData, overlays: Overlays): Route {
  const parsed = parseTarget(data.target, namespace, clusterDomain);
  if (!parsed.ok || parsed.target.kind !== 'host') throw new Error(`bench: cannot parse target ${data.target}`);
  return { route: { path: routePath, data, lastActivity: '2026-12-03T10:00:00.000Z', overlays }, destination: { host: parsed.target.host, port: parsed.target.port } };
}

/** Every route's VirtualService as RouteService renders it from the whole table (placement, carried rules, defaults). */
function renderAll(routes: Route[]): VirtualService[] {
  const tree = new RouteTree<TreeValue>(false);
  const byPath = new Map(routes.map((r) => [r.route.path, r]));
  const hubPaths = new Set<string>();
  for (const { route } of routes) {
    tree.set(route.path, { name: virtualServiceName(prefix, route.path), hub: route.data.hub === true });
    if (route.data.hub === true) hubPaths.add(route.path);
  }
  const plan: PlanInput = { tree, hubPaths, ctx: renderCtx, lookup: (p) => byPath.get(p) };
  return routes.map(({ route, destination }) => renderRouteVirtualService(route, destination, renderCtx, route.overlays, placementFor(route.path, plan)));
}

/** DestinationRules of other owners: three for notebook hosts (short name, FQDN), the hub's, one elsewhere. */
function foreignRules(n: number): DestinationRule[] {
  const rule = (name: string, host: string, ns = namespace): DestinationRule => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace: ns },
    spec: { host, trafficPolicy: { connectionPool: { tcp: { maxConnections: 10 } } } },
  });
  // users' own routes (a multiple of ten is never a named server), past u0, whose route the change removes
  const user = (k: number) => `u${Math.floor(k / 10) * 10}`;
  return [
    rule('team-a-subsets', `jupyter-${user(n / 4)}`),
    rule('team-b-pool', `jupyter-${user(n / 2)}.${namespace}.svc.${clusterDomain}`),
    rule('legacy-tls', `jupyter-${user((3 * n) / 4)}`),
    rule('hub-pool', 'hub'),
    rule('payments', 'payments', 'other'),
  ];
}

/** A backend that keeps nothing: the pass's writes cost only their call. */
function nullBackend(): ResourceBackend<DestinationRule> {
  const unused = () => Promise.reject(new Error('bench: not used by the circuit-breaker pass'));
  return {
    kind: { group: 'networking.istio.io', version: 'v1', kind: 'DestinationRule', plural: 'destinationrules' },
    list: unused,
    watch: unused,
    get: unused,
    create: unused,
    replace: unused,
    patch: async (_ns, _name, body) => body as DestinationRule,
    delete: async () => ({ kind: 'Status' }),
  };
}

type Measure = { name: string; run: () => unknown };

export async function runCircuitBreakerBench(): Promise<void> {
  const sizes = intList('BENCH_CB_ROUTES', [1000, 10000]);
  const runs = intOf('BENCH_CB_RUNS', 30);
  const rows: Row[] = [];
  if (sizes.some((n) => n < 40)) throw new Error(`bench: BENCH_CB_ROUTES must be at least 40 each (three foreign rules on distinct users), got ${sizes.join(',')}`);
  for (const n of sizes) {
    const started = performance.now();
    const hub = record('/', { target: 'http://hub:8081', hub: true }, { rules: [] });
    const notebooks = Array.from({ length: n }, (_, k) => notebookRoute(k));
    const before = renderAll([hub, ...notebooks]);
    // one route changed: u0's route is gone and a new user's is there (the keeper sees the whole list again)
    const after = renderAll([hub, ...notebooks.slice(1), notebookRoute(n)]);
    const others = foreignRules(n);
    const stored = [...others, ...planCircuitBreakers(before, others, defaults.circuitBreaking, cbCtx).desired];
    const deps: CircuitBreakerSyncDeps = {
      virtualServices: { list: () => after, subscribe: () => () => undefined, waitForSync: async () => true },
      destinationRules: { list: () => stored, subscribe: () => () => undefined },
      backend: nullBackend(),
      circuitBreaking: () => defaults.circuitBreaking,
      ctx: cbCtx,
      defaultsConfigMap: `${prefix}-notebook-defaults`,
      changes: changePipeline({ events: undefined, log: { info: () => undefined } }),
      log: pino({ level: 'silent' }),
    };
    const fixtureMs = performance.now() - started;

    // the figures are only worth something if the passes do what they do in the server
    const plan = planCircuitBreakers(before, others, defaults.circuitBreaking, cbCtx);
    if (plan.desired.length !== n - 3 || plan.blocked.length !== 3) throw new Error(`bench: ${n} routes planned ${plan.desired.length} rules, ${plan.blocked.length} blocked (expected ${n - 3}, 3)`);
    const pass = await syncCircuitBreakers(deps);
    if (pass.created !== 1 || pass.removed !== 1 || pass.updated !== 0 || pass.failed !== 0) throw new Error(`bench: the pass after one route changed did ${JSON.stringify(pass)}`);
    const limited = rateLimitedRoutes(before, defaultLimit);
    if (!limited.some((r) => r.path === '*')) throw new Error('bench: the rate-limit anchor found no notebook routes on the defaults');

    const measures: Measure[] = [
      { name: 'rate-limit EnvoyFilter render (anchor)', run: () => renderRateLimitFilter(rateLimitedRoutes(before, defaultLimit), filterCtx) },
      { name: 'circuit-breaker plan', run: () => planCircuitBreakers(before, others, defaults.circuitBreaking, cbCtx) },
      { name: 'circuit-breaker plan, one route changed (full recompute)', run: () => planCircuitBreakers(after, others, defaults.circuitBreaking, cbCtx) },
      { name: 'circuit-breaker pass, one route changed (plan, compare, 1 apply, 1 delete)', run: () => syncCircuitBreakers(deps) },
    ];
    const samples = await rotatedSamples(measures, runs);
    const anchor = percentile(samples[0]!, 50);
    for (const [i, m] of measures.entries()) {
      const p50 = percentile(samples[i]!, 50);
      rows.push({ routes: n, measure: m.name, 'p50 ms': p50, 'p90 ms': percentile(samples[i]!, 90), 'µs/route': (p50 * 1000) / n, 'ratio p50': p50 / anchor });
    }
    console.log(`bench: circuit breakers, ${n} notebook routes (${before.length} VirtualServices, ${stored.length} DestinationRules): fixtures in ${(fixtureMs / 1000).toFixed(1)} s, ${runs} runs per measure`);
  }
  const env = `node ${process.version}`;
  console.log(`\nhubmesh bench: circuit-breaker plan and pass vs. the rate-limit EnvoyFilter render (${env})\n`);
  console.log(formatTable(rows));
  const out = path.join(repoRoot, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'circuit-breakers.json'), JSON.stringify({ at: new Date().toISOString(), env, runs, rows }, null, 2));
}
