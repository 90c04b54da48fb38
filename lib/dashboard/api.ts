import { proxyTokenStrength } from '../auth/proxy-token';
import type { Runtime } from '../runtime';
import { parseQuery } from '../search-params';
import { podQuery, queryPods, queryRoutes, queryUsers, routeQuery, userQuery } from './query';

/** What every dashboard answer carries, so the browser can show whether its data is fresh. */
export function freshness(rt: Pick<Runtime, 'dashboard' | 'virtualServices' | 'pods' | 'services'>) {
  const caches = {
    virtualservices: rt.virtualServices.cache.status(),
    pods: rt.pods.cache.status(),
    services: rt.services.cache.status(),
  };
  return { version: rt.dashboard.currentVersion, synced: Object.values(caches).every((c) => c.synced), caches };
}

/** The overview: counts, where hubmesh runs, every cache's state, recent changes, and whether the proxy token is short. */
export function overviewAnswer(rt: Pick<Runtime, 'dashboard' | 'virtualServices' | 'pods' | 'services' | 'mesh' | 'sessionRevocations' | 'connection' | 'gateway' | 'proxyToken'>) {
  const d = rt.dashboard.dashboard();
  const podsByPhase: Record<string, number> = {};
  for (const p of d.pods) podsByPhase[p.phase] = (podsByPhase[p.phase] ?? 0) + 1;
  const c = rt.connection;
  const fresh = freshness(rt);
  // the mesh caches and the session revocations are listed too (a missing permission shows here), but only the console's own say whether its data is fresh
  const meshCaches = Object.fromEntries(Object.entries(rt.mesh?.all ?? {}).map(([name, cache]) => [name, cache.status()]));
  return {
    ...fresh,
    caches: { ...fresh.caches, ...meshCaches, 'session-revocations': rt.sessionRevocations.cache.status() },
    mode: c.mode,
    cluster: c.mode === 'cluster' ? { server: c.server, context: c.context } : { dataDir: c.dataDir },
    namespace: c.namespace,
    gateway: rt.gateway,
    counts: {
      routes: d.routes.length,
      degradedRoutes: d.routes.filter((r) => r.status === 'degraded').length,
      usersWithServers: new Set(d.routes.filter((r) => r.user !== undefined).map((r) => r.user)).size,
      notebookPods: d.pods.length,
      podsByPhase,
      podsWithoutReadySidecar: d.pods.filter((p) => !p.sidecar.ready).length,
      podsWithWarnings: d.pods.filter((p) => p.warnings.length > 0).length,
    },
    expectedSidecarVersion: d.expectedSidecarVersion,
    recentChanges: rt.dashboard.recentChanges(),
    proxyToken: proxyTokenStrength(rt.proxyToken),
  };
}

// One answer per table, shared by /api/v1/<kind> and by the server render of the page (its first data).

export function routesAnswer(rt: Runtime, params: URLSearchParams) {
  const q = parseQuery(routeQuery, params);
  return { ...freshness(rt), ...queryRoutes(rt.dashboard.dashboard().routes, q) };
}

export function podsAnswer(rt: Runtime, params: URLSearchParams) {
  const q = parseQuery(podQuery, params);
  const d = rt.dashboard.dashboard();
  return { ...freshness(rt), expectedSidecarVersion: d.expectedSidecarVersion, selector: rt.config.dashboard.notebookSelector, ...queryPods(d.pods, q) };
}

export function usersAnswer(rt: Runtime, params: URLSearchParams) {
  const q = parseQuery(userQuery, params);
  return { ...freshness(rt), ...queryUsers(rt.dashboard.dashboard().users, q) };
}

/** A page's search params as the URLSearchParams its client side will build. */
export function searchParamsOf(searchParams: Record<string, string | string[] | undefined>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(searchParams)) if (typeof v === 'string') params.append(k, v);
  return params;
}

/** The hub namespace's Services and their ports: what canaries, rules and previews may route to. */
export function serviceChoices(rt: Runtime) {
  return rt.services.cache
    .list()
    .map((s) => ({ name: s.metadata.name, ports: (s.spec?.ports ?? []).map((p) => ({ name: p.name, port: p.port })) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}
