import { CustomObjectsApi, KubeConfig, type CoreV1Api } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import type { VirtualService } from '../lib/kube/virtualservices';
import { E2E } from '../playwright.config';
import { clusterPaths } from '../test/cluster/harness';

/** The hub proxy API of the cluster-mode e2e server, as the hub calls it. */
export const proxyApi = (path: string, init: RequestInit) =>
  fetch(`http://127.0.0.1:${E2E.clusterPort}/api/routes${path}`, { ...init, headers: { authorization: `token ${E2E.proxyToken}` } });

/** The e2e server's VirtualService for a route, read as the cluster admin. */
export async function routeVirtualService(route: string): Promise<VirtualService | undefined> {
  const kc = new KubeConfig();
  kc.loadFromFile(clusterPaths().adminKubeconfig);
  const list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({
    group: 'networking.istio.io',
    version: 'v1',
    namespace: 'jupyterhub',
    plural: 'virtualservices',
    labelSelector: `hubmesh.io/prefix=${E2E.prefix}`,
  })) as { items: VirtualService[] };
  return list.items.find((vs) => vs.metadata.annotations?.['hubmesh.io/route'] === route);
}

/**
 * A hub route on `/` and a Service `service` in `namespace` for previews to send traffic to, set up
 * before the file's tests and removed after (previews need both).
 */
export function withHubRouteAndService(core: CoreV1Api, namespace: string, service: string): void {
  test.beforeAll(async () => {
    await core.createNamespacedService({ namespace, body: { metadata: { name: service }, spec: { selector: { app: service }, ports: [{ name: 'http', port: 8888 }] } } });
    expect((await proxyApi('/', { method: 'POST', body: JSON.stringify({ target: 'http://hub:8081', jupyterhub: true, hub: true }) })).status).toBe(201);
  });
  test.afterAll(async () => {
    await proxyApi('/', { method: 'DELETE' });
    await core.deleteNamespacedService({ namespace, name: service }).catch(() => undefined);
  });
}
