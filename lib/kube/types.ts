/** Object metadata as plain JSON (timestamps are RFC 3339 strings, as on the wire and in watch events). */
export type ObjectMeta = {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean }>;
};

export type KubeObject = { apiVersion?: string; kind?: string; metadata: ObjectMeta };

export type KindDescriptor = {
  /** '' for the core group */
  group: string;
  version: string;
  kind: string;
  plural: string;
  /** Namespaces, for one: the backend's `namespace` arguments are then ignored */
  clusterScoped?: true;
};

/**
 * `merge`: a JSON merge patch (RFC 7386). `apply`: server-side apply of the body as hubmesh's field
 * manager; `force` takes over fields another manager owns (never by default, so a conflict is shown).
 * `dryRun`: the apiserver validates and answers with the result, and stores nothing.
 */
export type DeleteOptions = { dryRun?: boolean; resourceVersion?: string };

export type PatchOptions = { type: 'merge' | 'apply'; dryRun?: boolean; force?: boolean };

/** BOOKMARK carries only a newer resourceVersion. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export type ListResult<T> = { items: T[]; resourceVersion: string };

export type WatchOptions = { resourceVersion: string; labelSelector?: string };

/**
 * One kind's storage, as seen by hubmesh: a real apiserver in cluster mode or the embedded
 * store in local mode. Both speak the same object shapes and resourceVersion semantics.
 */
export interface ResourceBackend<T extends KubeObject> {
  readonly kind: KindDescriptor;
  /** `shape` is applied to each item as it arrives (a cache's transform), so a large list is never held whole as received. */
  list(namespace: string, labelSelector?: string, shape?: (item: T) => T): Promise<ListResult<T>>;
  /** Resolves once the watch is open. onClose gets an error unless the server ended the watch normally. */
  watch(
    namespace: string,
    options: WatchOptions,
    onEvent: (type: WatchEventType, object: T) => void,
    onClose: (error?: unknown) => void,
  ): Promise<{ stop(): void }>;
  get(namespace: string, name: string): Promise<T>;
  create(namespace: string, object: T): Promise<T>;
  /** Optimistic concurrency: object.metadata.resourceVersion must match the stored one. */
  replace(namespace: string, object: T): Promise<T>;
  patch(namespace: string, name: string, body: unknown, options: PatchOptions): Promise<T>;
  /**
   * The apiserver may answer with the deleted object or with a Status. `resourceVersion` deletes only that
   * version (a 409 otherwise); `dryRun` validates and deletes nothing.
   */
  delete(namespace: string, name: string, options?: DeleteOptions): Promise<T | { kind: 'Status'; metadata?: undefined }>;
}

export function apiVersionOf(kind: KindDescriptor): string {
  return kind.group ? `${kind.group}/${kind.version}` : kind.version;
}

/** The REST path of a kind's collection in a namespace (or in the cluster, for a cluster-scoped kind). */
export function collectionPath(kind: KindDescriptor, namespace: string): string {
  const prefix = kind.group ? `/apis/${kind.group}/${kind.version}` : `/api/${kind.version}`;
  return kind.clusterScoped ? `${prefix}/${kind.plural}` : `${prefix}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}`;
}
