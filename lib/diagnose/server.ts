import { matchesLabelSelector, parseLabelSelector } from '../kube/label-selector';
import type { Pod } from '../kube/pods';
import { isLive, podsBehind } from '../mesh/checkers/destinations';
import { serviceOfHost } from '../mesh/checkers/hosts';
import { isHubRoute } from '../mesh/checkers/routing';
import type { ValidationSnapshot } from '../mesh/checkers/types';
import { summarizePod } from '../mesh/pod-status';
import { primaryDestination, routeFromVirtualService } from '../routes/virtualservice';
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
  const routes = snapshot.virtualServices
    .filter((vs) => isHubRoute(vs, snapshot.prefix))
    .map((vs) => ({ vs, record: routeFromVirtualService(vs)! }))
    .sort((a, b) => (a.record.path < b.record.path ? -1 : a.record.path > b.record.path ? 1 : 0));
  const tail = serverPathTail(user, server);
  const ofServer = (r: (typeof routes)[number]) => {
    const named = routeServer(r.record.data);
    return named ? named.user === user && named.server === server : r.record.path.endsWith(tail);
  };
  const route = routes.find(ofServer);
  const destination = route && primaryDestination(route.vs);
  const serviceKey = destination && serviceOfHost(destination.host, route.vs.metadata.namespace ?? snapshot.namespace, snapshot.clusterDomain);
  const service = serviceKey && snapshot.services.find((s) => s.metadata.name === serviceKey.name && (s.metadata.namespace ?? snapshot.namespace) === serviceKey.namespace);

  const notebookSelector = parseLabelSelector(snapshot.notebookSelector);
  const notebooks = snapshot.pods.filter((p) => isLive(p) && matchesLabelSelector(p.metadata.labels, notebookSelector)).map((pod) => ({ pod, summary: summarizePod(pod) }));
  const labelled = notebooks.filter(({ summary }) => summary.user === user && (summary.serverName ?? '') === server).map(({ pod }) => pod);
  const behind: Pod[] = service ? podsBehind(service, snapshot.pods) : [];
  const pod = behind.find((p) => labelled.includes(p)) ?? behind[0] ?? labelled[0];

  const servers = new Set<string>();
  for (const r of routes) {
    const named = routeServer(r.record.data);
    if (named?.user === user) servers.add(named.server);
  }
  for (const { summary } of notebooks) if (summary.user === user) servers.add(summary.serverName ?? '');
  if (route || pod) servers.add(server);

  return { user, server, route, destination, serviceKey, service, pod, servers: [...servers].sort() };
}
