import type { Logger } from 'pino';
import { expect } from 'vitest';
import type { KubeConnection } from '@/lib/kube/connection';
import { ResourceStore } from '@/lib/kube/resource-store';
import { serviceKind, type Service } from '@/lib/kube/services';
import type { ResourceBackend } from '@/lib/kube/types';
import { virtualServiceKind, type VirtualService } from '@/lib/kube/virtualservices';
import { RouteService } from '@/lib/routes/service';
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
 * A RouteService as the runtime builds one (its VirtualService and Service caches synced), without a Next
 * build. `wrap` may wrap the VirtualService backend, to run another writer's request at a chosen moment.
 */
export async function routeReplica(
  connection: KubeConnection,
  ctx: RenderContext,
  wrap: (b: ResourceBackend<VirtualService>) => ResourceBackend<VirtualService> = (b) => b,
  log: Logger = testLog,
) {
  const store = new ResourceStore<VirtualService>(wrap(connection.backend<VirtualService>(virtualServiceKind)), HUB_NAMESPACE, managedSelector(ctx.prefix), testLog);
  const services = new ResourceStore<Service>(connection.backend<Service>(serviceKind), HUB_NAMESPACE, undefined, testLog);
  const routes = new RouteService({
    store,
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
