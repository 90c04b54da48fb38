import type { HTTPBackendRef, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteObject, HTTPRouteRule, ParentReference, RouteCondition } from '../kube/httproutes';
import { HTTPROUTE_LIMITS } from '../kube/httproutes';
import type { HTTPMatchRequest, HTTPRoute, HTTPRouteDestination } from '../kube/virtualservices';
import type { Service } from '../kube/services';
import { NO_OVERLAYS, type FieldError, type Overlays, type ServiceDestination } from './overlays';
import { splitHostRoute } from './routespec';
import { ownRules, routeMetadata, ROUTE_HEADER, ROUTE_RULE, type Destination, type RenderContext, type RouteRecord } from './virtualservice';

/**
 * A hub route as a Gateway API HTTPRoute (HUBMESH_ROUTE_API=httproute). The route's rules are rendered once,
 * by the same overlay sections as for a VirtualService but with Gateway API path semantics (one segment-wise
 * PathPrefix per path, no rules carried from other routes: the Gateway API orders rules of all routes by the
 * longest path, as CHP does), then written in the HTTPRoute's terms.
 */

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** Istio's backendRef kind for a host that is not a Service of the cluster (a ServiceEntry's host). */
const ISTIO_HOSTNAME = { group: 'networking.istio.io', kind: 'Hostname' } as const;

/** The Gateway the routes attach to, from "<namespace>/<name>" and the listener's name, if one is given. */
export function parentReference(gateway: string, sectionName: string | undefined): ParentReference {
  const [namespace, name] = gateway.split('/') as [string, string];
  return { group: GATEWAY_API_GROUP, kind: 'Gateway', namespace, name, ...(sectionName === undefined ? {} : { sectionName }) };
}

/** Where the route's rules go besides its own: with host routing, the hub route's rule last on a host (see Placement.fallback). */
export type GatewayPlacement = { hubApiPath?: string; fallback?: HTTPRoute; claimed?: (routePath: string) => boolean };

export type HttpRouteContext = RenderContext & { parent: ParentReference };

/**
 * The one function that turns a route into its HTTPRoute. Every field the apiserver would default is written
 * out (parentRef group and kind, backendRef kind and weight, match types), so a stored object compares equal
 * to its rendering.
 */
