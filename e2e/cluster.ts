import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
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
