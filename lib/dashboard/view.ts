import type { Pod } from '../kube/pods';
import type { Service } from '../kube/services';
import { matchesLabelSelector, parseLabelSelector } from '../kube/label-selector';
import { majorityVersion, meshWarningContext, podWarnings } from '../mesh/warnings';
import { summarizePod } from '../mesh/pod-status';
import type { MeshAroundPods, PodSummary, PodWarning } from '../mesh/types';
import { routeKindName, routeObjectStatus, routeObjectDestination, type RouteKindName, type RouteObject } from '../routes/route-objects';
import { routeFromObject } from '../routes/virtualservice';

export type RouteRow = {
  path: string;
  user: string | undefined;
  serverName: string | undefined;
  target: string;
  destination: string;
  /** the name of the route's object (a VirtualService, or an HTTPRoute: see `kind`) */
  virtualService: string;
  kind: RouteKindName;
  /**
   * Whether the mesh reports the route in force, when it reports at all (else undefined): istiod's Reconciled
   * condition on a VirtualService; on an HTTPRoute, its Gateway's Accepted and ResolvedRefs conditions.
   */
  reconciled: boolean | undefined;
  /** an HTTPRoute's conditions per Gateway, as its controller wrote them ("Accepted", "ResolvedRefs", ...) */
  conditions?: Array<{ gateway: string; type: string; status: string; reason?: string; message?: string }>;
  /** whether the destination Service exists; undefined when it is outside the watched namespace */
  serviceExists: boolean | undefined;
  /** whether a pod behind the Service is ready; undefined when the Service is unknown */
  podReady: boolean | undefined;
  pods: string[];
  status: 'ok' | 'degraded';
  problems: string[];
  lastActivity: string;
  createdAt: string | undefined;
};

export type PodRow = PodSummary & { route: string | undefined; warnings: PodWarning[] };

export type UserRow = {
  user: string;
  servers: Array<{ serverName: string; route: string | undefined; pod: string | undefined; podStatus: string | undefined; warnings: number }>;
  warnings: number;
};

export type DashboardInput = {
  virtualServices: RouteObject[];
  pods: Pod[];
  services: Service[];
  namespace: string;
  clusterDomain: string;
  notebookSelector: string;
  istioVersion: string | undefined;
  /** absent in local mode, which has no mesh */
  mesh?: MeshAroundPods;
};

export type Dashboard = { routes: RouteRow[]; pods: PodRow[]; users: UserRow[]; expectedSidecarVersion: string | undefined };

const isReady = (s: PodSummary) => s.phase === 'Running' && s.totalContainers > 0 && s.readyContainers === s.totalContainers;
const serverKey = (user: string, server: string) => `${user}\u0000${server}`;

