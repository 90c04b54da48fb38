// The hub's route objects as the tests read them, whichever backend stores them (VirtualService or HTTPRoute).
import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { HTTPRouteObject } from '@/lib/kube/httproutes';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { isHttpRoute, routeObjectDestination, type RouteObject } from '@/lib/routes/route-objects';
import { HUB_NAMESPACE } from './helpers';
import type { RouteApi } from './hubmesh-process';

/** The custom-object coordinates of a backend's kind in the hub namespace. */
export function routeObjectGroup(api: RouteApi) {
  return api === 'httproute'
    ? { group: 'gateway.networking.k8s.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'httproutes' }
    : { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
}

export const routeKindOfApi = (api: RouteApi) => (api === 'httproute' ? 'HTTPRoute' : 'VirtualService');

export async function listRouteObjects(custom: CustomObjectsApi, api: RouteApi, labelSelector: string): Promise<RouteObject[]> {
  return ((await custom.listNamespacedCustomObject({ ...routeObjectGroup(api), labelSelector })) as { items: RouteObject[] }).items;
}

/** Where the object's own rule sends its route: host and port number. */
export const destinationOf = (object: RouteObject) => routeObjectDestination(object, 'cluster.local');

/** The path matches of the object's own rule (the first one), as stored. */
export function ownPathMatches(object: RouteObject): unknown {
  return isHttpRoute(object) ? (object as HTTPRouteObject).spec.rules?.[0]?.matches : (object as VirtualService).spec.http?.[0]?.match;
}

/**
 * The path matches a route at `quoted` (the URL form) gets: a VirtualService matches the prefix below it and the
 * path exactly (so /user/al cannot catch /user/alice); an HTTPRoute's PathPrefix matches whole segments already.
 */
export function expectedPathMatches(api: RouteApi, quoted: string): unknown {
  if (api === 'httproute') return [{ path: { type: 'PathPrefix', value: quoted } }];
  return quoted === '/' ? [{ uri: { prefix: '/' } }] : [{ uri: { prefix: `${quoted}/` } }, { uri: { exact: quoted } }];
}
