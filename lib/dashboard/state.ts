import type { RouteObject } from '../routes/route-objects';
import type { ChangeListener, Informer } from '../kube/informer';
import type { CacheView } from '../kube/cache-view';
import type { Pod } from '../kube/pods';
import type { Service } from '../kube/services';
import type { KubeObject } from '../kube/types';
import { routeFromObject } from '../routes/virtualservice';
import { watchedKindOfCache, type ObjectChange, type WatchedKind } from './live';
import type { MeshAroundPods } from '../mesh/types';
import { buildDashboard, type Dashboard } from './view';

export type Change = { at: string; kind: 'route' | 'pod' | 'service' | 'mesh'; type: 'ADDED' | 'MODIFIED' | 'DELETED'; name: string };

const RECENT = 50;

/**
 * The dashboard's side of the watch caches: a version that moves on every change, each change's kind
 * and name (for the browser's live stream), the latest changes, and the joined view, rebuilt at most
 * once per version.
 */
export class DashboardState {
  private version = 0;
  private built: { version: number; dashboard: Dashboard } | undefined;
  private readonly recent: Change[] = [];
  private readonly listeners = new Set<(change: ObjectChange) => void>();

  constructor(
    private readonly caches: { virtualServices: Informer<RouteObject>; pods: Informer<Pod>; services: Informer<Service>; mesh: Record<string, CacheView> },
    private readonly options: {
      namespace: string;
      clusterDomain: string;
      notebookSelector: string;
      istioVersion: string | undefined;
      /** cluster mode: the mesh around the pods, read from the mesh caches (whose changes move the version) */
      mesh?: () => MeshAroundPods;
    },
  ) {
    this.follow(caches.virtualServices, 'virtualservices', (vs) => ({ kind: 'route', name: routeFromObject(vs)?.path ?? vs.metadata.name }));
    this.follow(caches.pods, 'pods', (pod) => ({ kind: 'pod', name: pod.metadata.name }));
    this.follow(caches.services, 'services', (svc) => ({ kind: 'service', name: svc.metadata.name }));
    // mesh objects (mTLS settings, gateways, namespaces) move the version too, so the mesh pages stay live
    for (const [cache, informer] of Object.entries(caches.mesh)) {
      this.follow(informer, watchedKindOfCache(cache), (o) => ({ kind: 'mesh', name: `${cache}: ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}` }));
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
          namespace: this.options.namespace,
          clusterDomain: this.options.clusterDomain,
          notebookSelector: this.options.notebookSelector,
          istioVersion: this.options.istioVersion,
          mesh: this.options.mesh?.(),
        }),
      };
    }
    return this.built.dashboard;
  }

  /** Called after each change with the object's kind and name and the new version; returns the unsubscribe function. */
  onChange(listener: (change: ObjectChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** `shown`: how the overview's recent changes list an object of this cache. */
  private follow<T extends KubeObject>(cache: { subscribe(listener: ChangeListener<T>): unknown }, kind: WatchedKind, shown: (object: T) => Pick<Change, 'kind' | 'name'>): void {
    cache.subscribe((type, object) => {
      this.version++;
      const { kind: shownKind, name } = shown(object);
      this.recent.push({ at: new Date().toISOString(), kind: shownKind, type, name });
      if (this.recent.length > RECENT) this.recent.shift();
      const change = { version: this.version, kind, name: this.nameOf(object) };
      for (const l of this.listeners) l(change);
    });
  }

  /** An object's name as the browser's keys name it: plain in the hub namespace, with its namespace elsewhere. */
  private nameOf(object: KubeObject): string {
    const { namespace, name } = object.metadata;
    return namespace && namespace !== this.options.namespace ? `${namespace}/${name}` : name;
  }
}
