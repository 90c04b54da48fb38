import { parseJson } from '../json';
import type { HTTPMatchRequest, HTTPRoute, HTTPRouteDestination, VirtualService } from '../kube/virtualservices';
import { serviceHost, type HeaderConditions, type OverlayRenderInput, type ServiceDestination } from './overlay-sections/section';
import { formatFieldErrors, hasOverlays, NO_OVERLAYS, parseOverlays, renderDestinations, renderOverlayRules, renderOwnMatchName, renderRuleSettings, type Overlays } from './overlays';
import { inheritedSections, NO_DEFAULTS, withNotebookDefaults, type NotebookDefaults } from './notebook-defaults';
import { ISTIO_MAX_REGEX_LENGTH, pathRegexExcludingSegments, pathRegexOutside } from './path-regex';
import { labelValue, quoteRoutePath, splitHostRoute, virtualServiceName } from './routespec';
import { ANNOTATIONS, LABELS } from '../kube/labels';
import type { KubeObject } from '../kube/types';

/**
 * The hub's REST API below the hub route (at "/" or the hub's base URL), which no preview may shadow unless
 * an admin allowed it: a preview above it gets this rule first, sending the API's requests that carry a
 * preview's header or cookie on to the route's own target.
 */
export const HUB_API_SUBPATH = 'hub/api';
export const HUB_API_PATH = `/${HUB_API_SUBPATH}`;
export { HUB_API_GUARD_RULE } from './overlays';

/** The name of the http rule that routes the path to the route's target: the last of the route's own rules. */
export const ROUTE_RULE = 'route';
/** With a target path, the exact match gets a rule of its own (its rewrite replaces the whole path). */
export const ROUTE_EXACT_RULE = `${ROUTE_RULE}-exact`;
/** A hub route under a base URL: paths outside the base URL that no route holds get 404, as from CHP. */
export const NOT_FOUND_RULE = 'not-found';

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
  /** The cluster's DNS domain, for the FQDNs of overlay destinations; Kubernetes' default when not given. */
  clusterDomain?: string;
  /** what every notebook route renders with where its own overlays leave a section unset */
  notebookDefaults?: NotebookDefaults;
};

/**
 * The name of the own matches of every notebook route that takes its rate limit from the notebook defaults:
 * one EnvoyFilter patch per Envoy route name then gives each of them its own bucket, whatever their number.
 */
export const notebookMatchName = (prefix: string) => `${prefix}-notebooks`;

export type RouteRecord = { path: string; data: RouteData; lastActivity: string };

/**
 * A route as read back from its VirtualService, with its overlays. A malformed overlays annotation
 * (edited by hand) counts as no overlays, and overlaysError says what is wrong with it.
 */
export type StoredRoute = RouteRecord & { overlays: Overlays; overlaysError?: string };

/**
 * Where a route stands among the others, which decides what its VirtualService holds besides its own rules.
 * istiod merges all VirtualServices of a gateway host by age (then name) and tries the first match, moving
 * only a plain "prefix: /" to the end, while CHP picks the longest matching prefix. So:
 * - `path` (the default): the route's own matches. `carried` holds the rules of every route below it, most
 *   specific first, so that whichever object Istio tries first, a longer route wins.
 * - `catch-all` ("/"): Istio tries it last by itself. Its overlays stay off the first segments that hold
 *   other routes (`occupied`), and off paths another route covers (`claimed`).
 * - `root`: the hub route under a base URL ("/jupyter"), when nothing is above it: rendered as the catch-all
 *   (so it never needs to carry every user's route), with 404 for paths outside it; `carried` then holds the
 *   routes outside it, which must come before that 404.
 * With host routing, `fallback` is the hub route's rule, tried last on a host whose routes do not match:
 * CHP sends those requests to "/".
 * `pathPrefixes` renders for Gateway API routes instead: a path is one segment-wise prefix match (PathPrefix),
 * and the Gateway API's own precedence (longest path first, across routes) does what carried rules and
 * exclusions do for VirtualServices, so neither is needed.
 */
export type Placement = {
  mode: 'path' | 'catch-all' | 'root';
  pathPrefixes?: true;
  carried: HTTPRoute[];
  occupied?: (routePath: string) => readonly string[];
  claimed?: (routePath: string) => boolean;
  fallback?: HTTPRoute;
  /** the hub's API path (decoded), for the previews' guard */
  hubApiPath?: string;
};

