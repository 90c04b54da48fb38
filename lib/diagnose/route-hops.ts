import { gatewayMissing } from '../mesh/checkers/gateway-missing';
import { hubRouteContests } from '../mesh/checkers/contests';
import { takenRequests } from '../mesh/checkers/hub-route-shadowed';
import { describeMatch, hostOfKey, isHubRoute, mergedRouteTable, routeFor, ruleOwner, virtualHostKeys, virtualHosts } from '../mesh/checkers/routing';
import type { HTTPRouteObject } from '../kube/httproutes';
import { isReconciled } from '../routes/readiness';
import { isHttpRoute, routeObjectStatus } from '../routes/route-objects';
import { coversPath, quoteRoutePath, splitHostRoute } from '../routes/routespec';
import { routeFromObject, type StoredRoute } from '../routes/virtualservice';
import { hubRouteObjects } from '../mesh/checkers/destinations';
import { capitalize, link, objectName } from './hop-kit';
import { serverWords } from './server';
import type { Evidence, Hop, HopContext } from './types';

const ROUTE_TITLE = 'The hub added the route, and istiod accepted it';
const HTTPROUTE_TITLE = 'The hub added the route, and its Gateway accepted it';
const ROUTING_TITLE = "Through the gateway, the route wins for the server's paths";

/** The URL path a browser asks for the server: the route's path as the hub quotes it, with its trailing "/". */
export function serverUrlPath(routePath: string, hostRouting: boolean): string {
  const { path } = splitHostRoute(routePath, hostRouting);
  return path === '/' ? '/' : `${quoteRoutePath(path)}/`;
}

/**
 * Hop 1: the hub's route for the server exists, and istiod reports its VirtualService reconciled (when it reports
 * status); an HTTPRoute, that its Gateway reports it Accepted with its references resolved.
 */
export function routeHop(ctx: HopContext): Hop {
  const { route, pod, user, server } = ctx.objects;
  if (!route) {
    return {
      id: 'route',
      title: ROUTE_TITLE,
      status: 'fail',
      summary: pod
        ? `No hub route for ${serverWords(user, server)}, though its pod ${pod.metadata.name} exists: the hub has not added the route, or hubmesh could not write it.`
        : `No hub route for ${serverWords(user, server)}: the hub adds one when the server starts and removes it when the server stops.`,
      evidence: pod ? [{ label: 'Pod', value: objectName(pod), ref: link('Pod', pod) }] : [],
      fix: pod
        ? "Look for the route's POST in the hub's log (add_route) and in hubmesh's: a 403 from Kubernetes means hubmesh's Role lacks create on its route kind (virtualservices.networking.istio.io, or httproutes.gateway.networking.k8s.io with HUBMESH_ROUTE_API=httproute). Restarting the server from the hub adds the route again."
        : "Start the server from the hub's home page (or the admin page).",
    };
  }
  if (isHttpRoute(route.object)) return httpRouteHop(route.object, route.record, ctx);
  const { object: vs, record } = route;
  const conditions = vs.status?.conditions ?? [];
  const reconciled = conditions.find((c) => c.type === 'Reconciled');
  const evidence: Evidence[] = [
    { label: 'VirtualService', value: objectName(vs), ref: link('VirtualService', vs) },
    { label: 'Route', value: record.path },
    { label: 'Target', value: record.data.target },
    { label: 'Reconciled', value: reconciled ? `${reconciled.status}${reconciled.reason ? ` (${reconciled.reason})` : ''}${reconciled.message ? `: ${reconciled.message}` : ''}` : "not reported (istiod's status for VirtualServices is off)" },
  ];
  if (record.overlaysError) evidence.push({ label: 'Overlays', value: record.overlaysError });
  if (reconciled && !isReconciled(vs)) {
    return {
      id: 'route',
      title: ROUTE_TITLE,
      status: 'warn',
      summary: `istiod has not reported generation ${vs.metadata.generation ?? '?'} of VirtualService ${objectName(vs)} as reconciled: the gateway may still serve an older version of the route.`,
      evidence,
      fix: 'Wait a few seconds. If it stays so, look at istiod\'s log and run "istioctl analyze" on the namespace: istiod did not accept or could not push the VirtualService.',
    };
  }
  return {
    id: 'route',
    title: ROUTE_TITLE,
    status: record.overlaysError ? 'warn' : 'pass',
    summary: `Route ${record.path} (VirtualService ${objectName(vs)}) sends ${serverWords(user, server)} to ${record.data.target}${reconciled ? ', and istiod reconciled it' : ''}.`,
    evidence,
    ...(record.overlaysError ? { fix: `The route's overlays annotation is malformed and is read as no overlays: set them again from the route's drawer (${record.overlaysError}).` } : {}),
  };
}