/** Joins routes, their Services and the pods behind them, and classifies notebook pods. Pure. */
export function buildDashboard(input: DashboardInput): Dashboard {
  const namespaceLabels = input.mesh?.namespaces.find((ns) => ns.metadata.name === input.namespace)?.metadata.labels;
  const podMesh = { namespaceLabels, waypoints: input.mesh?.waypoints ?? [] };
  const summaries = new Map(input.pods.map((p) => [p.metadata.name, summarizePod(p, podMesh)]));
  const servicesByName = new Map(input.services.map((s) => [s.metadata.name, s]));
  // pods by each of their labels, so a Service's selector is matched against a few candidates, not every pod
  const podsByLabel = new Map<string, Pod[]>();
  for (const p of input.pods) {
    for (const [k, v] of Object.entries(p.metadata.labels ?? {})) {
      const key = `${k}=${v}`;
      const bucket = podsByLabel.get(key);
      if (bucket) bucket.push(p);
      else podsByLabel.set(key, [p]);
    }
  }
  const selectedBy = (selector: Record<string, string>): Pod[] => {
    const buckets = Object.entries(selector).map(([k, v]) => podsByLabel.get(`${k}=${v}`) ?? []);
    const smallest = buckets.reduce((a, b) => (b.length < a.length ? b : a));
    return smallest.filter((p) => Object.entries(selector).every(([k, v]) => p.metadata.labels?.[k] === v));
  };
  const serviceSuffix = `.${input.namespace}.svc.${input.clusterDomain}`;

  const routes: RouteRow[] = [];
  const routeOfPod = new Map<string, string>();
  const routedServers = new Set<string>();
  for (const vs of input.virtualServices) {
    const route = routeFromObject(vs);
    if (!route) continue;
    const dest = routeObjectDestination(vs, input.clusterDomain);
    const host = dest?.host ?? '';
    const user = typeof route.data.user === 'string' ? route.data.user : undefined;
    const serverName = typeof route.data.server_name === 'string' ? route.data.server_name : undefined;
    if (user !== undefined) routedServers.add(serverKey(user, serverName ?? ''));
    const problems: string[] = [];
    let serviceExists: boolean | undefined;
    let podReady: boolean | undefined;
    let pods: string[] = [];
    if (host.endsWith(serviceSuffix)) {
      const service = servicesByName.get(host.slice(0, -serviceSuffix.length));
      serviceExists = service !== undefined;
      if (!service) problems.push(`Service ${host.slice(0, -serviceSuffix.length)} does not exist`);
      const selector = service?.spec?.selector;
      if (selector && Object.keys(selector).length > 0) {
        pods = selectedBy(selector).map((p) => p.metadata.name);
        podReady = pods.some((name) => isReady(summaries.get(name)!));
        if (pods.length === 0) problems.push('no pod behind the Service');
        else if (!podReady) problems.push('no ready pod behind the Service');
        for (const name of pods) routeOfPod.set(name, route.path);
      }
    }
    const status = routeObjectStatus(vs);
    problems.push(...status.problems);
    routes.push({
      path: route.path,
      user,
      serverName,
      target: route.data.target,
      destination: dest ? `${host}:${dest.port}` : '',
      virtualService: vs.metadata.name,
      kind: routeKindName(vs),
      reconciled: status.inForce,
      ...(status.conditions ? { conditions: status.conditions } : {}),
      serviceExists,
      podReady,
      pods,
      status: problems.length ? 'degraded' : 'ok',
      problems,
      lastActivity: route.lastActivity,
      createdAt: vs.metadata.creationTimestamp,
    });
  }
  routes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const notebookRequirements = parseLabelSelector(input.notebookSelector);
  const notebooks = input.pods.filter((p) => matchesLabelSelector(p.metadata.labels, notebookRequirements)).map((p) => summaries.get(p.metadata.name)!);
  const expectedSidecarVersion = input.istioVersion ?? majorityVersion(notebooks);
  const podsByName = new Map(input.pods.map((p) => [p.metadata.name, p]));
  const pods: PodRow[] = notebooks
    .map((s) => {
      const route = routeOfPod.get(s.name);
      const hasRoute = route !== undefined || (s.user !== undefined && routedServers.has(serverKey(s.user, s.serverName ?? '')));
      const context = { expectedVersion: expectedSidecarVersion, hasRoute, ...meshWarningContext(podsByName.get(s.name)!, s, input.mesh) };
      return { ...s, route, warnings: podWarnings(s, context) };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));

  const users = new Map<string, UserRow>();
  const userRow = (user: string) => {
    let row = users.get(user);
    if (!row) users.set(user, (row = { user, servers: [], warnings: 0 }));
    return row;
  };
  const server = (row: UserRow, serverName: string) => {
    let s = row.servers.find((x) => x.serverName === serverName);
    if (!s) row.servers.push((s = { serverName, route: undefined, pod: undefined, podStatus: undefined, warnings: 0 }));
    return s;
  };
  for (const r of routes) if (r.user !== undefined) server(userRow(r.user), r.serverName ?? '').route = r.path;
  for (const p of pods) {
    if (p.user === undefined) continue;
    const row = userRow(p.user);
    const s = server(row, p.serverName ?? '');
    s.pod = p.name;
    s.podStatus = p.status;
    s.warnings += p.warnings.length;
    row.warnings += p.warnings.length;
  }
  return {
    routes,
    pods,
    users: [...users.values()].sort((a, b) => (a.user < b.user ? -1 : 1)),
    expectedSidecarVersion,
  };
}

export type Page<T> = { items: T[]; total: number; page: number; pageSize: number };

/** One page of rows, 1-based, clamped to what exists. */
export function paginate<T>(rows: T[], page: number, pageSize: number): Page<T> {
  const pages = Math.max(1, Math.ceil(rows.length / pageSize));
  const p = Math.min(Math.max(1, page), pages);
  return { items: rows.slice((p - 1) * pageSize, p * pageSize), total: rows.length, page: p, pageSize };
}
