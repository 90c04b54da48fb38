import { matchesLabelSelector, parseLabelSelector } from '../kube/label-selector';
import type { Pod } from '../kube/pods';
import { hubRouteObjects, isLive, podsBehind } from '../mesh/checkers/destinations';
import { serviceOfHost } from '../mesh/checkers/hosts';
import type { ValidationSnapshot } from '../mesh/checkers/types';
import { hubServerOf, hubUserOf } from '../mesh/pod-status';
import { isHttpRoute, routeObjectDestination, type RouteObject } from '../routes/route-objects';
import { routeFromObject } from '../routes/virtualservice';
import type { ServerObjects } from './types';

/** The route data JupyterHub sends for a user's server: `user` and `server_name` ('' for the default server). */
function routeServer(data: Record<string, unknown>): { user: string; server: string } | undefined {
  return typeof data.user === 'string' ? { user: data.user, server: typeof data.server_name === 'string' ? data.server_name : '' } : undefined;
}

/** The tail every path of a user's server ends with, under any base URL or host: `/user/<name>` or `/user/<name>/<server>`. */
export const serverPathTail = (user: string, server: string) => `/user/${user}${server ? `/${server}` : ''}`;

/** "alice's default server", "alice's server lab2" */
export const serverWords = (user: string, server: string) => (server ? `${user}'s server ${server}` : `${user}'s default server`);

/**
 * The user's server's route, Service and pod in the snapshot. The route is the hub route whose data names the user
 * and server (else whose path ends as a server's path does); the pod is one behind the route's Service, else the live
 * notebook pod whose hub labels (or annotations) name the user and server.
 */
export function locateServer(snapshot: ValidationSnapshot, user: string, server: string): ServerObjects {
  const routes = hubRouteObjects(snapshot)
    .map((object) => ({ object, record: routeFromObject(object)! }))
    .sort((a, b) => (a.record.path < b.record.path ? -1 : a.record.path > b.record.path ? 1 : 0));
  const tail = serverPathTail(user, server);
  const ofServer = (r: (typeof routes)[number]) => {
    const named = routeServer(r.record.data);
    return named ? named.user === user && named.server === server : r.record.path.endsWith(tail);
  };
  const route = routes.find(ofServer);
  const destination = route && routeObjectDestination(route.object, snapshot.clusterDomain);
  const serviceKey = destination && serviceOfHost(destination.host, route.object.metadata.namespace ?? snapshot.namespace, snapshot.clusterDomain);
  const service = serviceKey && snapshot.services.find((s) => s.metadata.name === serviceKey.name && (s.metadata.namespace ?? snapshot.namespace) === serviceKey.namespace);

  const notebookSelector = parseLabelSelector(snapshot.notebookSelector);
  const notebooks = snapshot.pods.filter((p) => isLive(p) && matchesLabelSelector(p.metadata.labels, notebookSelector)).map((pod) => ({ pod, user: hubUserOf(pod), serverName: hubServerOf(pod) }));
  const labelled = notebooks.filter((notebook) => notebook.user === user && (notebook.serverName ?? '') === server).map(({ pod }) => pod);
  const behind: Pod[] = service ? podsBehind(service, snapshot.pods) : [];
  const pod = behind.find((p) => labelled.includes(p)) ?? behind[0] ?? labelled[0];

  const servers = new Set<string>();
  for (const r of routes) {
    const named = routeServer(r.record.data);
    if (named?.user === user) servers.add(named.server);
  }
  for (const notebook of notebooks) if (notebook.user === user) servers.add(notebook.serverName ?? '');
  if (route || pod) servers.add(server);

  return { user, server, route, destination, serviceKey, service, pod, servers: [...servers].sort() };
}

/** The snapshot with one route object as its only route, so that the checkers judge it alone (none: no routes). */
export function withOnlyRoute(snapshot: ValidationSnapshot, route: RouteObject | undefined): ValidationSnapshot {
  return { ...snapshot, virtualServices: route && !isHttpRoute(route) ? [route] : [], httpRoutes: route && isHttpRoute(route) ? [route] : [] };
}