/** Hop 1 for an HTTPRoute: the conditions its Gateway's controller wrote, per Gateway. */
function httpRouteHop(object: HTTPRouteObject, record: StoredRoute, ctx: HopContext): Hop {
  const { user, server } = ctx.objects;
  const status = routeObjectStatus(object);
  const evidence: Evidence[] = [
    { label: 'HTTPRoute', value: objectName(object), ref: link('HTTPRoute', object) },
    { label: 'Route', value: record.path },
    { label: 'Target', value: record.data.target },
    ...(status.conditions ?? []).map((c) => ({ label: `${c.type} on ${c.gateway}`, value: `${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}` })),
  ];
  if (record.overlaysError) evidence.push({ label: 'Overlays', value: record.overlaysError });
  const base = { id: 'route' as const, title: HTTPROUTE_TITLE, evidence };
  if (status.inForce === undefined) {
    return {
      ...base,
      status: 'unknown',
      summary: `No Gateway has reported on HTTPRoute ${objectName(object)} yet: its controller writes Accepted and ResolvedRefs once it sees the route, so the Gateway may be missing or not be one of Istio's.`,
      fix: 'Check that the Gateway HUBMESH_GATEWAY names exists with gatewayClassName istio, and that istiod runs with the Gateway API enabled.',
    };
  }
  if (!status.inForce) {
    const refused = (status.conditions ?? []).some((c) => (c.type === 'Accepted' || c.type === 'ResolvedRefs') && c.status === 'False');
    return {
      ...base,
      status: refused ? 'fail' : 'warn',
      summary: `${capitalize(status.problems.join('; '))}: ${refused ? 'the Gateway does not serve the route as it is' : 'the Gateway may still serve an older version of the route'}.`,
      fix: refused
        ? "Read the reason: NotAllowedByListeners or NoMatchingParent means the Gateway's listener does not take routes from the hub's namespace (its allowedRoutes) or HUBMESH_GATEWAY_SECTION names no listener; BackendNotFound means the Service the route names does not exist (restart the server from the hub); RefNotPermitted, that a backend in another namespace needs a ReferenceGrant."
        : "Wait a few seconds. If it stays so, look at istiod's log: it did not process the HTTPRoute's new generation.",
    };
  }
  return {
    ...base,
    status: record.overlaysError ? 'warn' : 'pass',
    summary: `Route ${record.path} (HTTPRoute ${objectName(object)}) sends ${serverWords(user, server)} to ${record.data.target}, and its Gateway accepted it with every reference resolved.`,
    ...(record.overlaysError ? { fix: `The route's overlays annotation is malformed and is read as no overlays: set them again from the route's drawer (${record.overlaysError}).` } : {}),
  };
}

/**
 * Hop 2 for an HTTPRoute. The Gateway API has no merged table in creation order: across the routes of a listener, the
 * longest matching path wins (then the most header matches, then the oldest route). Among the hub's HTTPRoutes on
 * the route's hosts, the one with the longest PathPrefix over the server's URL without header conditions must be its own;
 * other owners' HTTPRoutes are not watched, and the hop says so.
 */
