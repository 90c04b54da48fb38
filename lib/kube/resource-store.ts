import type { Logger } from 'pino';
import { Informer, withoutManagedFields, type CacheTransform } from './informer';
import type { KubeObject, PatchOptions, ResourceBackend } from './types';

/**
 * One kind in one namespace: the watch cache to read from, and writes that land in that cache
 * as soon as the backend accepts them, so a reader right after a write sees it.
 */
export class ResourceStore<T extends KubeObject> {
  readonly cache: Informer<T>;

  constructor(
    readonly backend: ResourceBackend<T>,
    readonly namespace: string,
    labelSelector: string | undefined,
    log: Logger,
    transform: CacheTransform<T> = withoutManagedFields,
  ) {
    this.cache = new Informer(backend, namespace, labelSelector, log, transform);
  }

  async create(object: T): Promise<T> {
    const created = await this.backend.create(this.namespace, object);
    this.cache.observe('ADDED', created);
    return created;
  }

  async replace(object: T): Promise<T> {
    const replaced = await this.backend.replace(this.namespace, object);
    this.cache.observe('MODIFIED', replaced);
    return replaced;
  }

  async patch(name: string, body: unknown, options: PatchOptions): Promise<T> {
    const patched = await this.backend.patch(this.namespace, name, body, options);
    if (!options.dryRun) this.cache.observe('MODIFIED', patched);
    return patched;
  }

  /** `known` is the object as the caller last saw it, when the cache may not hold it yet. */
  async delete(name: string, known?: T): Promise<void> {
    const before = known ?? this.cache.get(name);
    const response = await this.backend.delete(this.namespace, name);
    // the apiserver answers a custom resource's DELETE with a Status, not the object
    const deleted = response.metadata?.name === name ? (response as T) : before;
    if (deleted) this.cache.observe('DELETED', deleted);
  }
}
