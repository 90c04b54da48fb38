import { PatchStrategy, setHeaderOptions, type CustomObjectsApi } from '@kubernetes/client-node';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import { httpRouteKind, type HTTPRouteObject } from '@/lib/kube/httproutes';
import { ResourceStore } from '@/lib/kube/resource-store';
import { clients, HUB_NAMESPACE, testLog } from './helpers';
import { TEST_HTTPROUTE_GATEWAY } from './hubmesh-process';
import { httpRouteParents, type Oracle } from './oracle/client';
import { objectsYaml } from './oracle/routing-case';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const group = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: HUB_NAMESPACE };

/** The test Gateway API Gateway the HTTPRoutes attach to (TEST_HTTPROUTE_GATEWAY), a managed Gateway of class istio. */
export function testGatewayObject() {
  const [namespace, name] = TEST_HTTPROUTE_GATEWAY.split('/') as [string, string];
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace, annotations: { 'networking.istio.io/service-type': 'ClusterIP' } },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }] },
  };
}

/**
 * Plays istiod's status writer for the HTTPRoutes of one hubmesh prefix in the test cluster, where no istiod runs:
 * on every change it asks istio-oracle (Istio's own gateway controller) for the status of the routes with their
 * Gateway and Services as the apiserver holds them, and writes what Istio computes to each route's status
 * subresource with the admin identity. A route Istio writes no status for keeps none. `settled()` resolves once
 * every change seen so far has its status written.
 */
export class GatewayStatusWriter {
  private readonly store: ResourceStore<HTTPRouteObject>;
  private readonly custom: CustomObjectsApi;
  private running: Promise<void> = Promise.resolve();
  private dirty = false;
  private stopped = false;
  /** errors of the passes, for the test to assert there were none */
  readonly errors: string[] = [];
  passes = 0;

  constructor(
    private readonly oracle: Oracle,
    adminKubeconfig: string,
    prefix: string,
  ) {
    const connection = connect(parseConfig({ KUBECONFIG: adminKubeconfig, HUBMESH_NAMESPACE: HUB_NAMESPACE }));
    this.store = new ResourceStore<HTTPRouteObject>(connection.backend(httpRouteKind), HUB_NAMESPACE, `hubmesh.io/prefix=${prefix}`, testLog);
    this.custom = clients().adminCustom;
    this.store.cache.subscribe((type) => {
      if (type !== 'DELETED') this.schedule();
    });
  }

  async start(): Promise<void> {
    this.store.cache.start();
    if (!(await this.store.cache.waitForSync(30_000))) throw new Error('gateway-status: the HTTPRoute cache did not sync');
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.store.cache.stop();
  }

  /** Resolves once no pass is due or running. */
  async settled(): Promise<void> {
    for (;;) {
      const current = this.running;
      await current;
      if (current === this.running && !this.dirty) return;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.dirty = true;
    this.running = this.running.then(() => this.pass());
  }

  /** Routes whose status does not yet report their current generation. */
  private stale(): HTTPRouteObject[] {
    return this.store.cache.list().filter((route) => {
      const parents = route.status?.parents ?? [];
      const generation = route.metadata.generation ?? 0;
      return !parents.length || parents.some((p) => (p.conditions ?? []).some((c) => (c.observedGeneration ?? 0) < generation));
    });
  }

  private async pass(): Promise<void> {
    if (!this.dirty || this.stopped) return;
    this.dirty = false;
    const routes = this.stale();
    if (!routes.length) return;
    this.passes++;
    try {
      const [namespace, name] = TEST_HTTPROUTE_GATEWAY.split('/') as [string, string];
      const gateway = await this.custom.getNamespacedCustomObject({ ...group, namespace, plural: 'gateways', name });
      const wanted = new Set(routes.flatMap((r) => (r.spec.rules ?? []).flatMap((rule) => (rule.backendRefs ?? []).map((b) => b.name))));
      const { adminCore } = clients();
      const services = (await adminCore.listNamespacedService({ namespace: HUB_NAMESPACE })).items.filter((s) => wanted.has(s.metadata!.name!));
      const objects = [gateway, ...services.map((s) => ({ ...s, apiVersion: 'v1', kind: 'Service' })), ...routes.map((r) => ({ ...r, status: undefined }))];
      const verdict = await this.oracle.judge({ objects: objectsYaml(objects), requests: [], gatewayApi: { namespace, name } });
      if (verdict.error) throw new Error(`istio-oracle: ${verdict.error}`);
      for (const route of routes) {
        const parents = httpRouteParents(verdict, HUB_NAMESPACE, route.metadata.name);
        if (!parents) continue;
        await this.custom
          .patchNamespacedCustomObjectStatus({ ...group, plural: 'httproutes', name: route.metadata.name, body: { status: { parents } } }, mergePatch)
          .catch((error: { code?: number }) => {
            // deleted meanwhile: nothing to report on
            if (error.code !== 404) throw error;
          });
      }
    } catch (error) {
      this.errors.push(error instanceof Error ? error.message : String(error));
    }
  }
}
