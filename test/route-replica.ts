import type { Logger } from 'pino';
import { expect } from 'vitest';
import type { KubeConnection } from '@/lib/kube/connection';
import { ResourceStore } from '@/lib/kube/resource-store';
import { serviceKind, type Service } from '@/lib/kube/services';
import type { ResourceBackend } from '@/lib/kube/types';
import { RouteService } from '@/lib/routes/service';
import { parentReference } from '@/lib/routes/httproute';
import { routeObjectsFor, type RouteApi, type RouteObject } from '@/lib/routes/route-objects';
import { managedSelector, type RenderContext } from '@/lib/routes/virtualservice';
import { HUB_NAMESPACE, testLog, uniqueName } from './helpers';

export const CLUSTER_DOMAIN = 'cluster.local';

/** A render context of a test file's own: with a unique prefix, its stores see only the routes it made. */
export function testRenderContext(prefixBase: string): RenderContext {
  return {
    namespace: HUB_NAMESPACE,
    prefix: `${prefixBase}${uniqueName('x').slice(2)}`,
    gateway: `${HUB_NAMESPACE}/jupyterhub-gateway`,
    hosts: ['*'],
    hostRouting: false,
    routeTimeout: undefined,
  };
}

/**
 * A RouteService as the runtime builds one (its route object and Service caches synced), without a Next
 * build. `wrap` may wrap the route object backend, to run another writer's request at a chosen moment.
 */
export async function routeReplica(
  connection: KubeConnection,
  ctx: RenderContext,
  wrap: (b: ResourceBackend<RouteObject>) => ResourceBackend<RouteObject> = (b) => b,
  log: Logger = testLog,
  api: RouteApi = 'virtualservice',
) {
  // the backend as the runtime picks it from HUBMESH_ROUTE_API (HTTPRoutes attach to ctx.gateway)
  const objects = routeObjectsFor(api, parentReference(ctx.gateway, undefined), CLUSTER_DOMAIN);
  const store = new ResourceStore<RouteObject>(wrap(connection.backend<RouteObject>(objects.kind)), HUB_NAMESPACE, managedSelector(ctx.prefix), testLog);
  const services = new ResourceStore<Service>(connection.backend<Service>(serviceKind), HUB_NAMESPACE, undefined, testLog);
  const routes = new RouteService({
    store,
    objects,
    ctx,
    clusterDomain: CLUSTER_DOMAIN,
    maxRouteDataBytes: 4096,
    resolveIp: async () => undefined,
    waitUntilServed: async () => undefined,
    services: () => services.cache.list(),
    log,
  });
  store.cache.start();
  services.cache.start();
  expect(await store.cache.waitForSync(10_000)).toBe(true);
  expect(await services.cache.waitForSync(10_000)).toBe(true);
  return {
    routes,
    store,
    services,
    stop() {
      store.cache.stop();
      services.cache.stop();
    },
  };
}
