import type { EnvoyConfigPatch, EnvoyFilter } from '../kube/envoyfilters';
import { LABELS } from '../kube/labels';
import type { VirtualService } from '../kube/virtualservices';
import { describeRateLimit, tokenBucket, type RateLimitPolicy } from './overlays';
import { isOwnRule, routeFromObject } from './virtualservice';

/**
 * The rate limits of the routes, as one EnvoyFilter on the ingress gateway, rendered from the routes' own
 * VirtualServices: Envoy's local rate limit filter, inserted before the router with no limit of its own,
 * and for each limited route a patch of exactly its Envoy routes (found by name, see rate-limit.ts) with
 * the route's token bucket. Each Envoy route's bucket is its own, counted per gateway replica. A limited
 * request is answered 429 with a JSON body that names the limit.
 */

export const LOCAL_RATE_LIMIT_FILTER = 'envoy.filters.http.local_ratelimit';
const LOCAL_RATE_LIMIT_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit';
export const STAT_PREFIX = 'hubmesh_rate_limit';
/** The response header a limited request's 429 carries: which route's limit it met. */
export const RATE_LIMIT_HEADER = 'x-hubmesh-rate-limit';

/** `path` is the route's, or "*" for the notebook routes that take the defaults' limit. */
export type RateLimitedRoute = { path: string; virtualService: string; envoyRoutes: string[]; limit: RateLimitPolicy };

/** The notebook defaults' limit, and the name its routes give their own matches (notebookMatchName). */
export type DefaultLimit = { limit: RateLimitPolicy | undefined; matchName: string };

/** The Envoy routes of a route's own rules whose matches carry `matchName` (Istio names them `<rule>.<match name>`). */
function envoyRoutesNamed(vs: VirtualService, matchName: string): string[] {
  const names = new Set<string>();
  for (const rule of vs.spec.http ?? []) {
    if (!isOwnRule(vs, rule) || !rule.route) continue;
    for (const m of rule.match ?? []) if (m.name === matchName) names.add(`${rule.name}.${m.name}`);
  }
  return [...names];
}

/**
 * The limits the routes hold: one entry for each route with its own limit, and one for every notebook route
 * that takes the defaults' limit (their Envoy routes share names, so one patch each gives all of them buckets).
 */
export function rateLimitedRoutes(virtualServices: Iterable<VirtualService>, defaults?: DefaultLimit): RateLimitedRoute[] {
  const limited: RateLimitedRoute[] = [];
  const shared = new Set<string>();
  for (const vs of virtualServices) {
    const route = routeFromObject(vs);
    if (!route) continue;
    const own = route.overlays.rateLimit;
    if (own !== undefined && own !== 'off') limited.push({ path: route.path, virtualService: vs.metadata.name, envoyRoutes: envoyRoutesNamed(vs, vs.metadata.name).sort(), limit: own });
    else if (defaults?.limit) for (const name of envoyRoutesNamed(vs, defaults.matchName)) shared.add(name);
  }
  limited.sort((a, b) => (a.virtualService < b.virtualService ? -1 : a.virtualService > b.virtualService ? 1 : 0));
  if (defaults?.limit && shared.size) limited.push({ path: '*', virtualService: defaults.matchName, envoyRoutes: [...shared].sort(), limit: defaults.limit });
  return limited;
}

export type RateLimitFilterContext = { name: string; namespace: string; prefix: string; gatewaySelector: Record<string, string> };

const always = (runtimeKey: string) => ({ runtime_key: runtimeKey, default_value: { numerator: 100, denominator: 'HUNDRED' } });

