import type { Logger } from 'pino';
import { isGone, isNotFound, toKubeError } from './errors';
import { StringPool } from './intern';
import type { KubeObject, ResourceBackend, WatchEventType } from './types';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';
/**
 * Shapes an object before it is cached, as client-go's SetTransform does: keep only what readers use, so a
 * cache of thousands of objects costs what hubmesh reads, not what the apiserver sends.
 */
export type CacheTransform<T> = (object: T) => T;
export type ChangeListener<T> = (type: ChangeType, object: T) => void;

export type InformerStatus = {
  synced: boolean;
  resourceVersion: string;
  objects: number;
  lastSyncAt: string | undefined;
  lastError: string | undefined;
  /** HTTP status of the last failure (403 means RBAC is missing a permission). */
  lastErrorStatus: number | undefined;
};

const TOMBSTONE_TTL_MS = 120_000;
const MAX_TOMBSTONES = 20_000;
// short enough that a cache is back well within the hub's 30 s of retries after an apiserver outage
const MAX_BACKOFF_MS = 4_000;
/** how often a cache of an optional kind that is not installed looks again */
const ABSENT_KIND_RECHECK_MS = 30_000;

export type InformerOptions = {
  /**
   * The kind's CRD may not be installed (the Gateway API's, say): a 404 on the list then means "none", a
   * synced empty cache, logged once, and the list is tried again now and then, not as a failure.
   */
  optionalKind?: boolean;
};

/** The default transform: server-side apply bookkeeping is often most of an object's size, and hubmesh never reads it. */
export function withoutManagedFields<T extends KubeObject>(object: T): T {
  if (!('managedFields' in object.metadata)) return object;
  // a copy without the key, not \`delete\`: deleting a property turns an object into a hash table three times its size
  const { managedFields, ...metadata } = object.metadata as T['metadata'] & { managedFields?: unknown };
  return { ...object, metadata };
}

/** Whether resourceVersion a is newer than b. Versions are etcd revisions in practice; anything else only compares for equality. */
export function isNewer(a: string | undefined, b: string | undefined): boolean {
  const x = Number(a);
  const y = Number(b);
  if (a && b && Number.isSafeInteger(x) && Number.isSafeInteger(y)) return x > y;
  return a !== b;
}

/**
 * A list+watch cache of one kind in one namespace, in the manner of client-go's informer:
 * list, then watch from the list's resourceVersion; resume the watch when the server closes it;
 * re-list after a watch error or 410 Expired. While re-listing it reports itself unsynced, so
 * /readyz and the API never serve a stale cache as fresh.
 *
 * observe() lets the writer of an object make its own write visible at once (read-your-writes);
 * late watch events older than what is cached, or for objects deleted since, are ignored.
 */
export class Informer<T extends KubeObject> {
  private readonly objects = new Map<string, T>();
  private readonly tombstones = new Map<string, { resourceVersion: string; at: number }>();
  private readonly listeners = new Set<ChangeListener<T>>();
  private resourceVersion = '';
  private synced = false;
  private stopped = true;
  private lastSyncAt: Date | undefined;
  private lastError: { message: string; status: number } | undefined;
  private stopWatch: (() => void) | undefined;
  private wakeUp: (() => void) | undefined;
  private syncWaiters: Array<() => void> = [];
  private kindAbsent = false;
  private readonly strings = new StringPool();
  /** the transform, then one copy of each repeated string value across the cache */
  private readonly shape: CacheTransform<T>;

  constructor(
    private readonly backend: ResourceBackend<T>,
    readonly namespace: string,
    private readonly labelSelector: string | undefined,
    private readonly log: Logger,
    transform: CacheTransform<T> = withoutManagedFields,
    private readonly options: InformerOptions = {},
  ) {
    this.shape = (object) => this.strings.internAll(transform(object));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.stopWatch?.();
    this.wakeUp?.();
  }

