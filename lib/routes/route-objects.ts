import { httpRouteKind, type HTTPRouteObject, type ParentReference } from '../kube/httproutes';
import type { KindDescriptor } from '../kube/types';
import { virtualServiceKind, type VirtualService } from '../kube/virtualservices';
import type { Service } from '../kube/services';
import { httpRouteDestination, httpRouteUnstorable, isAcceptedHttpRoute, renderRouteHTTPRoute, unavailableWithHttpRoute, withServicePorts } from './httproute';
import type { FieldError, Overlays } from './overlays';
import { isReconciled } from './readiness';
import { dependents, gatewayDependents, gatewayPlacementFor, placementFor, type PlanInput } from './routing-plan';
import { primaryDestination, renderRouteVirtualService, type Destination, type RouteRecord } from './virtualservice';

/** What a hub route is stored as: HUBMESH_ROUTE_API says which. */
export type RouteApi = 'virtualservice' | 'httproute';

export type RouteObject = VirtualService | HTTPRouteObject;

export type RouteKindName = 'VirtualService' | 'HTTPRoute';

export const routeKindName = (object: RouteObject): RouteKindName => (isHttpRoute(object) ? 'HTTPRoute' : 'VirtualService');

/** The kind the routes are stored as with a backend. */
export const routeKindOfApi = (api: RouteApi): RouteKindName => (api === 'httproute' ? 'HTTPRoute' : 'VirtualService');

/**
 * One route backend: the kind each route is stored as, and what only that kind knows (how a route renders, which
 * other routes a change touches, where the stored object sends its path). Everything else about a route (its path,
 * the hub's data, last activity, overlays) is in the object's labels and annotations, the same for both kinds.
 */
export interface RouteObjects<T extends RouteObject = RouteObject> {
  readonly api: RouteApi;
  readonly kind: KindDescriptor;
  render(route: RouteRecord, destination: Destination, overlays: Overlays, plan: PlanInput): T;
  /** the routes whose objects may change when the route at `path` does */
  dependents(path: string, plan: PlanInput): string[];
  destination(object: T): Destination | undefined;
  /** overlay sections this kind cannot render, as field errors */
  unavailable(overlays: Overlays): FieldError[];
  /** the overlays as this kind stores them, completed from the hub namespace's Services where it must say more */
  complete(overlays: Overlays, services: readonly Service[] | undefined): Overlays;
  /** why a rendered object could not be stored (past the kind's limits), or undefined */
  unstorable(object: T): string | undefined;
  /** whether the mesh reports this generation of the object as in force (for HUBMESH_READINESS=reconciled) */
  inForce(object: T): boolean;
}

export const virtualServiceRoutes: RouteObjects<VirtualService> = {
  api: 'virtualservice',
  kind: virtualServiceKind,
  render: (route, destination, overlays, plan) => renderRouteVirtualService(route, destination, plan.ctx, overlays, placementFor(route.path, plan)),
  dependents,
  destination: primaryDestination,
  unavailable: () => [],
  complete: (overlays) => overlays,
  unstorable: () => undefined,
  inForce: isReconciled,
};

export function httpRouteRoutes(parent: ParentReference, clusterDomain: string): RouteObjects<HTTPRouteObject> {
  return {
    api: 'httproute',
    kind: httpRouteKind,
    render: (route, destination, overlays, plan) => renderRouteHTTPRoute(route, destination, { ...plan.ctx, parent }, overlays, gatewayPlacementFor(route.path, plan)),
    dependents: gatewayDependents,
    destination: (route) => httpRouteDestination(route, clusterDomain),
    unavailable: unavailableWithHttpRoute,
    complete: withServicePorts,
    unstorable: httpRouteUnstorable,
    inForce: (route) => isAcceptedHttpRoute(route, parent),
  };
}

/** The backend HUBMESH_ROUTE_API picks; HTTPRoutes attach to `parent`. */
export function routeObjectsFor(api: RouteApi, parent: ParentReference, clusterDomain: string): RouteObjects {
  return api === 'httproute' ? (httpRouteRoutes(parent, clusterDomain) as RouteObjects) : (virtualServiceRoutes as RouteObjects);
}

/** Where any stored route object sends its path, whichever kind it is. */
export function routeObjectDestination(object: RouteObject, clusterDomain: string): Destination | undefined {
  return isHttpRoute(object) ? httpRouteDestination(object, clusterDomain) : primaryDestination(object);
}

/** The kind of a stored route object, for references to it (audit Events). */
export const routeKindOf = (object: RouteObject): KindDescriptor => (isHttpRoute(object) ? httpRouteKind : virtualServiceKind);

export function isHttpRoute(object: RouteObject): object is HTTPRouteObject {
  return object.kind === 'HTTPRoute' || (object.apiVersion?.startsWith('gateway.networking.k8s.io/') ?? false);
}

/**
 * What the mesh reports of a stored route object, when it reports anything: `inForce` is undefined while nothing
 * wrote a status. A VirtualService has istiod's Reconciled condition; an HTTPRoute, each Gateway's conditions.
 */
export function routeObjectStatus(object: RouteObject): { inForce: boolean | undefined; problems: string[]; conditions?: Array<{ gateway: string; type: string; status: string; reason?: string; message?: string }> } {
  if (!isHttpRoute(object)) {
    if (!object.status?.conditions?.some((c) => c.type === 'Reconciled')) return { inForce: undefined, problems: [] };
    const inForce = isReconciled(object);
    return { inForce, problems: inForce ? [] : ['istiod has not reconciled this VirtualService'] };
  }
  const parents = object.status?.parents ?? [];
  if (!parents.length) return { inForce: undefined, problems: [] };
  const conditions = parents.flatMap((p) =>
    (p.conditions ?? []).map((c) => ({ gateway: `${p.parentRef.namespace ?? object.metadata.namespace ?? ''}/${p.parentRef.name}${p.parentRef.sectionName ? `#${p.parentRef.sectionName}` : ''}`, type: c.type, status: c.status, ...(c.reason ? { reason: c.reason } : {}), ...(c.message ? { message: c.message } : {}) })),
  );
  const negative = conditions.filter((c) => (c.type === 'Accepted' || c.type === 'ResolvedRefs') && c.status !== 'True');
  const stale = parents.some((p) => (p.conditions ?? []).some((c) => c.observedGeneration !== undefined && c.observedGeneration < (object.metadata.generation ?? 0)));
  const problems = negative.map((c) => `Gateway ${c.gateway}: ${c.type} is ${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`);
  if (stale) problems.push(`the Gateway's controller has not reported generation ${object.metadata.generation ?? '?'} of this HTTPRoute yet`);
  const accepted = conditions.some((c) => c.type === 'Accepted' && c.status === 'True');
  return { inForce: accepted && !negative.length && !stale, problems, conditions };
}