function gatewayApiRoutingHop(object: HTTPRouteObject, record: StoredRoute, ctx: HopContext): Hop {
  const base = { id: 'routing' as const, title: ROUTING_TITLE };
  const path = serverUrlPath(record.path, ctx.settings.hostRouting);
  if (!routeObjectStatus(object).inForce) return { ...base, status: 'unknown', summary: 'The Gateway serves the route only once it accepts it (see the first hop).', evidence: [] };
  const hosts = new Set(object.spec.hostnames ?? []);
  const sharesHost = (other: HTTPRouteObject) => !hosts.size || !other.spec.hostnames?.length || other.spec.hostnames.some((h) => hosts.has(h));
  const candidates = hubRouteObjects(ctx.snapshot)
    .filter(isHttpRoute)
    .filter(sharesHost)
    .flatMap((route) =>
      (route.spec.rules ?? []).flatMap((rule) =>
        (rule.matches ?? []).flatMap((m) => (m.path?.type === 'PathPrefix' && !m.headers?.length && coversPath(m.path.value.replace(/(.)\/$/, '$1'), path) ? [{ route, prefix: m.path.value }] : [])),
      ),
    )
    .sort((a, b) => b.prefix.length - a.prefix.length || (a.route.metadata.creationTimestamp ?? '').localeCompare(b.route.metadata.creationTimestamp ?? '') || a.route.metadata.name.localeCompare(b.route.metadata.name));
  const winner = candidates[0];
  const own = candidates.find((c) => c.route.metadata.name === object.metadata.name);
  const evidence: Evidence[] = [{ label: 'Precedence', value: 'Gateway API: the longest path first across routes, then the most header matches, then the oldest route' }];
  if (winner) evidence.push({ label: `Serves ${path}`, value: `HTTPRoute ${objectName(winner.route)}, PathPrefix ${winner.prefix}`, ref: link('HTTPRoute', winner.route) });
  if (winner?.route.metadata.name !== object.metadata.name) {
    return {
      ...base,
      status: 'fail',
      summary: winner
        ? `Hub route ${routeFromObject(winner.route)?.path ?? winner.route.metadata.name} (HTTPRoute ${objectName(winner.route)}) comes first for ${path} (${own && own.prefix.length === winner.prefix.length ? 'the same path, and older' : 'a longer path'}), so the Gateway sends its requests there.`
        : `No rule of the route takes ${path} without a header condition.`,
      evidence,
      fix: 'Render the route again (POST it through the proxy API, or restart hubmesh): its own PathPrefix should take its paths.',
    };
  }
  return {
    ...base,
    status: 'pass',
    summary: `Of the hub's routes, its own PathPrefix ${winner.prefix} is the longest over ${path}, and the Gateway API orders by path, not by age. hubmesh does not watch other owners' HTTPRoutes: one on the same Gateway with a longer path below ${record.path} would still take those requests.`,
    evidence,
  };
}

/**
 * Hop 2: in each gateway virtual host the route lands in, istiod's merged route table (every VirtualService bound
 * there, the hub's and others', oldest first, a bare `prefix: /` last) serves the server's URL path with the route's
 * own rule; another owner's VirtualService that shadows part of it, now or once the route is re-created, is named.
 */
