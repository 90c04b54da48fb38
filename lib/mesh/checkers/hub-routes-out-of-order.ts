import { RE2JS } from 're2js';
import type { HTTPMatchRequest, HTTPRoute, VirtualService } from '../../kube/virtualservices';
import { isOwnRule, ROUTE_HEADER, routeFromVirtualService } from '../../routes/virtualservice';
import { isCatchAll, isHubRoute, isPathOnly, istiodOrder, matchesOf, virtualHostKeys, vsRef } from './routing';
import { defineChecker, type Problem } from './types';

type Ranked = { vs: VirtualService; rule: HTTPRoute; match: HTTPMatchRequest };

/** Whether a path-only match takes `path` (Envoy: prefix on the raw path, exact and regex on all of it). */
function takes(match: HTTPMatchRequest, path: string): boolean {
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

/** The requests a route's own path matches stand for: its exact path, and one below it. */
function probes(vs: VirtualService): string[] {
  return (vs.spec.http ?? [])
    .filter((rule) => isOwnRule(vs, rule))
    .flatMap(matchesOf)
    .filter(isPathOnly)
    .flatMap((m) => (m.uri?.exact !== undefined ? [m.uri.exact] : m.uri?.prefix !== undefined && m.uri.prefix !== '/' ? [`${m.uri.prefix}x`] : []));
}

const owner = (r: Ranked) => r.rule.headers?.response?.set?.[ROUTE_HEADER] ?? r.vs.metadata.name;

export const hubRoutesOutOfOrder = defineChecker(
  {
    code: 'HM1005',
    severity: 'error',
    area: 'routing',
    title: "A hub route takes a more specific hub route's requests",
    description:
      "configurable-http-proxy sends a request to the route with the longest matching path; istiod merges the VirtualServices of a gateway host oldest first and takes the first match. hubmesh therefore renders every route's VirtualService with the rules of the routes below it ahead of its own (and the hub route under a base URL as the catch-all), so that the longest route wins whatever the ages. An object edited by hand, or written by an older hubmesh, can lose that: then requests for a named server, a service or a user under a base URL reach the shorter route's target. hubmesh's route reconciler renders such objects again at start-up and after every change; a finding that stays means it cannot (see its log).",
  },
  (snapshot) => {
    const routes = snapshot.virtualServices.filter((vs) => isHubRoute(vs, snapshot.prefix)).sort(istiodOrder);
    const byKey = new Map<string, VirtualService[]>();
    for (const vs of routes) for (const key of virtualHostKeys(vs, snapshot)) byKey.set(key, [...(byKey.get(key) ?? []), vs]);
    const found = new Map<string, Problem>();
    for (const members of byKey.values()) {
      const ranked: Ranked[] = members.flatMap((vs) => (vs.spec.http ?? []).flatMap((rule) => matchesOf(rule).filter(isPathOnly).map((match) => ({ vs, rule, match }))));
      // istiod moves a plain "prefix: /" behind every other rule of the virtual host
      const table = [...ranked.filter((r) => !isCatchAll(r.match)), ...ranked.filter((r) => isCatchAll(r.match))];
      for (const route of members) {
        for (const path of probes(route)) {
          const winner = table.find((r) => takes(r.match, path));
          if (!winner || owner(winner) === route.metadata.name) continue;
          const id = `${winner.vs.metadata.name}\u0000${route.metadata.name}`;
          if (found.has(id)) continue;
          const shorter = routeFromVirtualService(winner.vs)?.path ?? winner.vs.metadata.name;
          const longer = routeFromVirtualService(route)?.path ?? route.metadata.name;
          found.set(id, {
            message:
              `Hub route ${shorter} (VirtualService ${winner.vs.metadata.name}) comes before hub route ${longer} (VirtualService ${route.metadata.name}) in istiod's merged route table ` +
              `and its rule ${winner.rule.name ?? '(unnamed)'} matches ${path}, so requests for ${longer} reach ${shorter}'s target. ` +
              `Render it again: hubmesh's route reconciler does at start-up, or POST the route again; do not edit hub routes by hand.`,
            object: vsRef(winner.vs),
            related: [vsRef(route)],
          });
        }
      }
    }
    return [...found.values()];
  },
);