export function renderRouteHTTPRoute(
  route: RouteRecord,
  destination: Destination,
  ctx: HttpRouteContext,
  overlays: Overlays = NO_OVERLAYS,
  placement: GatewayPlacement = {},
): HTTPRouteObject {
  const { host } = splitHostRoute(route.path, ctx.hostRouting);
  const own = ownRules(route, destination, ctx, overlays, { mode: 'path', pathPrefixes: true, hubApiPath: placement.hubApiPath, claimed: placement.claimed });
  const rules = uniqueRuleNames([...own, ...(placement.fallback ? [placement.fallback] : [])].map((r) => gatewayRule(r, ctx)));
  const hostnames = host ? [host] : ctx.hosts.filter((h) => h !== '*');
  return {
    apiVersion: `${GATEWAY_API_GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: routeMetadata(route, ctx, overlays),
    spec: { parentRefs: [ctx.parent], ...(hostnames.length ? { hostnames } : {}), rules },
  };
}

/** One rule in the HTTPRoute's terms. Rule settings the standard channel has no field for (retries, faults) are not carried: the overlays API refuses them with this backend. */
function gatewayRule(rule: HTTPRoute, ctx: Pick<RenderContext, 'namespace' | 'clusterDomain'>): HTTPRouteRule {
  const filters: HTTPRouteFilter[] = [];
  const set = rule.headers?.response?.set;
  if (set) filters.push({ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: Object.entries(set).map(([name, value]) => ({ name, value })) } });
  const matches = (rule.match ?? []).map(gatewayMatch);
  const rewritten = rule.rewrite?.uri;
  if (rewritten !== undefined) {
    const exact = matches[0]?.path?.type === 'Exact';
    filters.push({ type: 'URLRewrite', urlRewrite: { path: exact ? { type: 'ReplaceFullPath', replaceFullPath: rewritten } : { type: 'ReplacePrefixMatch', replacePrefixMatch: rewritten } } });
  }
  return {
    ...(rule.name === undefined ? {} : { name: rule.name }),
    matches,
    ...(filters.length ? { filters } : {}),
    backendRefs: (rule.route ?? []).map((d) => backendRef(d, ctx)),
    ...(rule.timeout === undefined ? {} : { timeouts: { request: gatewayDuration(rule.timeout) } }),
  };
}

function gatewayMatch(match: HTTPMatchRequest): HTTPRouteMatch {
  const uri = match.uri ?? { prefix: '/' };
  const path =
    uri.prefix !== undefined
      ? ({ type: 'PathPrefix', value: uri.prefix } as const)
      : uri.exact !== undefined
        ? ({ type: 'Exact', value: uri.exact } as const)
        : ({ type: 'RegularExpression', value: uri.regex ?? '.*' } as const);
  const headers = Object.entries(match.headers ?? {}).map(([name, m]) =>
    m.regex !== undefined ? { type: 'RegularExpression' as const, name, value: m.regex } : { type: 'Exact' as const, name, value: m.exact ?? '' },
  );
  return { path, ...(headers.length ? { headers } : {}) };
}

/** A destination host: a Service of the cluster by name (and namespace, when not the route's), any other host as Istio's Hostname. */
function backendRef(d: HTTPRouteDestination, ctx: Pick<RenderContext, 'namespace' | 'clusterDomain'>): HTTPBackendRef {
  const port = d.destination.port?.number;
  const weight = d.weight ?? 1;
  const service = serviceOfHost(d.destination.host, ctx.clusterDomain ?? 'cluster.local');
  const ref: HTTPBackendRef = service
    ? { group: '', kind: 'Service', name: service.name, ...(service.namespace === ctx.namespace ? {} : { namespace: service.namespace }) }
    : { ...ISTIO_HOSTNAME, name: d.destination.host };
  return { ...ref, ...(port === undefined ? {} : { port }), weight };
}

function serviceOfHost(host: string, clusterDomain: string): { name: string; namespace: string } | undefined {
  const suffix = `.svc.${clusterDomain}`;
  if (!host.endsWith(suffix)) return undefined;
  const [name, namespace, ...rest] = host.slice(0, -suffix.length).split('.');
  return name && namespace && rest.length === 0 ? { name, namespace } : undefined;
}

/** The host a backendRef sends to, as a VirtualService would name it. */
function hostOfBackend(ref: HTTPBackendRef, routeNamespace: string, clusterDomain: string): string {
  if (ref.kind === ISTIO_HOSTNAME.kind) return ref.name;
  return `${ref.name}.${ref.namespace ?? routeNamespace}.svc.${clusterDomain}`;
}

/** Rule names must be unique in an HTTPRoute: a rule split per match (a rewrite takes one PathPrefix) gets "-2", "-3"... */
function uniqueRuleNames(rules: HTTPRouteRule[]): HTTPRouteRule[] {
  const seen = new Map<string, number>();
  return rules.map((rule) => {
    if (rule.name === undefined) return rule;
    const count = (seen.get(rule.name) ?? 0) + 1;
    seen.set(rule.name, count);
    return count === 1 ? rule : { ...rule, name: `${rule.name}-${count}` };
  });
}

/** An Istio duration ("3600s", "0.250s") as a Gateway API duration (GEP-2257: "1h", "250ms"). */
export function gatewayDuration(istio: string): string {
  const parts = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(istio);
  if (!parts) throw new Error(`not a duration: ${istio}`);
  const unitMs = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[parts[2] as 'ms' | 's' | 'm' | 'h'];
  let ms = Math.round(Number(parts[1]) * unitMs);
  if (ms === 0) return '0s';
  let text = '';
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    const count = Math.floor(ms / size);
    if (count) text += `${count}${unit}`;
    ms -= count * size;
  }
  return text;
}

/** Where a route's HTTPRoute sends its path: the first backend of its own `route` rule. */
export function httpRouteDestination(route: HTTPRouteObject, clusterDomain: string): Destination | undefined {
  const name = route.metadata.name;
  const own = route.spec.rules?.find((r) => (r.name === ROUTE_RULE || r.name?.startsWith(`${ROUTE_RULE}-`)) && namesRoute(r, name));
  const ref = own?.backendRefs?.[0];
  if (!ref || ref.port === undefined) return undefined;
  return { host: hostOfBackend(ref, route.metadata.namespace ?? '', clusterDomain), port: ref.port };
}

function namesRoute(rule: HTTPRouteRule, name: string): boolean {
  const by = rule.filters?.flatMap((f) => (f.type === 'ResponseHeaderModifier' ? (f.responseHeaderModifier.set ?? []) : [])).find((h) => h.name === ROUTE_HEADER)?.value;
  return by === undefined || by === name;
}

/** Every overlay destination, by its field name. */
function overlayDestinations(overlays: Overlays): Array<[string, ServiceDestination]> {
  return [
    ...(overlays.canary ? [['canary.destination', overlays.canary.destination] as [string, ServiceDestination]] : []),
    ...overlays.rules.map((r, i) => [`rules[${i}].destination`, r.destination] as [string, ServiceDestination]),
    ...(overlays.previews ?? []).map((p, i) => [`previews[${i}].destination`, p.destination] as [string, ServiceDestination]),
  ];
}

const NOT_AVAILABLE = 'is not available with the httproute backend (HUBMESH_ROUTE_API=httproute)';

/** The overlay settings the standard channel's HTTPRoute has no field for, each with why (the console shows them before an edit). */
export const UNAVAILABLE_WITH_HTTPROUTE = {
  retries: `${NOT_AVAILABLE}: the Gateway API's standard channel has no retries`,
  fault: `${NOT_AVAILABLE}: the Gateway API has no fault injection`,
  rateLimit: `${NOT_AVAILABLE}: hubmesh's rate limits patch the VirtualService routes' Envoy names`,
  subset: `${NOT_AVAILABLE}: a backendRef names a Service, not a DestinationRule subset`,
} as const;

/** What the standard channel's HTTPRoute cannot say of a route's overlays, by field: with this backend, the overlays API refuses them. */
export function unavailableWithHttpRoute(overlays: Overlays): FieldError[] {
  const errors: FieldError[] = [];
  for (const section of ['retries', 'fault', 'rateLimit'] as const) {
    if (overlays[section] !== undefined) errors.push({ field: section, message: UNAVAILABLE_WITH_HTTPROUTE[section] });
  }
  for (const [field, d] of overlayDestinations(overlays)) {
    if (d.subset !== undefined) errors.push({ field: `${field}.subset`, message: UNAVAILABLE_WITH_HTTPROUTE.subset });
    if (d.port === undefined) errors.push({ field: `${field}.port`, message: 'is required with the httproute backend: a Gateway API backendRef to a Service names its port' });
  }
  return errors;
}

/**
 * The overlays with each destination that gives no port completed with its Service's only port, as Istio picks
 * it for a VirtualService: a Gateway API backendRef must name it. One without a known Service, or with several
 * ports, stays as it is (and is refused by unavailableWithHttpRoute).
 */
export function withServicePorts(overlays: Overlays, services: readonly Service[] | undefined): Overlays {
  const complete = (d: ServiceDestination): ServiceDestination => {
    if (d.port !== undefined || !services) return d;
    const ports = services.find((s) => s.metadata.name === d.service)?.spec?.ports ?? [];
    return ports.length === 1 ? { ...d, port: ports[0]!.port } : d;
  };
  return {
    ...overlays,
    ...(overlays.canary ? { canary: { ...overlays.canary, destination: complete(overlays.canary.destination) } } : {}),
    rules: overlays.rules.map((r) => ({ ...r, destination: complete(r.destination) })),
    ...(overlays.previews ? { previews: overlays.previews.map((p) => ({ ...p, destination: complete(p.destination) })) } : {}),
  };
}

/**
 * Why a rendered HTTPRoute cannot serve its route, in words: past the standard CRD's limits, or a rewrite Istio
 * does not translate as the Gateway API says. Istio trims a ReplacePrefixMatch's trailing "/" and then replaces
 * a PathPrefix "/" as the literal "/" (pilot/pkg/config/kube/gateway createRewriteFilter, then Envoy's
 * prefix_rewrite), so "/x" would reach "<target path>x", not CHP's "<target path>/x". Undefined when it can.
 */
export function httpRouteUnstorable(route: HTTPRouteObject): string | undefined {
  const rules = route.spec.rules ?? [];
  const rootRewrite = rules.some(
    (r) => r.matches?.some((m) => m.path?.type === 'PathPrefix' && m.path.value === '/') && r.filters?.some((f) => f.type === 'URLRewrite' && f.urlRewrite.path.type === 'ReplacePrefixMatch'),
  );
  if (rootRewrite) return 'its target has a path, and on "/" Istio rewrites "/x" to "<target path>x" instead of "<target path>/x" (it trims the replacement\'s trailing "/"): give the route at "/" a target without a path, or use HUBMESH_ROUTE_API=virtualservice';
  const matches = rules.reduce((n, r) => n + (r.matches?.length ?? 0), 0);
  if (rules.length > HTTPROUTE_LIMITS.rules) return `it would hold ${rules.length} rules, and an HTTPRoute holds at most ${HTTPROUTE_LIMITS.rules}: remove previews or selective rules`;
  if (matches > HTTPROUTE_LIMITS.matches) return `it would hold ${matches} matches, and an HTTPRoute holds at most ${HTTPROUTE_LIMITS.matches}`;
  return undefined;
}

/** The parent status of our Gateway in a route's status, as its controller wrote it. */
export function parentStatus(route: HTTPRouteObject, parent: ParentReference): RouteCondition[] | undefined {
  const ours = route.status?.parents?.find(
    (p) =>
      p.parentRef.name === parent.name &&
      (p.parentRef.namespace ?? route.metadata.namespace) === parent.namespace &&
      (p.parentRef.kind ?? 'Gateway') === 'Gateway' &&
      (p.parentRef.sectionName ?? undefined) === parent.sectionName,
  );
  return ours?.conditions;
}

/** Whether the Gateway's controller accepted this generation of the route and resolved its backends. */
export function isAcceptedHttpRoute(route: HTTPRouteObject, parent: ParentReference): boolean {
  const conditions = parentStatus(route, parent);
  const holds = (type: string) => {
    const c = conditions?.find((x) => x.type === type);
    return c?.status === 'True' && (c.observedGeneration === undefined || c.observedGeneration >= (route.metadata.generation ?? 0));
  };
  return holds('Accepted') && holds('ResolvedRefs');
}