export const STANDALONE: Placement = { mode: 'path', carried: [] };

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

/** A (decoded) route path as one Gateway API PathPrefix, which matches whole segments: "/user/al" never catches "/user/alice". */
export function pathPrefixMatches(path: string): NonNullable<HTTPRoute['match']> {
  return [{ uri: { prefix: quoteRoutePath(path) } }];
}

/**
 * The one function that turns a route into its VirtualService: the rules `placement` carries, then the
 * route's own rules, then the host fallback. Every rule names the VirtualService whose route it is in a
 * response header (a carried rule names the route it came from), so the gateway shows who served a request.
 * Without overlays and alone, the object is exactly the plain route's.
 */
export function renderRouteVirtualService(
  route: RouteRecord,
  destination: Destination,
  ctx: RenderContext,
  overlays: Overlays = NO_OVERLAYS,
  placement: Placement = STANDALONE,
): VirtualService {
  const { host } = splitHostRoute(route.path, ctx.hostRouting);
  const http = [...placement.carried, ...ownRules(route, destination, ctx, overlays, placement), ...(placement.fallback ? [placement.fallback] : [])];
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: routeMetadata(route, ctx, overlays),
    spec: { hosts: host ? [host] : ctx.hosts, gateways: [ctx.gateway], http },
  };
}

/** What every route object (VirtualService or HTTPRoute) says of its route: its name, labels, and the hub's data in annotations. */
export function routeMetadata(route: RouteRecord, ctx: Pick<RenderContext, 'prefix' | 'namespace'>, overlays: Overlays): VirtualService['metadata'] {
  const labels: Record<string, string> = { [LABELS.managedBy]: 'hubmesh', [LABELS.prefix]: ctx.prefix, [LABELS.kind]: 'route' };
  if (typeof route.data.user === 'string') labels[LABELS.user] = labelValue(route.data.user);
  if (typeof route.data.server_name === 'string') labels[LABELS.serverName] = labelValue(route.data.server_name);
  const annotations: Record<string, string> = {
    [ANNOTATIONS.route]: route.path,
    [ANNOTATIONS.data]: JSON.stringify(route.data),
    [ANNOTATIONS.lastActivity]: route.lastActivity,
  };
  if (hasOverlays(overlays)) annotations[ANNOTATIONS.overlays] = canonicalJson(overlays);
  return { name: virtualServiceName(ctx.prefix, route.path), namespace: ctx.namespace, labels, annotations };
}

/**
 * A route's own rules, in a fixed order: the overlay sections' rules (see overlays.ts: the hub API's guard and
 * the previews, then the selective rules), the 404 outside a root route, and the route's rule, which sends
 * where the sections' destinations say (a canary splits by weight). A target with a path gets CHP's meaning:
 * that path before the request's (Istio's `rewrite.uri`).
 */
