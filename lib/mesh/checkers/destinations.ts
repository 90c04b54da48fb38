import type { Pod } from '../../kube/pods';
import type { Service } from '../../kube/services';
import type { HTTPRouteDestination, VirtualService } from '../../kube/virtualservices';
import { serviceOfHost, type GatewayKey } from './hosts';
import type { ValidationSnapshot } from './types';

export type RouteDestination = {
  destination: HTTPRouteDestination['destination'];
  /** the Kubernetes Service the host names, if it names one */
  serviceKey: GatewayKey | undefined;
  /** whether the snapshot holds the Services of that namespace (else nothing is judged) */
  observed: boolean;
  service: Service | undefined;
};

/** Every destination of a VirtualService's http rules, with the Service it names. */
export function destinationsOf(vs: VirtualService, snapshot: ValidationSnapshot): RouteDestination[] {
  const vsNamespace = vs.metadata.namespace ?? snapshot.namespace;
  return (vs.spec.http ?? []).flatMap((rule) =>
    (rule.route ?? []).map(({ destination }) => {
      const serviceKey = serviceOfHost(destination.host, vsNamespace, snapshot.clusterDomain);
      const observed = serviceKey !== undefined && snapshot.observedNamespaces.includes(serviceKey.namespace);
      const service =
        serviceKey && snapshot.services.find((s) => s.metadata.name === serviceKey.name && s.metadata.namespace === serviceKey.namespace);
      return { destination, serviceKey, observed, service };
    }),
  );
}

/** A pod that has not finished (Succeeded or Failed pods never serve again). */
export const isLive = (pod: Pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';

/** Whether a map selector (a Service's or a PeerAuthentication's) selects the pod; an empty selector selects nothing here. */
export function selects(selector: Record<string, string> | undefined, pod: Pod): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => pod.metadata.labels?.[key] === value);
}

/** The pods a Service sends traffic to: live pods of its namespace that its selector selects. */
export function podsBehind(service: Service, pods: Pod[]): Pod[] {
  return pods.filter((p) => p.metadata.namespace === service.metadata.namespace && isLive(p) && selects(service.spec?.selector, p));
}
