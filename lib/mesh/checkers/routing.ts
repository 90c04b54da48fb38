import { RE2JS } from 're2js';
import type { Gateway } from '../../kube/gateways';
import type { HTTPMatchRequest, HTTPRoute, StringMatch, VirtualService } from '../../kube/virtualservices';
import type { HTTPRouteObject } from '../../kube/httproutes';
import { canonicalJson, ROUTE_HEADER, routeFromObject } from '../../routes/virtualservice';
import { LABELS } from '../../kube/labels';
import { gatewaysOf, hostIntersection, MESH_GATEWAY, resolveShortName, serverHostsFor, type GatewayKey } from './hosts';
import type { ObjectRef, ValidationSnapshot } from './types';

export const refOf = (kind: string, object: { metadata: { name: string; namespace?: string } }): ObjectRef => ({
  kind,
  namespace: object.metadata.namespace,
  name: object.metadata.name,
});

export const vsRef = (vs: VirtualService) => refOf('VirtualService', vs);
export const gatewayKeyString = (key: GatewayKey) => `${key.namespace}/${key.name}`;

/** One of this hubmesh's routes: its labels (managed-by, this prefix, kind=route) and its route annotations. */
export function isHubRoute(object: VirtualService | HTTPRouteObject, prefix: string): boolean {
  const labels = object.metadata.labels ?? {};
  return labels[LABELS.managedBy] === 'hubmesh' && labels[LABELS.prefix] === prefix && routeFromObject(object) !== undefined;
}

/** The order istiod merges VirtualServices in: oldest first, then by name, then by namespace. */
export function istiodOrder(a: VirtualService, b: VirtualService): number {
  const time = (vs: VirtualService) => Date.parse(vs.metadata.creationTimestamp ?? '') || 0;
  const byName = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return time(a) - time(b) || byName(a.metadata.name, b.metadata.name) || byName(a.metadata.namespace ?? '', b.metadata.namespace ?? '');
}

const HTTP_SERVER_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'HTTPS']);
const PASSTHROUGH = new Set(['PASSTHROUGH', 'AUTO_PASSTHROUGH']);

/** Servers whose HTTP route tables VirtualServices' `http` rules land in (TLS passthrough carries no HTTP routes). */
function httpServers(gateway: Gateway) {
  return (gateway.spec?.servers ?? []).filter(
    (s) => HTTP_SERVER_PROTOCOLS.has(s.port.protocol.toUpperCase()) && !PASSTHROUGH.has(s.tls?.mode?.toUpperCase() ?? ''),
  );
}

/** The Gateway a key names, or undefined; `observed` says whether the snapshot could know. */
export function findGateway(snapshot: ValidationSnapshot, key: GatewayKey): { observed: boolean; gateway: Gateway | undefined } {
  const observed = snapshot.observedNamespaces.includes(key.namespace);
  const gateway = snapshot.gateways.find((g) => g.metadata.namespace === key.namespace && g.metadata.name === key.name);
  return { observed, gateway };
}

/**
 * The virtual hosts a VirtualService's http rules land in, as "<gateway>|<port>|<host>" keys. istiod builds one
 * virtual host per name in the intersection of a server's hosts and the VirtualService's hosts (the more specific
 * name of each overlapping pair), and merges into it the rules of every VirtualService that yields that name: two
 * VirtualServices compete only when they share a key. Against a Gateway hubmesh cannot see, its servers are taken
 * to accept every host. Sidecar (`mesh`) bindings are left out: istiod does not merge VirtualServices there.
 */
export function virtualHostKeys(vs: VirtualService, snapshot: ValidationSnapshot): string[] {
  const vsNamespace = vs.metadata.namespace ?? snapshot.namespace;
  const hosts = (vs.spec.hosts ?? []).map((h) => resolveShortName(h, vsNamespace, snapshot.clusterDomain));
  const keys = new Set<string>();
  for (const binding of gatewaysOf(vs)) {
    if (binding === MESH_GATEWAY) continue;
    const { observed, gateway } = findGateway(snapshot, binding);
    const gatewayName = gatewayKeyString(binding);
    if (!observed) {
      for (const host of hosts) keys.add(`${gatewayName}|*|${host}`);
      continue;
    }
    for (const server of gateway ? httpServers(gateway) : []) {
      const serverHosts = serverHostsFor(server.hosts, binding.namespace, vsNamespace);
      for (const host of hostIntersection(serverHosts, hosts)) keys.add(`${gatewayName}|${server.port.number}|${host}`);
    }
  }
  return [...keys];
}

/** Match fields that narrow a request beyond its path (istiod turns method, authority and scheme into header matches). */
const CONDITION_FIELDS = ['headers', 'withoutHeaders', 'queryParams', 'method', 'authority', 'scheme', 'port', 'sourceLabels', 'sourceNamespace', 'gateways'];

/** Whether the match selects requests by their path alone. */
export function isPathOnly(match: HTTPMatchRequest): boolean {
  const fields = match as Record<string, unknown>;
  return CONDITION_FIELDS.every((field) => {
    const value = fields[field];
    return value === undefined || value === null || value === '' || (typeof value === 'object' && Object.keys(value).length === 0);
  });
}