  /** Resolves true once synced, or false after timeoutMs. */
  waitForSync(timeoutMs: number): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.synced), timeoutMs);
      this.syncWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  get isSynced(): boolean {
    return this.synced;
  }

  get size(): number {
    return this.objects.size;
  }

  status(): InformerStatus {
    return {
      synced: this.synced,
      resourceVersion: this.resourceVersion,
      objects: this.objects.size,
      lastSyncAt: this.lastSyncAt?.toISOString(),
      lastError: this.lastError?.message,
      lastErrorStatus: this.lastError?.status,
    };
  }

  get(name: string): T | undefined {
    return this.objects.get(name);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  subscribe(listener: ChangeListener<T>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  observe(type: ChangeType, object: T): void {
    this.apply(type, object);
  }

  private async run(): Promise<void> {
    let backoffMs = 250;
    while (!this.stopped) {
      try {
        if (!this.resourceVersion) await this.relist();
        await this.watchUntilClosed();
        backoffMs = 250;
      } catch (error) {
        if (this.stopped) break;
        const err = toKubeError(error);
        if (this.options.optionalKind && isNotFound(err)) {
          this.markKindAbsent();
          await this.sleep(ABSENT_KIND_RECHECK_MS);
          continue;
        }
        const expired = isGone(err);
        this.lastError = { message: err.message, status: err.status };
        this.resourceVersion = '';
        this.synced = false;
        if (expired) {
          this.log.info({ kind: this.backend.kind.kind }, 'watch expired (410); re-listing');
          continue;
        }
        this.log.warn({ kind: this.backend.kind.kind, status: err.status, err: err.message, retryInMs: backoffMs }, 'list/watch failed; cache unsynced');
        await this.sleep(backoffMs + Math.floor(Math.random() * backoffMs * 0.2));
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** An optional kind that is not installed: nothing of it exists, which is a synced, empty cache. */
  private markKindAbsent(): void {
    if (!this.kindAbsent) this.log.info({ kind: this.backend.kind.kind, group: this.backend.kind.group }, 'kind not installed (404): none of it exists until it is');
    this.kindAbsent = true;
    this.resourceVersion = '';
    for (const object of [...this.objects.values()]) {
      this.objects.delete(object.metadata.name);
      this.emit('DELETED', object);
    }
    this.markSynced();
  }

  private markSynced(): void {
    this.synced = true;
    this.lastSyncAt = new Date();
    this.lastError = undefined;
    for (const w of this.syncWaiters.splice(0)) w();
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.backend.list(this.namespace, this.labelSelector, this.shape);
    if (this.stopped) return;
    if (this.kindAbsent) this.log.info({ kind: this.backend.kind.kind, group: this.backend.kind.group }, 'kind installed: watching it');
    this.kindAbsent = false;
    this.pruneTombstones();
    const seen = new Set<string>();
    for (const item of items) {
      const tomb = this.tombstones.get(item.metadata.name);
      if (tomb && !isNewer(item.metadata.resourceVersion, tomb.resourceVersion)) continue;
      seen.add(item.metadata.name);
      this.store('MODIFIED', item); // the list shaped it already
    }
    for (const [name, object] of this.objects) {
      // an object newer than the list is one of our own writes, observed while the list was in flight
      if (!seen.has(name) && !isNewer(object.metadata.resourceVersion, resourceVersion)) {
        this.objects.delete(name);
        this.emit('DELETED', object);
      }
    }
    this.resourceVersion = resourceVersion;
    this.markSynced();
  }

  private watchUntilClosed(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.backend
        .watch(
          this.namespace,
          { resourceVersion: this.resourceVersion, labelSelector: this.labelSelector },
          (type, object) => this.onWatchEvent(type, object),
          (error) => {
            this.stopWatch = undefined;
            if (error) reject(error);
            else resolve();
          },
        )
        .then((handle) => {
          this.stopWatch = () => {
            handle.stop();
            resolve();
          };
          if (this.stopped) this.stopWatch();
        }, reject);
    });
  }

  private onWatchEvent(type: WatchEventType, object: T): void {
    if (type !== 'BOOKMARK') this.apply(type, object);
    if (object.metadata?.resourceVersion) this.resourceVersion = object.metadata.resourceVersion;
  }

  private apply(type: ChangeType, received: T): void {
    this.store(type, received, this.shape);
  }

  /**
   * `shape` runs only on what is kept: a deletion keeps nothing of what it received, and the watch's echo of a
   * write already observed (every write of hubmesh's own) is dropped unshaped. Shaping keeps name and revision.
   */
  private store(type: ChangeType, received: T, shape: CacheTransform<T> = (object) => object): void {
    const name = received.metadata.name;
    const rv = received.metadata.resourceVersion;
    const current = this.objects.get(name);
    if (type === 'DELETED') {
      if (current && isNewer(current.metadata.resourceVersion, rv)) return; // re-created since
      this.tombstones.delete(name); // re-inserted last, so the Map stays in time order
      this.tombstones.set(name, { resourceVersion: rv ?? '', at: Date.now() });
      if (this.tombstones.size > MAX_TOMBSTONES) this.pruneTombstones();
      if (current) {
        this.objects.delete(name);
        this.emit('DELETED', current);
      }
      return;
    }
    const tomb = this.tombstones.get(name);
    if (tomb && !isNewer(rv, tomb.resourceVersion)) return; // a late event for an object already deleted
    if (current && current.metadata.resourceVersion === rv) return;
    if (current && !isNewer(rv, current.metadata.resourceVersion)) return; // older than what we hold
    const object = shape(received);
    this.objects.set(name, object);
    this.emit(current ? 'MODIFIED' : 'ADDED', object);
  }

  private emit(type: ChangeType, object: T): void {
    for (const listener of this.listeners) {
      try {
        listener(type, object);
      } catch (error) {
        this.log.error({ err: error }, 'informer listener failed');
      }
    }
  }

  /** Drops expired tombstones, oldest first (a Map iterates in insertion order), and caps how many are kept. */
  private pruneTombstones(): void {
    const cutoff = Date.now() - TOMBSTONE_TTL_MS;
    for (const [name, t] of this.tombstones) {
      if (t.at >= cutoff && this.tombstones.size <= MAX_TOMBSTONES) break;
      this.tombstones.delete(name);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