export function ownRules(route: RouteRecord, destination: Destination, ctx: RenderContext, overlays: Overlays, placement: Pick<Placement, 'mode' | 'occupied' | 'claimed' | 'hubApiPath' | 'pathPrefixes'>): HTTPRoute[] {
  const name = virtualServiceName(ctx.prefix, route.path);
  const { path } = splitHostRoute(route.path, ctx.hostRouting);
  const wide = placement.mode !== 'path' && !placement.pathPrefixes;
  const matchesOf = placement.pathPrefixes ? pathPrefixMatches : pathMatches;
  const rule = (ruleName: string, match: HTTPMatchRequest[], to: HTTPRouteDestination[]): HTTPRoute => {
    const r: HTTPRoute = { name: ruleName, match, route: to, headers: { response: { set: { [ROUTE_HEADER]: name } } } };
    if (ctx.routeTimeout) r.timeout = ctx.routeTimeout;
    return r;
  };
  const toService = (d: ServiceDestination): HTTPRouteDestination['destination'] => ({
    host: serviceHost(d.service, ctx.namespace, ctx.clusterDomain ?? 'cluster.local'),
    ...(d.subset === undefined ? {} : { subset: d.subset }),
    ...(d.port === undefined ? {} : { port: { number: d.port } }),
  });
  // overlays on a wide route must keep off what more specific routes hold, whatever the objects' ages
  const overlayMatches = (routePath: string, conditions: HeaderConditions[]): HTTPMatchRequest[] => {
    const own = splitHostRoute(routePath, ctx.hostRouting).path;
    // a more specific route created since holds that path (a preview never takes its requests)
    if ((wide || placement.pathPrefixes) && placement.claimed?.(routePath)) return [];
    const occupied = (wide ? (placement.occupied?.(routePath) ?? []) : []).map(quoteRoutePath);
    const quoted = quoteRoutePath(own);
    // every character becomes at least one of the regex's: past the limit, Istio would refuse it anyway
    if (occupied.reduce((n, segment) => n + segment.length, quoted.length) > ISTIO_MAX_REGEX_LENGTH) return [];
    const uris: NonNullable<HTTPMatchRequest['uri']>[] = occupied.length ? [{ regex: pathRegexExcludingSegments(quoted, occupied) }] : matchesOf(own).map((m) => m.uri!);
    if (uris.some((u) => u.regex !== undefined && u.regex.length > ISTIO_MAX_REGEX_LENGTH)) return [];
    return uris.flatMap((uri) => conditions.map((headers) => ({ uri, headers })));
  };
  const targetPath = targetPathPrefix(route.data.target);
  // CHP puts the target's path before the request's: what Istio's rewrite of each kind of match must give
  const withTargetPath = (r: HTTPRoute, m: HTTPMatchRequest): HTTPRoute => {
    if (targetPath === undefined) return r;
    const literal = m.uri?.exact ?? m.uri?.prefix;
    return { ...r, rewrite: literal !== undefined ? { uri: `${targetPath}${literal}` } : { uriRegexRewrite: { match: '^', rewrite: targetPath.replace(/\\/g, '\\\\') } } };
  };
  let routeTo: HTTPRouteDestination[] = [];
  const toOwnTarget = (ruleName: string, match: HTTPMatchRequest[]): HTTPRoute[] =>
    targetPath === undefined ? [rule(ruleName, match, routeTo)] : match.map((m) => withTargetPath(rule(ruleName, [m], routeTo), m));
  const input: Omit<OverlayRenderInput, 'routeTo'> = { virtualService: name, routePath: route.path, hostRouting: ctx.hostRouting, hubApiPath: placement.hubApiPath ?? HUB_API_PATH, rule, toService, toOwnTarget, overlayMatches, pathMatches: matchesOf };
  const defaults = ctx.notebookDefaults ?? NO_DEFAULTS;
  const effective = withNotebookDefaults(overlays, route.data, defaults);
  routeTo = renderDestinations(effective, [{ destination: { host: destination.host, port: { number: destination.port } } }], input);
  const matchName = inheritedSections(overlays, route.data, defaults).includes('rateLimit') ? notebookMatchName(ctx.prefix) : renderOwnMatchName(effective, input);
  const matches = (wide ? matchesOf('/') : matchesOf(path)).map((m) => (matchName === undefined ? m : { name: matchName, ...m }));
  // a rewrite replaces the matched prefix of a prefix match but the whole path of an exact one: one rule each
  const ownRule = targetPath === undefined ? [rule(ROUTE_RULE, matches, routeTo)] : matches.map((m) => withTargetPath(rule(m.uri!.exact !== undefined ? ROUTE_EXACT_RULE : ROUTE_RULE, [m], routeTo), m));
  const settings = Object.entries(renderRuleSettings(effective));
  const settled = (r: HTTPRoute): HTTPRoute => {
    if (!settings.length) return r;
    const out: Record<string, unknown> = { ...r };
    for (const [key, value] of settings) {
      if (value === undefined) delete out[key];
      else if (!(key === 'fault' && r.fault)) out[key] = value;
    }
    return out as HTTPRoute;
  };
  return [
    ...renderOverlayRules(effective, { ...input, routeTo }).map(settled),
    ...(placement.mode === 'root'
      ? [{ name: NOT_FOUND_RULE, match: [{ uri: { regex: pathRegexOutside(quoteRoutePath(path)) } }], directResponse: { status: 404 }, headers: { response: { set: { [ROUTE_HEADER]: name } } } }]
      : []),
    ...ownRule.map(settled),
  ];
}

