import type { HTTPRouteObject } from '../../kube/httproutes';
import type { Pod } from '../../kube/pods';
import type { Service } from '../../kube/services';
import type { HTTPRouteDestination } from '../../kube/virtualservices';
import { isHttpRoute, routeKindName, type RouteObject } from '../../routes/route-objects';
import { serviceOfHost, type GatewayKey } from './hosts';
import { isHubRoute, refOf } from './routing';
import type { ObjectRef, ValidationSnapshot } from './types';

export type RouteDestination = {
  destination: HTTPRouteDestination['destination'];
  /** the Kubernetes Service the host names, if it names one */
  serviceKey: GatewayKey | undefined;
  /** whether the snapshot holds the Services of that namespace (else nothing is judged) */
  observed: boolean;
  service: Service | undefined;
};

/** The route objects whose destinations are judged: every VirtualService, and the hub's HTTPRoutes (HUBMESH_ROUTE_API=httproute). */
export const routeObjectsOf = (snapshot: ValidationSnapshot): RouteObject[] => [...snapshot.virtualServices, ...(snapshot.httpRoutes ?? [])];

/** The hub's routes, whichever kind they are stored as. */
export const hubRouteObjects = (snapshot: ValidationSnapshot): RouteObject[] => routeObjectsOf(snapshot).filter((object) => isHubRoute(object, snapshot.prefix));

/** A finding's reference to a route object, by its kind. */
export const routeObjectRef = (object: RouteObject): ObjectRef => refOf(routeKindName(object), object);

/** "VirtualService hub/x" or "HTTPRoute hub/x", as findings name a route object. */
export const routeObjectWords = (object: RouteObject) => `${routeKindName(object)} ${object.metadata.namespace}/${object.metadata.name}`;

/** The Gateway API backendRefs of an HTTPRoute's rules as destination hosts: Services (the default kind), and Istio's Hostname kind. */
function backendDestinations(route: HTTPRouteObject, namespace: string, clusterDomain: string): Array<HTTPRouteDestination['destination']> {
  return (route.spec.rules ?? []).flatMap((rule) =>
    (rule.backendRefs ?? []).flatMap((ref) => {
      const port = ref.port === undefined ? {} : { port: { number: ref.port } };
      if (ref.kind === 'Hostname' && ref.group === 'networking.istio.io') return [{ host: ref.name, ...port }];
      if ((ref.group ?? '') !== '' || (ref.kind ?? 'Service') !== 'Service') return [];
      return [{ host: `${ref.name}.${ref.namespace ?? namespace}.svc.${clusterDomain}`, ...port }];
    }),
  );
}

/** Every destination of a route object's rules (a VirtualService's http routes, an HTTPRoute's backendRefs), with the Service it names. */
export function destinationsOf(route: RouteObject, snapshot: ValidationSnapshot): RouteDestination[] {
  const routeNamespace = route.metadata.namespace ?? snapshot.namespace;
  const destinations = isHttpRoute(route)
    ? backendDestinations(route, routeNamespace, snapshot.clusterDomain)
    : (route.spec.http ?? []).flatMap((rule) => (rule.route ?? []).map(({ destination }) => destination));
  return destinations.map((destination) => {
    const serviceKey = serviceOfHost(destination.host, routeNamespace, snapshot.clusterDomain);
    const observed = serviceKey !== undefined && snapshot.observedNamespaces.includes(serviceKey.namespace);
    const service = serviceKey && snapshot.services.find((s) => s.metadata.name === serviceKey.name && s.metadata.namespace === serviceKey.namespace);
    return { destination, serviceKey, observed, service };
  });
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