/** A rule's matches; a rule without any matches every request, as `prefix: /` does. */
export function matchesOf(rule: HTTPRoute): HTTPMatchRequest[] {
  return rule.match?.length ? rule.match : [{}];
}

const uriOf = (match: HTTPMatchRequest): StringMatch => (match.uri && Object.keys(match.uri).length ? match.uri : { prefix: '/' });

/** istiod moves a path-only `prefix: /` match behind every other rule of its virtual host (SortVHostRoutes). */
export function isCatchAll(match: HTTPMatchRequest): boolean {
  return isPathOnly(match) && uriOf(match).prefix === '/';
}

/** The match as a comparable string: two equal keys select exactly the same requests. */
export function matchKey(match: HTTPMatchRequest): string {
  const conditions: Record<string, unknown> = { ...match, uri: uriOf(match) };
  // a match's name and stat prefix label it without selecting anything
  delete conditions.name;
  delete conditions.statPrefix;
  return canonicalJson(conditions);
}

/** How a path match `earlier` covers the requests of `later`: all of them, some, or none. Regexes are not evaluated. */
export function pathCoverage(earlier: HTTPMatchRequest, later: HTTPMatchRequest): 'all' | 'some' | 'none' {
  const e = uriOf(earlier);
  const l = uriOf(later);
  if (e.prefix !== undefined) {
    if (l.prefix !== undefined) return l.prefix.startsWith(e.prefix) ? 'all' : e.prefix.startsWith(l.prefix) ? 'some' : 'none';
    if (l.exact !== undefined) return l.exact.startsWith(e.prefix) ? 'all' : 'none';
    return 'none';
  }
  if (e.exact !== undefined) {
    if (l.prefix !== undefined) return e.exact.startsWith(l.prefix) ? 'some' : 'none';
    if (l.exact !== undefined) return e.exact === l.exact ? 'all' : 'none';
  }
  return 'none';
}

/** A match as a reader writes it: `prefix /user/`, `exact /user/alice`, `regex ^/x`, plus "with conditions". */
export function describeMatch(match: HTTPMatchRequest): string {
  const uri = uriOf(match);
  const path = uri.prefix !== undefined ? `prefix ${uri.prefix}` : uri.exact !== undefined ? `exact ${uri.exact}` : `regex ${uri.regex ?? ''}`;
  return isPathOnly(match) ? path : `${path} (with further conditions)`;
}

/** The host part of a virtual-host key. */
export const hostOfKey = (key: string) => key.slice(key.lastIndexOf('|') + 1);

/** The VirtualServices that land in each gateway virtual host, by virtualHostKeys. */
export function virtualHosts(virtualServices: readonly VirtualService[], snapshot: ValidationSnapshot): Map<string, VirtualService[]> {
  const byKey = new Map<string, VirtualService[]>();
  for (const vs of virtualServices) for (const key of virtualHostKeys(vs, snapshot)) byKey.set(key, [...(byKey.get(key) ?? []), vs]);
  return byKey;
}

/** One path-only match of a merged route table, with its rule and VirtualService. */
export type RankedMatch = { vs: VirtualService; rule: HTTPRoute; match: HTTPMatchRequest };

/**
 * The path-only matches of one virtual host as istiod merges its VirtualServices: oldest first (istiodOrder), each
 * one's rules in order, and a plain `prefix: /` moved behind every other rule (SortVHostRoutes). Matches with
 * further conditions (headers, method, ...) are left out: they take only some requests.
 */
export function mergedRouteTable(members: readonly VirtualService[]): RankedMatch[] {
  const ranked = [...members].sort(istiodOrder).flatMap((vs) => (vs.spec.http ?? []).flatMap((rule) => matchesOf(rule).filter(isPathOnly).map((match) => ({ vs, rule, match }))));
  return [...ranked.filter((r) => !isCatchAll(r.match)), ...ranked.filter((r) => isCatchAll(r.match))];
}

/** Whether a path-only match takes `path` (Envoy: prefix on the raw path, exact and regex on all of it). */
export function takesPath(match: HTTPMatchRequest, path: string): boolean {
  const uri = match.uri ?? { prefix: '/' };
  if (uri.prefix !== undefined) return path.startsWith(uri.prefix);
  if (uri.exact !== undefined) return path === uri.exact;
  if (uri.regex !== undefined) {
    try {
      return RE2JS.compile(uri.regex).matches(path);
    } catch {
      return false;
    }
  }
  return false;
}

/** The match of a merged table that serves `path`: the first that takes it. */
export const routeFor = (table: readonly RankedMatch[], path: string): RankedMatch | undefined => table.find((r) => takesPath(r.match, path));

/** The VirtualService whose route a rule serves: the one its route header names (a carried rule names the route it came from), else its own. */
export const ruleOwner = (r: RankedMatch): string => r.rule.headers?.response?.set?.[ROUTE_HEADER] ?? r.vs.metadata.name;

