import type { HTTPMatchRequest, VirtualService } from '../../kube/virtualservices';
import { isOwnRule, routeFromObject } from '../../routes/virtualservice';
import { describeMatch, hostOfKey, isCatchAll, isHubRoute, isPathOnly, istiodOrder, matchesOf, pathCoverage, virtualHostKeys } from './routing';
import type { ValidationSnapshot } from './types';

/** Another owner's VirtualService whose path rules take requests meant for one of the hub's routes. */
export type Contest = {
  foreign: VirtualService;
  route: VirtualService;
  /** the route's path, as the hub wrote it */
  path: string;
  /** 'all': every request for the route; 'some': part of its paths */
  coverage: 'all' | 'some';
  /** the foreign matches that take the requests */
  matches: string[];
  hosts: string[];
};

export type Contests = {
  /** the foreign rule comes first in the merged route table today */
  current: Contest[];
  /** the route comes first only because it is older; once the hub re-creates it (every server restart), it no longer does */
  latent: Contest[];
};

/**
 * Pairs of (another owner's VirtualService, hub route) that share a gateway virtual host and whose path-only rules
 * overlap. In the merged table a path-only `prefix: /` rule goes last; otherwise the older VirtualService's rules
 * come first. A rule with further conditions (headers, method, ...) takes only some requests and is not counted,
 * nor is a regex. A hub catch-all route (`/`) is reported only when a rule takes all of its requests: carving paths
 * out of the hub's default route is what other VirtualServices on the hub's host are for.
 */
export function hubRouteContests(snapshot: ValidationSnapshot): Contests {
  const cached = computed.get(snapshot);
  if (cached) return cached;
  const routes = snapshot.virtualServices.filter((vs) => isHubRoute(vs, snapshot.prefix));
  const others = snapshot.virtualServices.filter((vs) => !isHubRoute(vs, snapshot.prefix));
  // a hub route's object also carries the rules of the routes below it: each route answers for its own
  const pathRules = (vs: VirtualService) => (vs.spec.http ?? []).filter((rule) => isOwnRule(vs, rule)).flatMap(matchesOf).filter(isPathOnly);
  const routeKeys = new Map(routes.map((r) => [r, new Set(virtualHostKeys(r, snapshot))]));
  const result: Contests = { current: [], latent: [] };
  for (const foreign of others) {
    const foreignMatches = pathRules(foreign);
    if (foreignMatches.length === 0) continue;
    const foreignKeys = virtualHostKeys(foreign, snapshot);
    for (const route of routes) {
      const shared = foreignKeys.filter((k) => routeKeys.get(route)!.has(k));
      if (shared.length === 0) continue;
      const olderForeign = istiodOrder(foreign, route) < 0;
      const routeMatches = pathRules(route);
      // the foreign match comes first now (current), or would once the route is younger (latent)
      const precedes = (f: HTTPMatchRequest, r: HTTPMatchRequest, foreignOlder: boolean) =>
        (!isCatchAll(f) && isCatchAll(r)) || (isCatchAll(f) === isCatchAll(r) && foreignOlder);
      const contest = (foreignOlder: boolean): Contest | undefined => {
        const taking = new Set<string>();
        let fullyCovered = 0;
        for (const r of routeMatches) {
          let best: 'all' | 'some' | 'none' = 'none';
          for (const f of foreignMatches) {
            if (!precedes(f, r, foreignOlder)) continue;
            const coverage = pathCoverage(f, r);
            if (coverage === 'none') continue;
            taking.add(describeMatch(f));
            if (coverage === 'all') best = 'all';
            else if (best === 'none') best = 'some';
          }
          if (best === 'all') fullyCovered++;
        }
        if (taking.size === 0) return undefined;
        const coverage = fullyCovered === routeMatches.length ? 'all' : 'some';
        if (coverage === 'some' && routeMatches.every(isCatchAll)) return undefined;
        return {
          foreign,
          route,
          path: routeFromObject(route)!.path,
          coverage,
          matches: [...taking],
          hosts: [...new Set(shared.map(hostOfKey))],
        };
      };
      const now = contest(olderForeign);
      if (now) result.current.push(now);
      else if (!olderForeign) {
        const later = contest(true);
        if (later) result.latent.push(later);
      }
    }
  }
  computed.set(snapshot, result);
  return result;
}

/** HM1003 and HM1004 read the same pairs; a snapshot is immutable data, so they are computed once per snapshot. */
const computed = new WeakMap<ValidationSnapshot, Contests>();
