import { matchesLabelSelector, parseLabelSelector } from '../../kube/label-selector';
import type { Pod } from '../../kube/pods';
import { hubServerOf, hubUserOf } from '../pod-status';
import { routeFromObject } from '../../routes/virtualservice';
import { destinationsOf, hubRouteObjects, podsBehind } from './destinations';
import { refOf } from './routing';
import { defineChecker, type ValidationSnapshot } from './types';

const serverKey = (user: string, server: string) => `${user}\u0000${server}`;

/** Notebook pods a hub route leads to: through the route's Service, or by the user and server name the hub gave it. */
function routedPods(snapshot: ValidationSnapshot): { pods: Set<Pod>; servers: Set<string> } {
  const pods = new Set<Pod>();
  const servers = new Set<string>();
  for (const route of hubRouteObjects(snapshot)) {
    const { data } = routeFromObject(route)!;
    if (typeof data.user === 'string') servers.add(serverKey(data.user, typeof data.server_name === 'string' ? data.server_name : ''));
    for (const { service } of destinationsOf(route, snapshot)) if (service) podsBehind(service, snapshot.pods).forEach((p) => pods.add(p));
  }
  return { pods, servers };
}

export const podWithoutRoute = defineChecker(
  {
    code: 'HM3001',
    severity: 'warning',
    area: 'workloads',
    title: 'Notebook pod without a route',
    description:
      "A running notebook pod that no hub route leads to: its user cannot reach it through the hub. Usually the hub lost the route (a proxy restart without the hub's route check, a failed POST), or the pod outlived its server (a stop that did not finish).",
  },
  (snapshot) => {
    const notebook = parseLabelSelector(snapshot.notebookSelector);
    const routed = routedPods(snapshot);
    return snapshot.pods
      .filter((pod) => matchesLabelSelector(pod.metadata.labels, notebook) && pod.status?.phase === 'Running' && !pod.metadata.deletionTimestamp)
      .filter((pod) => {
        if (routed.pods.has(pod)) return false;
        const user = hubUserOf(pod);
        return user === undefined || !routed.servers.has(serverKey(user, hubServerOf(pod) ?? ''));
      })
      .map((pod) => {
        const user = hubUserOf(pod);
        return {
          message: `Notebook pod ${pod.metadata.namespace}/${pod.metadata.name}${user ? ` (user ${user})` : ''} is running, but no hub route leads to it: its user cannot reach it through the hub.`,
          object: refOf('Pod', pod),
        };
      });
  },
);
