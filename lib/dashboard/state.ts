import type { Informer } from '../kube/informer';
import type { CacheView } from '../kube/cache-view';
import type { Pod } from '../kube/pods';
import type { Service } from '../kube/services';
import type { VirtualService } from '../kube/virtualservices';
import { routeFromVirtualService } from '../routes/virtualservice';
import { buildDashboard, type Dashboard } from './view';

export type Change = { at: string; kind: 'route' | 'pod' | 'service' | 'mesh'; type: 'ADDED' | 'MODIFIED' | 'DELETED'; name: string };

const RECENT = 50;

/**
 * The dashboard's side of the watch caches: a version that moves on every change (for the
 * browser's live stream), the latest changes, and the joined view, rebuilt at most once per version.
 */
export class DashboardState {
  private version = 0;
  private built: { version: number; dashboard: Dashboard } | undefined;
  private readonly recent: Change[] = [];
  private readonly listeners = new Set<(version: number) => void>();

  constructor(
    private readonly caches: { virtualServices: Informer<VirtualService>; pods: Informer<Pod>; services: Informer<Service>; mesh: Record<string, CacheView> },
    private readonly options: { namespace: string; clusterDomain: string; notebookSelector: string; istioVersion: string | undefined },
  ) {
    caches.virtualServices.subscribe((type, vs) => this.changed({ kind: 'route', type, name: routeFromVirtualService(vs)?.path ?? vs.metadata.name }));
    caches.pods.subscribe((type, pod) => this.changed({ kind: 'pod', type, name: pod.metadata.name }));
    caches.services.subscribe((type, svc) => this.changed({ kind: 'service', type, name: svc.metadata.name }));
    // mesh objects (mTLS settings, gateways, namespaces) move the version too, so the mesh pages stay live
    for (const [cache, informer] of Object.entries(caches.mesh)) {
      informer.subscribe((type, o) => this.changed({ kind: 'mesh', type, name: `${cache}: ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}` }));
    }
  }

  get currentVersion(): number {
    return this.version;
  }

  recentChanges(): Change[] {
    return [...this.recent].reverse();
  }

  dashboard(): Dashboard {
    if (this.built?.version !== this.version) {
      this.built = {
        version: this.version,
        dashboard: buildDashboard({
          virtualServices: this.caches.virtualServices.list(),
          pods: this.caches.pods.list(),
          services: this.caches.services.list(),
          ...this.options,
        }),
      };
    }
    return this.built.dashboard;
  }

  /** Called with the new version after each change; returns the unsubscribe function. */
  onChange(listener: (version: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(change: Omit<Change, 'at'>): void {
    this.version++;
    this.recent.push({ at: new Date().toISOString(), ...change });
    if (this.recent.length > RECENT) this.recent.shift();
    for (const l of this.listeners) l(this.version);
  }
}