function routePatch(envoyRoute: string, route: RateLimitedRoute): EnvoyConfigPatch {
  return {
    applyTo: 'HTTP_ROUTE',
    match: { context: 'GATEWAY', routeConfiguration: { vhost: { route: { name: envoyRoute } } } },
    patch: {
      operation: 'MERGE',
      value: {
        typed_per_filter_config: {
          [LOCAL_RATE_LIMIT_FILTER]: {
            '@type': LOCAL_RATE_LIMIT_TYPE,
            stat_prefix: STAT_PREFIX,
            token_bucket: tokenBucket(route.limit),
            filter_enabled: always(`${STAT_PREFIX}_enabled`),
            filter_enforced: always(`${STAT_PREFIX}_enforced`),
            response_headers_to_add: [{ append_action: 'OVERWRITE_IF_EXISTS_OR_ADD', header: { key: RATE_LIMIT_HEADER, value: `${describeRateLimit(route.limit)} ${route.path === '*' ? 'on every notebook (notebook defaults)' : `on route ${route.path}`}` } }],
          },
        },
      },
    },
  };
}

const HCM = 'envoy.filters.network.http_connection_manager';
const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
/** The response code details Envoy's local rate limit gives its 429s (and no other reply). */
const LOCAL_RATE_LIMITED = 'local_rate_limited';

/**
 * The body of the gateway's own 429s, JSON as hubmesh's API errors are, naming the limit. A mapper of the
 * connection manager's local replies (never an upstream's 429: those are not local replies), chosen by
 * the reply's details, as the rate limit flag (RL) is set only after the reply is made.
 */
function rateLimitedReply() {
  return {
    filter: {
      and_filter: {
        filters: [
          { status_code_filter: { comparison: { op: 'EQ', value: { default_value: 429, runtime_key: `${STAT_PREFIX}_reply_status` } } } },
          {
            extension_filter: {
              name: 'envoy.access_loggers.extension_filters.cel',
              typed_config: { '@type': 'type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', expression: `response.code_details == '${LOCAL_RATE_LIMITED}'` },
            },
          },
        ],
      },
    },
    body_format_override: {
      json_format: { status: 429, code: 'rate-limited', error: `too many requests: the limit is %RESP(${RATE_LIMIT_HEADER})%; try again shortly`, limit: `%RESP(${RATE_LIMIT_HEADER})%` },
    },
  };
}

/** The gateway's EnvoyFilter for these routes; with none, it holds only the filter, which then limits nothing. */
export function renderRateLimitFilter(routes: readonly RateLimitedRoute[], ctx: RateLimitFilterContext): EnvoyFilter {
  const patches = routes.flatMap((route) => route.envoyRoutes.map((envoyRoute) => routePatch(envoyRoute, route)));
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'EnvoyFilter',
    metadata: { name: ctx.name, namespace: ctx.namespace, labels: { [LABELS.managedBy]: 'hubmesh', [LABELS.prefix]: ctx.prefix, [LABELS.kind]: 'rate-limits' } },
    spec: {
      workloadSelector: { labels: ctx.gatewaySelector },
      // after the filters with no priority: Istio's analyzer warns of a relative insert (before the router) without one (IST0151)
      priority: 10,
      configPatches: [
        {
          applyTo: 'HTTP_FILTER',
          match: { context: 'GATEWAY', listener: { filterChain: { filter: { name: HCM, subFilter: { name: 'envoy.filters.http.router' } } } } },
          patch: { operation: 'INSERT_BEFORE', value: { name: LOCAL_RATE_LIMIT_FILTER, typed_config: { '@type': LOCAL_RATE_LIMIT_TYPE, stat_prefix: STAT_PREFIX } } },
        },
        {
          applyTo: 'NETWORK_FILTER',
          match: { context: 'GATEWAY', listener: { filterChain: { filter: { name: HCM } } } },
          patch: { operation: 'MERGE', value: { typed_config: { '@type': HCM_TYPE, local_reply_config: { mappers: [rateLimitedReply()] } } } },
        },
        ...patches,
      ],
    },
  };
}

/** The Envoy route names an EnvoyFilter's HTTP_ROUTE patches look for (HM5004 checks each still names a route). */
export function patchedRouteNames(filter: EnvoyFilter): string[] {
  return filter.spec.configPatches.flatMap((p) => (p.applyTo === 'HTTP_ROUTE' && p.match?.routeConfiguration?.vhost?.route?.name ? [p.match.routeConfiguration.vhost.route.name] : []));
}
