import type { Logger } from 'pino';
import type { ConfigMap } from '../kube/configmaps';
import { isConflict, isNotFound } from '../kube/errors';
import { ResourceStore } from '../kube/resource-store';
import type { ResourceBackend } from '../kube/types';
import { LABELS } from '../kube/labels';
import { isRevoked, readRevocations, withRevoked, type Revocations } from './revocations';

const COMPONENT_LABEL = 'hubmesh.io/component';
const COMPONENT = 'session-revocations';
// each attempt re-reads the object; more conflicts in a row than this means something rewrites it in a loop
const MAX_ATTEMPTS = 8;

/**
 * How far the cache can be trusted: `synced` is current; `stale` holds what the watch last said while it
 * re-lists (a revocation made meanwhile may be missing); `unknown` has never listed.
 */
export type RevocationsFreshness = 'synced' | 'stale' | 'unknown';

/**
 * The revoked console sessions, shared by every replica through one ConfigMap `<prefix>-session-revocations`
 * in hubmesh's namespace: read from a watch cache, written with optimistic concurrency (a 409 re-reads the
 * object and tries again), pruned of expired entries on each write.
 */
export class SessionRevocationStore {
  readonly name: string;
  private readonly store: ResourceStore<ConfigMap>;
  private parsed: { from: ConfigMap | undefined; revocations: Revocations } = { from: undefined, revocations: readRevocations(undefined) };

  constructor(
    backend: ResourceBackend<ConfigMap>,
    private readonly namespace: string,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.name = `${prefix}-session-revocations`;
    this.store = new ResourceStore<ConfigMap>(backend, namespace, `${LABELS.managedBy}=hubmesh,${LABELS.prefix}=${prefix},${COMPONENT_LABEL}=${COMPONENT}`, log);
  }

  get cache() {
    return this.store.cache;
  }

  freshness(): RevocationsFreshness {
    if (this.store.cache.isSynced) return 'synced';
    return this.store.cache.status().lastSyncAt ? 'stale' : 'unknown';
  }

  /** Why the cache is not synced, for the 503 that says so; undefined while it is merely listing. */
  whyUnsynced(): string | undefined {
    const { lastError, lastErrorStatus } = this.store.cache.status();
    if (lastError === undefined) return undefined;
    return lastErrorStatus === 403 ? `hubmesh's Kubernetes identity may not read the ConfigMap ${this.name} (RBAC): ${lastError}` : lastError;
  }

  isRevoked(session: { sid: string; iat: number }): boolean {
    return isRevoked(this.current(), session);
  }

  /** Records the session as revoked until it expires. Throws a KubeError when the apiserver does not take it. */
  async revoke(session: { sid: string; iat: number; exp: number }): Promise<{ rotated: boolean }> {
    let current = this.store.cache.get(this.name);
    for (let attempt = 1; ; attempt++) {
      if (current && isRevoked(readRevocations(current.data), session)) return { rotated: false };
      const next = withRevoked(current?.data, session, Date.now());
      try {
        if (current) await this.store.replace({ ...current, data: next.data });
        else await this.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: this.name, labels: this.labels() }, data: next.data });
        if (next.rotated) this.log.warn({ event: 'session-revocations-rotated', configMap: this.name }, 'the session revocation list was full: every session issued until now has ended');
        return { rotated: next.rotated };
      } catch (error) {
        if (!isConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
        // writers that collided spread out, so that the next round does not collide the same way
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
        current = await this.store.backend.get(this.namespace, this.name).catch((e: unknown) => {
          if (isNotFound(e)) return undefined;
          throw e;
        });
      }
    }
  }

  private labels(): Record<string, string> {
    return { [LABELS.managedBy]: 'hubmesh', [LABELS.prefix]: this.prefix, [COMPONENT_LABEL]: COMPONENT };
  }

  /** The cached ConfigMap's revocations, parsed once per version of it. */
  private current(): Revocations {
    const object = this.store.cache.get(this.name);
    if (object !== this.parsed.from) {
      const revocations = readRevocations(object?.data);
      if (revocations.invalid.length > 0) this.log.warn({ configMap: this.name, keys: revocations.invalid.slice(0, 10) }, 'session revocations: entries that make no sense are ignored');
      this.parsed = { from: object, revocations };
    }
    return this.parsed.revocations;
  }
}
