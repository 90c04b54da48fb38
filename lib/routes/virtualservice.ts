import type { HTTPRoute, VirtualService } from '../kube/virtualservices';
import { labelValue, quoteRoutePath, splitHostRoute, virtualServiceName } from './routespec';

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  prefix: 'hubmesh.io/prefix',
  kind: 'hubmesh.io/kind',
  user: 'hubmesh.io/user',
  serverName: 'hubmesh.io/server-name',
} as const;

export const ANNOTATIONS = {
  route: 'hubmesh.io/route',
  data: 'hubmesh.io/data',
  /**
   * ISO time of the route's last known activity: set when the route is created or changed, and
   * the one place an activity source (Prometheus telemetry) writes to. GET reports it as is.
   */
  lastActivity: 'hubmesh.io/last-activity',
} as const;

export const ROUTE_HEADER = 'x-hubmesh-route';

/** What the hub POSTed: the whole body is kept, and must have a string target. */
export type RouteData = { target: string } & Record<string, unknown>;

export type Destination = { host: string; port: number };

export type RenderContext = {
  namespace: string;
  prefix: string;
  /** "<namespace>/<name>" of the Istio Gateway the routes bind to */
  gateway: string;
  /** hosts of path routes; host routes use their own host */
  hosts: string[];
  hostRouting: boolean;
  routeTimeout: string | undefined;
};

export type RouteRecord = { path: string; data: RouteData; lastActivity: string };

export function managedSelector(prefix: string): string {
  return `${LABELS.managedBy}=hubmesh,${LABELS.prefix}=${prefix}`;
}

/**
 * The http[] match of a (decoded) route path, in its quoted URL form. "/user/al" must never
 * catch "/user/alice", so a prefix always ends with "/".
 */
export function pathMatches(path: string): NonNullable<HTTPRoute['match']> {
  if (path === '/') return [{ uri: { prefix: '/' } }];
  const quoted = quoteRoutePath(path);
  return [{ uri: { prefix: `${quoted}/` } }, { uri: { exact: quoted } }];
}

/**
 * The one function that turns a route into its VirtualService. The route's rule names the
 * VirtualService in a response header, so the gateway can show which object served a request.
 */
export function renderRouteVirtualService(route: RouteRecord, destination: Destination, ctx: RenderContext): VirtualService {
  const name = virtualServiceName(ctx.prefix, route.path);
  const { host, path } = splitHostRoute(route.path, ctx.hostRouting);
  const labels: Record<string, string> = { [LABELS.managedBy]: 'hubmesh', [LABELS.prefix]: ctx.prefix, [LABELS.kind]: 'route' };
  if (typeof route.data.user === 'string') labels[LABELS.user] = labelValue(route.data.user);
  if (typeof route.data.server_name === 'string') labels[LABELS.serverName] = labelValue(route.data.server_name);
  const rule: HTTPRoute = {
    name: 'route',
    match: pathMatches(path),
    route: [{ destination: { host: destination.host, port: { number: destination.port } } }],
    headers: { response: { set: { [ROUTE_HEADER]: name } } },
  };
  if (ctx.routeTimeout) rule.timeout = ctx.routeTimeout;
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: {
      name,
      namespace: ctx.namespace,
      labels,
      annotations: {
        [ANNOTATIONS.route]: route.path,
        [ANNOTATIONS.data]: JSON.stringify(route.data),
        [ANNOTATIONS.lastActivity]: route.lastActivity,
      },
    },
    spec: { hosts: host ? [host] : ctx.hosts, gateways: [ctx.gateway], http: [rule] },
  };
}

/** Rebuilds the route a VirtualService was rendered from, or undefined for objects that are not hubmesh routes. */
export function routeFromVirtualService(vs: VirtualService): RouteRecord | undefined {
  const annotations = vs.metadata.annotations ?? {};
  const path = annotations[ANNOTATIONS.route];
  const raw = annotations[ANNOTATIONS.data];
  if (vs.metadata.labels?.[LABELS.kind] !== 'route' || path === undefined || raw === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || typeof (data as RouteData).target !== 'string') return undefined;
  const lastActivity = annotations[ANNOTATIONS.lastActivity] ?? vs.metadata.creationTimestamp ?? new Date(0).toISOString();
  return { path, data: data as RouteData, lastActivity };
}

/** JSON with object keys sorted, so objects compare equal whatever order a server wrote their keys in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * Whether a stored VirtualService already says what `desired` says: same spec, same route data,
 * same labels of ours. last_activity is not compared, so a repeated POST writes nothing.
 */
export function sameRoute(stored: VirtualService, desired: VirtualService): boolean {
  const ourLabelKeys: string[] = Object.values(LABELS);
  const ours = (vs: VirtualService) => ({
    spec: vs.spec,
    labels: Object.fromEntries(Object.entries(vs.metadata.labels ?? {}).filter(([k]) => ourLabelKeys.includes(k))),
    route: vs.metadata.annotations?.[ANNOTATIONS.route],
    data: JSON.parse(vs.metadata.annotations?.[ANNOTATIONS.data] ?? 'null'),
  });
  try {
    return canonicalJson(ours(stored)) === canonicalJson(ours(desired));
  } catch {
    return false;
  }
}
