// The renderer and checks as they were before the overlay sections registry (commit cd36b74), kept only
// while render-equivalence.test.ts proves the registry's output identical; removed in the next commit.
import { RE2JS } from 're2js';
import type { HTTPMatchRequest, HTTPRoute, HTTPRouteDestination } from '../kube/virtualservices';
import { PREVIEW_COOKIE, PREVIEW_HEADER, type Preview } from './overlay-sections/previews';
import type { SelectiveMatch } from './overlay-sections/rules';
import { cookieRegex, serviceHost, type FieldError, type OverlayCheckContext, type ServiceDestination } from './overlay-sections/section';
import type { Overlays } from './overlays';
import { ISTIO_MAX_REGEX_LENGTH, pathRegexExcludingSegments, pathRegexOutside } from './path-regex';
import { coversPath, quoteRoutePath, splitHostRoute, virtualServiceName } from './routespec';
import { HUB_API_GUARD_RULE, HUB_API_PATH, NOT_FOUND_RULE, pathMatches, ROUTE_EXACT_RULE, ROUTE_HEADER, ROUTE_RULE, targetPathPrefix, type Destination, type Placement, type RenderContext, type RouteRecord } from './virtualservice';

export function legacyOwnRules(route: RouteRecord, destination: Destination, ctx: RenderContext, overlays: Overlays, placement: Pick<Placement, 'mode' | 'occupied' | 'claimed' | 'hubApiPath'>): HTTPRoute[] {
  const name = virtualServiceName(ctx.prefix, route.path);
  const { path } = splitHostRoute(route.path, ctx.hostRouting);
  const wide = placement.mode !== 'path';
  const rule = (ruleName: string, match: HTTPMatchRequest[], to: HTTPRouteDestination[], rewrite?: string): HTTPRoute => {
    const r: HTTPRoute = { name: ruleName, match, route: to, headers: { response: { set: { [ROUTE_HEADER]: name } } } };
    if (rewrite !== undefined) r.rewrite = { uri: rewrite };
    if (ctx.routeTimeout) r.timeout = ctx.routeTimeout;
    return r;
  };
  const target: HTTPRouteDestination['destination'] = { host: destination.host, port: { number: destination.port } };
  const toService = (d: ServiceDestination): HTTPRouteDestination['destination'] => ({
    host: serviceHost(d.service, ctx.namespace, ctx.clusterDomain ?? 'cluster.local'),
    ...(d.subset === undefined ? {} : { subset: d.subset }),
    ...(d.port === undefined ? {} : { port: { number: d.port } }),
  });
  const { canary } = overlays;
  const routeTo: HTTPRouteDestination[] = canary
    ? [
        { destination: target, weight: canary.weights.current },
        { destination: toService(canary.destination), weight: canary.weights.canary },
      ]
    : [{ destination: target }];
  // overlays on a wide route must keep off what more specific routes hold, whatever the objects' ages
  const overlayMatches = (routePath: string, conditions: Array<NonNullable<HTTPMatchRequest['headers']>>): HTTPMatchRequest[] => {
    const own = splitHostRoute(routePath, ctx.hostRouting).path;
    if (wide && placement.claimed?.(routePath)) return [];
    const occupied = (wide ? (placement.occupied?.(routePath) ?? []) : []).map(quoteRoutePath);
    const quoted = quoteRoutePath(own);
    // every character becomes at least one of the regex's: past the limit, Istio would refuse it anyway
    if (occupied.reduce((n, segment) => n + segment.length, quoted.length) > ISTIO_MAX_REGEX_LENGTH) return [];
    const uris: NonNullable<HTTPMatchRequest['uri']>[] = occupied.length ? [{ regex: pathRegexExcludingSegments(quoted, occupied) }] : pathMatches(own).map((m) => m.uri!);
    if (uris.some((u) => u.regex !== undefined && u.regex.length > ISTIO_MAX_REGEX_LENGTH)) return [];
    return uris.flatMap((uri) => conditions.map((headers) => ({ uri, headers })));
  };
  const previews = [...(overlays.previews ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const hubApi = placement.hubApiPath ?? HUB_API_PATH;
  // previews strictly above the hub's API
  const guarded = previews.filter((p) => {
    const above = splitHostRoute(p.pathPrefix, ctx.hostRouting).path;
    return !p.allowShadow && above !== hubApi && coversPath(above, hubApi);
  });
  const previewRules = previews.flatMap((p) => {
    const match = overlayMatches(p.pathPrefix, previewConditions(p));
    return match.length ? [rule(`preview-${p.name}`, match, [{ destination: toService(p.destination) }])] : [];
  });
  const selectiveRules = overlays.rules.flatMap((r) => {
    const match = overlayMatches(route.path, [headerCondition(r.match)]);
    return match.length ? [rule(`rule-${r.name}`, match, [{ destination: toService(r.destination) }])] : [];
  });
  const targetPath = targetPathPrefix(route.data.target);
  const matches = wide ? pathMatches('/') : pathMatches(path);
  const ownRule =
    targetPath === undefined
      ? [rule(ROUTE_RULE, matches, routeTo)]
      : // a rewrite replaces the matched prefix of a prefix match but the whole path of an exact one
        matches.map((m) => {
          const quoted = m.uri!.exact ?? m.uri!.prefix!;
          return rule(m.uri!.exact !== undefined ? ROUTE_EXACT_RULE : ROUTE_RULE, [m], routeTo, `${targetPath}${quoted}`);
        });
  return [
    ...(guarded.length
      ? [rule(HUB_API_GUARD_RULE, pathMatches(hubApi).flatMap((m) => guarded.flatMap((p) => previewConditions(p).map((headers) => ({ ...m, headers })))), routeTo)]
      : []),
    ...previewRules,
    ...selectiveRules,
    ...(placement.mode === 'root'
      ? [{ name: NOT_FOUND_RULE, match: [{ uri: { regex: pathRegexOutside(quoteRoutePath(path)) } }], directResponse: { status: 404 }, headers: { response: { set: { [ROUTE_HEADER]: name } } } }]
      : []),
    ...ownRule,
  ];
}

function previewConditions(preview: Preview): Array<NonNullable<HTTPMatchRequest['headers']>> {
  const conditions: Array<NonNullable<HTTPMatchRequest['headers']>> = [];
  if (preview.match.header) conditions.push({ [PREVIEW_HEADER]: { exact: preview.name } });
  if (preview.match.cookie) conditions.push({ cookie: { regex: cookieRegex(PREVIEW_COOKIE, preview.name) } });
  return conditions;
}

function headerCondition(match: SelectiveMatch): NonNullable<HTTPMatchRequest['headers']> {
  if ('cookie' in match) return { cookie: { regex: cookieRegex(match.cookie, match.value) } };
  return 'exact' in match ? { [match.header]: { exact: match.exact } } : { [match.header]: { regex: match.regex } };
}


const controlCharacter = /[\x00-\x08\x0a-\x1f\x7f]/;

export function legacyCheckOverlays(o: Overlays, ctx: OverlayCheckContext): FieldError[] {
  const errors: FieldError[] = [];
  if (o.canary) errors.push(...checkDestination(o.canary.destination, 'canary.destination', ctx));
  const firstIndex = new Map<string, number>();
  o.rules.forEach((rule, i) => {
    const first = firstIndex.get(rule.name);
    if (first === undefined) firstIndex.set(rule.name, i);
    else errors.push({ field: `rules[${i}].name`, message: `duplicate: rules[${first}] is already named ${JSON.stringify(rule.name)}` });
    errors.push(...checkMatch(rule.match, `rules[${i}].match`));
    errors.push(...checkDestination(rule.destination, `rules[${i}].destination`, ctx));
  });
  const previewIndex = new Map<string, number>();
  o.previews?.forEach((p, i) => {
    const first = previewIndex.get(p.name);
    if (first === undefined) previewIndex.set(p.name, i);
    else errors.push({ field: `previews[${i}].name`, message: `duplicate: previews[${first}] is already named ${JSON.stringify(p.name)}` });
    errors.push(...checkDestination(p.destination, `previews[${i}].destination`, ctx));
  });
  return errors;
}

function checkMatch(match: SelectiveMatch, field: string): FieldError[] {
  if ('cookie' in match) {
    if (controlCharacter.test(match.value) || /[;\s]/.test(match.value)) {
      return [{ field: `${field}.value`, message: 'a cookie value cannot hold ";", whitespace or control characters' }];
    }
    return [];
  }
  const [key, value] = 'exact' in match ? (['exact', match.exact] as const) : (['regex', match.regex] as const);
  if (controlCharacter.test(value)) return [{ field: `${field}.${key}`, message: 'must not hold control characters' }];
  if (key === 'exact' && value.trim() !== value) return [{ field: `${field}.exact`, message: 'must not start or end with whitespace: HTTP strips it from header values' }];
  if (key === 'regex') {
    try {
      RE2JS.compile(value);
    } catch (error) {
      return [{ field: `${field}.regex`, message: `not an RE2 regex: ${(error as Error).message}` }];
    }
  }
  return [];
}

function checkDestination(d: ServiceDestination, field: string, ctx: OverlayCheckContext): FieldError[] {
  let port = d.port;
  if (ctx.services) {
    const service = ctx.services.find((s) => s.metadata.name === d.service);
    if (!service) return [{ field: `${field}.service`, message: `no Service ${JSON.stringify(d.service)} in namespace ${ctx.namespace}` }];
    const ports = service.spec?.ports ?? [];
    const listed = ports.map((p) => (p.name ? `${p.port} (${p.name})` : String(p.port))).join(', ') || 'none';
    if (d.port === undefined) {
      if (ports.length !== 1) return [{ field: `${field}.port`, message: `required: Service ${d.service} has ${ports.length} ports (${listed}), so Istio cannot pick one` }];
      port = ports[0]!.port;
    } else {
      const found = ports.find((p) => p.port === d.port);
      if (!found) return [{ field: `${field}.port`, message: `Service ${d.service} has no port ${d.port} (its ports: ${listed})` }];
      if (found.protocol && found.protocol !== 'TCP') return [{ field: `${field}.port`, message: `port ${d.port} of Service ${d.service} is ${found.protocol}: HTTP needs TCP` }];
    }
  }
  if (d.subset === undefined && serviceHost(d.service, ctx.namespace, ctx.clusterDomain) === ctx.current.host && port === ctx.current.port) {
    return [{ field, message: `is the route's own target (${ctx.current.host}:${ctx.current.port}): route elsewhere, or to a subset` }];
  }
  return [];
}

export function describe(o: Overlays): string {
  const parts = [];
  if (o.canary) parts.push(`canary ${o.canary.weights.canary}% to ${o.canary.destination.service}`);
  if (o.rules.length) parts.push(`rules ${o.rules.map((r) => r.name).join(', ')}`);
  return parts.length ? parts.join('; ') : 'overlays off (plain route)';
}

export function hasOverlays(o: Overlays): boolean {
  return o.canary !== undefined || o.rules.length > 0 || (o.previews?.length ?? 0) > 0;
}

/** What setOverlays kept of its input: its key whitelist. */
export function setOverlaysInput(input: Overlays, stored: Overlays): Overlays {
  const { canary, rules } = input;
  return { ...(canary ? { canary } : {}), rules, ...(stored.previews ? { previews: stored.previews } : {}) };
}
