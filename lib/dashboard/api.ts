import { routeKindName, routeKindOfApi, type RouteApi, type RouteObject } from '../routes/route-objects';
import YAML from 'yaml';
import { ApiError } from '../api-error';
import { proxyTokenStrength, type ProxyToken } from '../auth/proxy-token';
import { parseJson } from '../json';
import type { Informer, InformerStatus } from '../kube/informer';
import { serviceChoices, type Service } from '../kube/services';
import { parseQuery } from '../search-params';
import { podQuery, queryPods, queryRoutes, queryUsers, routeQuery, userQuery } from './query';
import { inMesh } from '../mesh/pod-status';
import type { DashboardState } from './state';

type CacheStatus = { status(): InformerStatus };

/** Where hubmesh runs: a cluster's apiserver, or local mode's data dir. */
export type Placement = { mode: 'cluster'; server: string; context: string; namespace: string } | { mode: 'local'; dataDir: string; namespace: string };

/** What the console's overview and tables read. */
export type DashboardApiDeps = {
  state: Pick<DashboardState, 'currentVersion' | 'dashboard' | 'recentChanges'>;
  /** the caches the console's data comes from: their state says whether it is fresh */
  caches: { virtualservices: CacheStatus; pods: CacheStatus; services: CacheStatus };
  /** every other cache (mesh security, session revocations), listed in the overview, where a missing permission shows */
  otherCaches: Record<string, CacheStatus>;
  services: Pick<Informer<Service>, 'list'>;
  virtualServices: Pick<Informer<RouteObject>, 'get'>;
  /** a route's data (the JSON the hub posted) by its path */
  routeData: (path: string) => string | undefined;
  placement: Placement;
  /** "<namespace>/<name>" of the Gateway routes bind to (an Istio Gateway, or a Gateway API Gateway with httproute) */
  gateway: string;
  /** what the hub's routes are stored as (HUBMESH_ROUTE_API): the console names the kind and hides what it cannot do */
  routeApi: RouteApi;
  proxyToken: ProxyToken;
  notebookSelector: string;
};

/** What every dashboard answer carries, so the browser can show whether its data is fresh. */
export function freshness(deps: Pick<DashboardApiDeps, 'state' | 'caches'>) {
  const caches = {
    virtualservices: deps.caches.virtualservices.status(),
    pods: deps.caches.pods.status(),
    services: deps.caches.services.status(),
  };
  return { version: deps.state.currentVersion, synced: Object.values(caches).every((c) => c.synced), caches };
}

/** The overview: counts, where hubmesh runs, every cache's state, recent changes, and whether the proxy token is short. */
export function overviewAnswer(deps: DashboardApiDeps) {
  const d = deps.state.dashboard();
  const podsByPhase: Record<string, number> = {};
  for (const p of d.pods) podsByPhase[p.phase] = (podsByPhase[p.phase] ?? 0) + 1;
  const c = deps.placement;
  const fresh = freshness(deps);
  // only the console's own caches say whether its data is fresh
  const caches: typeof fresh.caches & Record<string, InformerStatus> = { ...fresh.caches };
  for (const [name, cache] of Object.entries(deps.otherCaches)) caches[name] = cache.status();
  return {
    ...fresh,
    caches,
    mode: c.mode,
    cluster: c.mode === 'cluster' ? { server: c.server, context: c.context } : { dataDir: c.dataDir },
    namespace: c.namespace,
    gateway: deps.gateway,
    routeApi: deps.routeApi,
    counts: {
      routes: d.routes.length,
      degradedRoutes: d.routes.filter((r) => r.status === 'degraded').length,
      usersWithServers: new Set(d.routes.filter((r) => r.user !== undefined).map((r) => r.user)).size,
      notebookPods: d.pods.length,
      podsByPhase,
      /** neither a ready sidecar nor ambient with ztunnel redirecting */
      podsOutsideMesh: d.pods.filter((p) => !inMesh(p)).length,
      podsWithWarnings: d.pods.filter((p) => p.warnings.length > 0).length,
    },
    expectedSidecarVersion: d.expectedSidecarVersion,
    recentChanges: deps.state.recentChanges(),
    proxyToken: proxyTokenStrength(deps.proxyToken),
  };
}

// One answer per table, shared by /api/v1/<kind> and by the server render of the page (its first data).

export function routesAnswer(deps: Pick<DashboardApiDeps, 'state' | 'caches' | 'routeApi'>, params: URLSearchParams) {
  const q = parseQuery(routeQuery, params);
  return { ...freshness(deps), routeApi: deps.routeApi, ...queryRoutes(deps.state.dashboard().routes, q) };
}

export function podsAnswer(deps: DashboardApiDeps, params: URLSearchParams) {
  const q = parseQuery(podQuery, params);
  const d = deps.state.dashboard();
  return { ...freshness(deps), expectedSidecarVersion: d.expectedSidecarVersion, selector: deps.notebookSelector, ...queryPods(d.pods, q) };
}

export function usersAnswer(deps: DashboardApiDeps, params: URLSearchParams) {
  const q = parseQuery(userQuery, params);
  return { ...freshness(deps), ...queryUsers(deps.state.dashboard().users, q) };
}

/** A page's search params as the URLSearchParams its client side will build. */
export function searchParamsOf(searchParams: Record<string, string | string[] | undefined>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(searchParams)) if (typeof v === 'string') params.append(k, v);
  return params;
}

/** One route by its object's name (a VirtualService, or an HTTPRoute): the joined row, the route data, and the object as YAML. */
export function routeDetailAnswer(deps: Pick<DashboardApiDeps, 'state' | 'virtualServices' | 'routeData' | 'routeApi'>, name: string) {
  const object = deps.virtualServices.get(name);
  const row = deps.state.dashboard().routes.find((r) => r.virtualService === name);
  if (!object || !row) throw new ApiError(404, 'not-found', `no route with ${routeKindOfApi(deps.routeApi)} ${JSON.stringify(name)}`);
  const data = deps.routeData(row.path);
  return { row, kind: routeKindName(object), data: data ? (parseJson(data) as Record<string, unknown>) : null, yaml: YAML.stringify(object) };
}

/** The Services to choose a canary, rule or preview target from. */
export function servicesAnswer(deps: Pick<DashboardApiDeps, 'services'>) {
  return { services: serviceChoices(deps.services) };
}