/** The path of a target such as "http://host:9999/test" without its trailing "/", or undefined when it has none. */
export function targetPathPrefix(target: string): string | undefined {
  let pathname: string;
  try {
    pathname = new URL(target).pathname;
  } catch {
    return undefined;
  }
  const trimmed = pathname.replace(/\/+$/, '');
  return trimmed === '' ? undefined : trimmed;
}

/** The rules a VirtualService holds for its own route (a carried or fallback rule names another route). */
export function isOwnRule(vs: VirtualService, rule: HTTPRoute): boolean {
  const by = rule.headers?.response?.set?.[ROUTE_HEADER];
  return by === undefined || by === vs.metadata.name;
}

/** Where a route VirtualService sends its path: the first destination of its own `route` rule. */
export function primaryDestination(vs: VirtualService): Destination | undefined {
  const destination = vs.spec.http?.find((r) => (r.name === ROUTE_RULE || r.name === ROUTE_EXACT_RULE) && isOwnRule(vs, r))?.route?.[0]?.destination;
  const port = destination?.port?.number;
  return destination && port !== undefined ? { host: destination.host, port } : undefined;
}

/** A route's overlays from its annotation; a malformed one reads as none, with the reason. */
export function overlaysFromObject(object: KubeObject): { overlays: Overlays; error?: string } {
  const raw = object.metadata.annotations?.[ANNOTATIONS.overlays];
  if (raw === undefined) return { overlays: NO_OVERLAYS };
  let json: unknown;
  try {
    json = parseJson(raw);
  } catch {
    return { overlays: NO_OVERLAYS, error: `annotation ${ANNOTATIONS.overlays} is not JSON` };
  }
  const parsed = parseOverlays(json);
  return parsed.ok ? { overlays: parsed.overlays } : { overlays: NO_OVERLAYS, error: `annotation ${ANNOTATIONS.overlays}: ${formatFieldErrors(parsed.errors)}` };
}

/** Rebuilds the route a route object (VirtualService or HTTPRoute) was rendered from, or undefined for objects that are not hubmesh routes. */
export function routeFromObject(object: KubeObject): StoredRoute | undefined {
  const annotations = object.metadata.annotations ?? {};
  const path = annotations[ANNOTATIONS.route];
  const raw = annotations[ANNOTATIONS.data];
  if (object.metadata.labels?.[LABELS.kind] !== 'route' || path === undefined || raw === undefined) return undefined;
  let data: unknown;
  try {
    data = parseJson(raw);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || typeof (data as RouteData).target !== 'string') return undefined;
  const lastActivity = annotations[ANNOTATIONS.lastActivity] ?? object.metadata.creationTimestamp ?? new Date(0).toISOString();
  const { overlays, error } = overlaysFromObject(object);
  return { path, data: data as RouteData, lastActivity, overlays, ...(error === undefined ? {} : { overlaysError: error }) };
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
 * Whether a stored route object already says what `desired` says: same spec, same route data and
 * overlays, same labels of ours. last_activity is not compared, so a repeated POST writes nothing.
 */
export function sameRoute<T extends KubeObject & { spec: unknown }>(stored: T, desired: T): boolean {
  const ourLabelKeys: string[] = Object.values(LABELS);
  const ours = (vs: T) => ({
    spec: vs.spec,
    labels: Object.fromEntries(Object.entries(vs.metadata.labels ?? {}).filter(([k]) => ourLabelKeys.includes(k))),
    route: vs.metadata.annotations?.[ANNOTATIONS.route],
    data: parseJson(vs.metadata.annotations?.[ANNOTATIONS.data] ?? 'null'),
    overlays: jsonOrText(vs.metadata.annotations?.[ANNOTATIONS.overlays]),
  });
  try {
    return canonicalJson(ours(stored)) === canonicalJson(ours(desired));
  } catch {
    return false;
  }
}

/** A malformed annotation compares as its text, so keeping it as it is counts as no change. */
function jsonOrText(raw: string | undefined): unknown {
  if (raw === undefined) return null;
  try {
    return { json: parseJson(raw) };
  } catch {
    return { text: raw };
  }
}
