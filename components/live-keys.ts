import { WATCHED_KINDS, type ChangedKind, type LiveEvent, type WatchedKind } from '@/lib/dashboard/live';

/** Prometheus's figures move without any object changing, so the pages showing them refetch on this interval, not on pod churn. */
export const PROMETHEUS_REFRESH_MS = 30_000;
/** The traffic graph is the live view of who talks to whom: refetched more often than the other Prometheus figures. */
export const GRAPH_REFRESH_MS = 15_000;
/** hubmesh's audit trail is read from Kubernetes Events, which no cache watches. */
export const EVENTS_REFRESH_MS = 10_000;
/** The notebook defaults' ConfigMap is watched, but not by the live stream: answers that show them refetch on this interval. */
export const DEFAULTS_REFRESH_MS = 10_000;

export type KeyDependency = {
  /** the API path the key asks for (its query aside); a bracketed segment (`[name]`, `[user]`) stands for any one name */
  path: string;
  /** the kinds whose changes make the answer stale */
  kinds: readonly WatchedKind[];
  /** of these kinds, the one whose changes matter only when they name the key's `[name]` */
  named?: WatchedKind;
  /** for what the caches cannot see: the interval the answer is refetched on */
  refreshMs?: number;
};

const TABLES = ['virtualservices', 'services', 'pods'] as const;
const POD_MESH_KINDS = ['namespaces', 'gateways', 'authorizationpolicies'] as const;

/** What each dashboard API answer is made of. */
export const KEY_DEPENDENCIES: readonly KeyDependency[] = [
  { path: '/api/v1/overview', kinds: WATCHED_KINDS },
  { path: '/api/v1/routes', kinds: TABLES },
  { path: '/api/v1/routes/[name]', kinds: TABLES, named: 'virtualservices' },
  { path: '/api/v1/routes/[name]/overlays', kinds: ['virtualservices', 'services'], named: 'virtualservices', refreshMs: DEFAULTS_REFRESH_MS },
  { path: '/api/v1/notebook-defaults', kinds: ['virtualservices'], refreshMs: DEFAULTS_REFRESH_MS },
  { path: '/api/v1/routes/[name]/metrics', kinds: ['virtualservices'], named: 'virtualservices', refreshMs: PROMETHEUS_REFRESH_MS },
  { path: '/api/v1/routes/[name]/traffic', kinds: ['virtualservices'], named: 'virtualservices', refreshMs: PROMETHEUS_REFRESH_MS },
  // a user's routes decide which services are summed; their pods follow on the interval, as on the mesh page
  { path: '/api/v1/users/[user]/traffic', kinds: ['virtualservices'], refreshMs: PROMETHEUS_REFRESH_MS },
  // every hop reads the caches; the traffic hop and the hub's answer follow on the interval
  { path: '/api/v1/users/[user]/diagnose', kinds: WATCHED_KINDS, refreshMs: PROMETHEUS_REFRESH_MS },
  { path: '/api/v1/traffic/sparklines', kinds: [], refreshMs: PROMETHEUS_REFRESH_MS },
  // a pod's data plane and warnings read its namespace's labels, the waypoints (Gateway API Gateways) and the AuthorizationPolicies
  { path: '/api/v1/pods', kinds: [...TABLES, ...POD_MESH_KINDS] },
  { path: '/api/v1/users', kinds: [...TABLES, ...POD_MESH_KINDS] },
  { path: '/api/v1/services', kinds: ['services'] },
  { path: '/api/v1/previews', kinds: ['virtualservices'], refreshMs: PROMETHEUS_REFRESH_MS },
  // its pods' sidecars follow on the interval: pod churn would re-run the traffic queries
  { path: '/api/v1/mesh', kinds: ['peerauthentications', 'destinationrules', 'namespaces'], refreshMs: PROMETHEUS_REFRESH_MS },
  { path: '/api/v1/mesh/history', kinds: [], refreshMs: PROMETHEUS_REFRESH_MS },
  // like /api/v1/mesh: pod churn would re-run the traffic queries, so pods follow on the interval
  { path: '/api/v1/mesh/isolation', kinds: ['authorizationpolicies', 'peerauthentications'], refreshMs: PROMETHEUS_REFRESH_MS },
  // the traffic graph: live on a shorter interval, and pods (idle notebooks) follow on it rather than on every churn
  { path: '/api/v1/mesh/graph', kinds: [], refreshMs: GRAPH_REFRESH_MS },
  { path: '/api/v1/validations', kinds: WATCHED_KINDS },
  // what hubmesh's own actions write, so an action's entry shows without waiting for the interval
  { path: '/api/v1/audit', kinds: ['virtualservices', 'peerauthentications', 'gateways', 'namespaces', 'authorizationpolicies'], refreshMs: EVENTS_REFRESH_MS },
];

/** The declared dependency a key matches, and the name its `[name]` segment holds. */
export function dependencyOf(key: string): { dependency: KeyDependency; name: string | undefined } | undefined {
  const segments = key.split('?')[0]!.split('/');
  for (const dependency of KEY_DEPENDENCIES) {
    const pattern = dependency.path.split('/');
    if (pattern.length !== segments.length) continue;
    let name: string | undefined;
    const matches = pattern.every((part, i) => {
      if (!/^\[\w+\]$/.test(part)) return part === segments[i];
      name = decodeURIComponent(segments[i]!);
      return name !== '';
    });
    if (matches) return { dependency, name };
  }
  return undefined;
}

/** Whether a change event makes a key's answer stale. A key declared nowhere is refetched on every change. */
export function isStale(key: string, changes: readonly ChangedKind[]): boolean {
  const match = dependencyOf(key);
  if (!match) return true;
  const { dependency, name } = match;
  return changes.some(
    (change) => dependency.kinds.includes(change.kind) && (change.kind !== dependency.named || change.names === undefined || change.names.includes(name!)),
  );
}

/** The interval a key's answer is refetched on, if the caches cannot tell when it changes. */
export const refreshIntervalOf = (key: string): number | undefined => dependencyOf(key)?.dependency.refreshMs;

/**
 * The SWR keys an event from the live stream makes stale, or undefined for none; the data is then caught up to
 * the event's version. A hello (every connect, so every reconnect) and a change that does not follow on from
 * `caughtUp` stale everything that depends on the caches (an answer only polled, as the traffic graph, is left to its interval); a heartbeat's version may run ahead while a change is on its way, and stales nothing.
 */
export function staleKeys(event: LiveEvent, caughtUp: number | undefined): ((key: unknown) => boolean) | undefined {
  if (event.event === 'status') return undefined;
  // what may have been missed are changes to the caches: an answer that depends on none (it is polled) is not stale
  if (event.event === 'hello' || event.data.since !== caughtUp) return (key) => typeof key !== 'string' || dependencyOf(key)?.dependency.kinds.length !== 0;
  const { changes } = event.data;
  return (key) => typeof key !== 'string' || isStale(key, changes);
}
