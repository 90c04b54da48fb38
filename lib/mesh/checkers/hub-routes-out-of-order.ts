import type { VirtualService } from '../../kube/virtualservices';
import { isOwnRule, routeFromObject } from '../../routes/virtualservice';
import { isHubRoute, isPathOnly, matchesOf, mergedRouteTable, routeFor, ruleOwner, virtualHosts, vsRef } from './routing';
import { defineChecker, type Problem } from './types';

/** The requests a route's own path matches stand for: its exact path, and one below it. */
function probes(vs: VirtualService): string[] {
  return (vs.spec.http ?? [])
    .filter((rule) => isOwnRule(vs, rule))
    .flatMap(matchesOf)
    .filter(isPathOnly)
    .flatMap((m) => (m.uri?.exact !== undefined ? [m.uri.exact] : m.uri?.prefix !== undefined && m.uri.prefix !== '/' ? [`${m.uri.prefix}x`] : []));
}

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
    const routes = snapshot.virtualServices.filter((vs) => isHubRoute(vs, snapshot.prefix));
    const found = new Map<string, Problem>();
    for (const members of virtualHosts(routes, snapshot).values()) {
      const table = mergedRouteTable(members);
      for (const route of members) {
        for (const path of probes(route)) {
          const winner = routeFor(table, path);
          if (!winner || ruleOwner(winner) === route.metadata.name) continue;
          const id = `${winner.vs.metadata.name}\u0000${route.metadata.name}`;
          if (found.has(id)) continue;
          const shorter = routeFromObject(winner.vs)?.path ?? winner.vs.metadata.name;
          const longer = routeFromObject(route)?.path ?? route.metadata.name;
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
