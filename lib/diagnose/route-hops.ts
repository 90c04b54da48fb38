import { gatewayMissing } from '../mesh/checkers/gateway-missing';
import { hubRouteContests } from '../mesh/checkers/contests';
import { takenRequests } from '../mesh/checkers/hub-route-shadowed';
import { describeMatch, hostOfKey, isHubRoute, mergedRouteTable, routeFor, ruleOwner, virtualHostKeys, virtualHosts } from '../mesh/checkers/routing';
import { isReconciled } from '../routes/readiness';
import { quoteRoutePath, splitHostRoute } from '../routes/routespec';
import { routeFromVirtualService } from '../routes/virtualservice';
import { capitalize, link, objectName } from './hop-kit';
import { serverWords } from './server';
import type { Evidence, Hop, HopContext } from './types';

const ROUTE_TITLE = 'The hub added the route, and istiod accepted it';
const ROUTING_TITLE = "Through the gateway, the route wins for the server's paths";

/** The URL path a browser asks for the server: the route's path as the hub quotes it, with its trailing "/". */
export function serverUrlPath(routePath: string, hostRouting: boolean): string {
  const { path } = splitHostRoute(routePath, hostRouting);
  return path === '/' ? '/' : `${quoteRoutePath(path)}/`;
}

/** Hop 1: the hub's route for the server exists, and istiod reports its VirtualService reconciled (when it reports status). */
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
        ? "Look for the route's POST in the hub's log (add_route) and in hubmesh's: a 403 from Kubernetes means hubmesh's Role lacks create on virtualservices.networking.istio.io. Restarting the server from the hub adds the route again."
        : "Start the server from the hub's home page (or the admin page).",
    };
  }
  const { vs, record } = route;
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

/**
 * Hop 2: in each gateway virtual host the route lands in, istiod's merged route table (every VirtualService bound
 * there, the hub's and others', oldest first, a bare `prefix: /` last) serves the server's URL path with the route's
 * own rule; another owner's VirtualService that shadows part of it, now or once the route is re-created, is named.
 */
export function routingHop(ctx: HopContext): Hop {
  const { route } = ctx.objects;
  if (!route) return { id: 'routing', title: ROUTING_TITLE, status: 'unknown', summary: 'There is no route to look for in the gateway.', evidence: [] };
  const { snapshot } = ctx;
  const { vs, record } = route;
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
      const other = routeFromVirtualService(winner.vs)?.path ?? winner.vs.metadata.name;
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