export function routingHop(ctx: HopContext): Hop {
  const { route } = ctx.objects;
  if (!route) return { id: 'routing', title: ROUTING_TITLE, status: 'unknown', summary: 'There is no route to look for in the gateway.', evidence: [] };
  if (isHttpRoute(route.object)) return gatewayApiRoutingHop(route.object, route.record, ctx);
  const { snapshot } = ctx;
  const { object: vs, record } = route;
  const keys = virtualHostKeys(vs, snapshot);
  if (keys.length === 0) {
    const missing = gatewayMissing.check({ ...snapshot, virtualServices: [vs] });
    return {
      id: 'routing',
      title: ROUTING_TITLE,
      status: 'fail',
      summary: missing[0]?.message ?? `VirtualService ${objectName(vs)} lands on no gateway: none of its hosts (${(vs.spec.hosts ?? []).join(', ')}) is a host of the HTTP servers of its Gateways (${(vs.spec.gateways ?? []).join(', ')}).`,
      evidence: [
        { label: 'VirtualService', value: objectName(vs), ref: link('VirtualService', vs) },
        { label: 'Gateways', value: (vs.spec.gateways ?? []).join(', ') || 'none (sidecars only)' },
        { label: 'Hosts', value: (vs.spec.hosts ?? []).join(', ') },
      ],
      fix: missing.length
        ? 'Create the Gateway (the Mesh page\'s "Gateway" action does), or set HUBMESH_GATEWAY to the Gateway the ingress gateway serves.'
        : "Set HUBMESH_HOSTS to hosts the Gateway's servers accept, or add the hub's host to the Gateway's servers.",
    };
  }
  const path = serverUrlPath(record.path, ctx.settings.hostRouting);
  const hosts = virtualHosts(snapshot.virtualServices, snapshot);
  const evidence: Evidence[] = [];
  const lost: string[] = [];
  let fix: string | undefined;
  for (const key of keys) {
    const table = mergedRouteTable(hosts.get(key) ?? []);
    const winner = routeFor(table, path);
    const [gateway, port] = key.split('|');
    evidence.push({ label: 'Gateway host', value: `${hostOfKey(key)} on ${gateway} port ${port} (${table.length} path rules merged)` });
    if (!winner) {
      lost.push(`no rule in the merged table of ${hostOfKey(key)} takes ${path}`);
      fix ??= 'Render the route again (POST it through the proxy API, or restart hubmesh): its own rule should take its paths.';
      continue;
    }
    const position = `rule ${winner.rule.name ?? '(unnamed)'} (${describeMatch(winner.match)}), ${table.indexOf(winner) + 1} of ${table.length}`;
    evidence.push({ label: `Serves ${path}`, value: `VirtualService ${objectName(winner.vs)}, ${position}`, ref: link('VirtualService', winner.vs) });
    if (ruleOwner(winner) === vs.metadata.name) continue;
    if (isHubRoute(winner.vs, snapshot.prefix)) {
      const other = routeFromObject(winner.vs)?.path ?? winner.vs.metadata.name;
      lost.push(`hub route ${other} (VirtualService ${objectName(winner.vs)}) comes first on ${hostOfKey(key)} and takes ${path}`);
      fix ??= "Render the routes again: hubmesh's route reconciler does at start-up (restart hubmesh), or POST the route again. Do not edit hub routes by hand.";
    } else {
      lost.push(`VirtualService ${objectName(winner.vs)} (not a hub route) comes first on ${hostOfKey(key)} and its ${describeMatch(winner.match)} takes ${path}`);
      fix ??= `Narrow the match of VirtualService ${objectName(winner.vs)}, or move it to another host or gateway: istiod merges the VirtualServices of one gateway host oldest first, and only a bare "prefix: /" goes last.`;
    }
  }
  const contests = hubRouteContests(snapshot);
  const own = (c: (typeof contests.current)[number]) => c.route === vs;
  for (const c of contests.current.filter(own)) {
    if (c.coverage === 'all') continue; // the winner above already names it
    lost.push(`VirtualService ${objectName(c.foreign)} (not a hub route) matches ${c.matches.join(', ')} before the route, so it takes ${takenRequests(c)} below ${record.path}`);
    evidence.push({ label: 'Shadowed by', value: `${objectName(c.foreign)}: ${c.matches.join(', ')}`, ref: link('VirtualService', c.foreign) });
    fix ??= `Narrow the match of VirtualService ${objectName(c.foreign)}, or move it to another host or gateway.`;
  }
  if (lost.length) return { id: 'routing', title: ROUTING_TITLE, status: 'fail', summary: `${capitalize(lost.join('; '))}.`, evidence, fix };
  const latent = contests.latent.filter(own);
  if (latent.length) {
    const c = latent[0]!;
    for (const l of latent) evidence.push({ label: 'Overlaps', value: `${objectName(l.foreign)}: ${l.matches.join(', ')}`, ref: link('VirtualService', l.foreign) });
    return {
      id: 'routing',
      title: ROUTING_TITLE,
      status: 'warn',
      summary: `The route wins for ${path} today only because it is older than VirtualService ${objectName(c.foreign)}, which matches ${c.matches.join(', ')}: when the server restarts and the hub re-creates the route, that VirtualService takes ${takenRequests(c)}.`,
      evidence,
      fix: `Narrow the match of VirtualService ${objectName(c.foreign)}, or move it to another host or gateway.`,
    };
  }
  return { id: 'routing', title: ROUTING_TITLE, status: 'pass', summary: `On every gateway host of the route, its own rule serves ${path}.`, evidence };
}
