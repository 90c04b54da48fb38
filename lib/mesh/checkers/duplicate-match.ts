import type { VirtualService } from '../../kube/virtualservices';
import { isOwnRule } from '../../routes/virtualservice';
import { describeMatch, hostOfKey, isHubRoute, istiodOrder, matchKey, matchesOf, virtualHostKeys, vsRef } from './routing';
import { defineChecker, type Problem } from './types';

export const duplicateMatch = defineChecker(
  {
    code: 'HM1002',
    severity: 'warning',
    area: 'routing',
    title: 'Two VirtualServices claim the same host and match',
    description:
      'istiod merges the rules of every VirtualService bound to the same gateway host into one route table, oldest VirtualService first. When two of them match exactly the same requests, the younger one\'s rule is never used. (A VirtualService of another owner overlapping a hub route is reported as HM1003 or HM1004.)',
  },
  (snapshot) => {
    const sorted = [...snapshot.virtualServices].sort(istiodOrder);
    const hub = new Set(sorted.filter((vs) => isHubRoute(vs, snapshot.prefix)));
    // virtual host → match → the VirtualServices with that match there, in istiod's order
    const claims = new Map<string, Map<string, { match: string; owners: VirtualService[] }>>();
    for (const vs of sorted) {
      // rules a hub route carries for the routes below it repeat theirs on purpose (see routing-plan)
      const matches = (vs.spec.http ?? []).filter((rule) => !hub.has(vs) || isOwnRule(vs, rule)).flatMap(matchesOf);
      for (const vhost of virtualHostKeys(vs, snapshot)) {
        let byMatch = claims.get(vhost);
        if (!byMatch) claims.set(vhost, (byMatch = new Map()));
        for (const match of matches) {
          const key = matchKey(match);
          const claim = byMatch.get(key) ?? { match: describeMatch(match), owners: [] };
          if (!claim.owners.includes(vs)) claim.owners.push(vs);
          byMatch.set(key, claim);
        }
      }
    }
    // (loser, winner) → what they share
    const pairs = new Map<string, { loser: VirtualService; winner: VirtualService; matches: Set<string>; hosts: Set<string> }>();
    for (const [vhost, byMatch] of claims) {
      for (const { match, owners } of byMatch.values()) {
        owners.forEach((loser, index) => {
          // a hub route against another owner's VirtualService is HM1003/HM1004's business
          const winner = owners.slice(0, index).find((w) => hub.has(w) === hub.has(loser));
          if (!winner) return;
          const id = `${loser.metadata.namespace}/${loser.metadata.name}\u0000${winner.metadata.namespace}/${winner.metadata.name}`;
          const pair = pairs.get(id) ?? { loser, winner, matches: new Set<string>(), hosts: new Set<string>() };
          pair.matches.add(match);
          pair.hosts.add(hostOfKey(vhost));
          pairs.set(id, pair);
        });
      }
    }
    return [...pairs.values()].map(
      ({ loser, winner, matches, hosts }): Problem => ({
        message:
          `VirtualService ${loser.metadata.namespace}/${loser.metadata.name} matches ${[...matches].join(', ')} on ${[...hosts].join(', ')}, ` +
          `exactly as VirtualService ${winner.metadata.namespace}/${winner.metadata.name} does on the same gateway, and istiod merges ${winner.metadata.name} first (older, or as old and first by name), ` +
          `so ${loser.metadata.name}'s rule never receives a request. Remove one of the two rules or give them different hosts.`,
        object: vsRef(loser),
        related: [vsRef(winner)],
      }),
    );
  },
);
