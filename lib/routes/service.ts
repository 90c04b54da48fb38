import type { Logger } from 'pino';
import { isConflict, isKubeError, isNotFound } from '../kube/errors';
import type { ResourceStore } from '../kube/resource-store';
import type { VirtualService } from '../kube/virtualservices';
import { SERVICES_ENABLED_HINT } from './destination';
import { virtualServiceName } from './routespec';
import { parseTarget } from './target';
import {
  LABELS,
  renderRouteVirtualService,
  routeFromVirtualService,
  sameRoute,
  type Destination,
  type RenderContext,
  type RouteData,
  type RouteRecord,
} from './virtualservice';

/** A refusal the client can act on: 400 bad input, 404 unknown route, 409 name clash. */
export class RouteError extends Error {
  override name = 'RouteError';
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/** By name, for the reason given at isKubeError. */
export function isRouteError(error: unknown): error is RouteError {
  return error instanceof Error && error.name === 'RouteError' && typeof (error as RouteError).status === 'number';
}

export type RouteServiceDeps = {
  store: ResourceStore<VirtualService>;
  ctx: RenderContext;
  clusterDomain: string;
  /** The Service behind a pod or cluster IP, or undefined. */
  resolveIp: (ip: string, port: number) => Promise<Destination | undefined>;
  /** Waits (bounded) until the gateway serves the VirtualService; never throws. */
  waitUntilServed: (vs: VirtualService) => Promise<void>;
  log: Logger;
  now?: () => Date;
};

type Indexed = { name: string; json: string; lastActivityMs: number };

const MAX_CONFLICT_RETRIES = 5;

/**
 * The hub's routing table, kept as one VirtualService per route. Reads come from the watch cache
 * through an index kept up to date by the cache's change events; writes go to the apiserver only
 * when the route really changed.
 */
export class RouteService {
  private readonly byPath = new Map<string, Indexed>();
  private readonly pathByName = new Map<string, string>();
  private readonly now: () => Date;

  constructor(private readonly deps: RouteServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    for (const vs of deps.store.cache.list()) this.index(vs);
    deps.store.cache.subscribe((type, vs) => (type === 'DELETED' ? this.unindex(vs) : this.index(vs)));
  }

  get ready(): boolean {
    return this.deps.store.cache.isSynced;
  }

  get size(): number {
    return this.byPath.size;
  }

  /** GET /api/routes as a JSON string: { path: { ...data, last_activity } }, optionally only routes inactive since a date. */
  listJson(inactiveSince?: Date): string {
    const cutoff = inactiveSince?.getTime();
    const parts: string[] = [];
    for (const [path, entry] of this.byPath) {
      if (cutoff !== undefined && !(entry.lastActivityMs < cutoff)) continue;
      parts.push(`${JSON.stringify(path)}:${entry.json}`);
    }
    return `{${parts.join(',')}}`;
  }

  getJson(path: string): string | undefined {
    return this.byPath.get(path)?.json;
  }

  /** POST: create or update the route's VirtualService. Returns whether anything was written. */
  async upsert(path: string, body: unknown): Promise<{ written: boolean; name: string }> {
    const data = this.validateBody(body);
    const destination = await this.destinationOf(data.target);
    const name = virtualServiceName(this.deps.ctx.prefix, path);
    const record: RouteRecord = { path, data, lastActivity: this.now().toISOString() };
    const desired = renderRouteVirtualService(record, destination, this.deps.ctx);

    const cached = await this.current(name);
    if (cached) {
      this.assertSameRoute(cached, path);
      if (sameRoute(cached, desired)) return { written: false, name };
    }
    const written = cached ? await this.replace(desired, cached) : await this.create(desired);
    if (written) await this.deps.waitUntilServed(written);
    return { written: written !== undefined, name };
  }

  /** DELETE: remove the route's VirtualService; false when there is no such route. */
  async remove(path: string): Promise<boolean> {
    const name = virtualServiceName(this.deps.ctx.prefix, path);
    // the cache may not have seen another replica's write yet: on a miss, ask the apiserver
    const current = this.deps.store.cache.get(name) ?? (await this.fetch(name));
    if (!current || !this.isOurs(current)) return false;
    this.assertSameRoute(current, path);
    try {
      await this.deps.store.delete(name, current);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** The stored object: from the cache while it is synced, else (re-listing after an outage) from the apiserver. */
  private async current(name: string): Promise<VirtualService | undefined> {
    return this.deps.store.cache.isSynced ? this.deps.store.cache.get(name) : this.fetch(name);
  }

  private async fetch(name: string): Promise<VirtualService | undefined> {
    try {
      return await this.deps.store.backend.get(this.deps.store.namespace, name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  private validateBody(body: unknown): RouteData {
    const data = body === null ? {} : body;
    if (typeof data !== 'object' || Array.isArray(data)) throw new RouteError(400, 'body must be a JSON object');
    const target = (data as Record<string, unknown>).target;
    if (typeof target !== 'string') throw new RouteError(400, 'body.target must be a string such as "http://jupyter-alice:8888"');
    // last_activity is hubmesh's to keep, never part of the route's data
    const rest = { ...(data as Record<string, unknown>) };
    delete rest.last_activity;
    return rest as RouteData;
  }

  private async destinationOf(target: string): Promise<Destination> {
    const parsed = parseTarget(target, this.deps.ctx.namespace, this.deps.clusterDomain);
    if (!parsed.ok) throw new RouteError(400, parsed.error);
    const t = parsed.target;
    if (t.kind === 'host') return { host: t.host, port: t.port };
    const resolved = await this.deps.resolveIp(t.ip, t.port);
    if (!resolved) throw new RouteError(400, `target ${target} is an IP address that no Service in namespace ${this.deps.ctx.namespace} serves: ${SERVICES_ENABLED_HINT}`);
    return resolved;
  }

  private async create(desired: VirtualService): Promise<VirtualService | undefined> {
    try {
      return await this.deps.store.create(desired);
    } catch (error) {
      if (!isConflict(error)) throw this.explain(error);
      // another replica created it first
      return this.replace(desired, await this.deps.store.backend.get(this.deps.store.namespace, desired.metadata.name));
    }
  }

  /** Updates in place with optimistic concurrency; undefined when the stored object already matches. */
  private async replace(desired: VirtualService, current: VirtualService): Promise<VirtualService | undefined> {
    for (let attempt = 0; ; attempt++) {
      if (!this.isOurs(current)) {
        throw new RouteError(409, `VirtualService ${current.metadata.name} exists but is not managed by hubmesh (prefix ${this.deps.ctx.prefix}); refusing to overwrite it`);
      }
      if (sameRoute(current, desired)) return undefined;
      const next: VirtualService = {
        ...desired,
        metadata: {
          ...desired.metadata,
          resourceVersion: current.metadata.resourceVersion,
          // keep what others (overlays, tools) added; ours win
          labels: { ...current.metadata.labels, ...desired.metadata.labels },
          annotations: { ...current.metadata.annotations, ...desired.metadata.annotations },
        },
      };
      try {
        return await this.deps.store.replace(next);
      } catch (error) {
        if (!isConflict(error) || attempt >= MAX_CONFLICT_RETRIES) throw this.explain(error);
        current = await this.deps.store.backend.get(this.deps.store.namespace, desired.metadata.name);
      }
    }
  }

  private explain(error: unknown): unknown {
    if (isKubeError(error) && (error.status === 422 || error.status === 400)) {
      return new RouteError(400, `the apiserver refused the VirtualService: ${error.message}`);
    }
    return error;
  }

  private isOurs(vs: VirtualService): boolean {
    return vs.metadata.labels?.[LABELS.managedBy] === 'hubmesh' && vs.metadata.labels?.[LABELS.prefix] === this.deps.ctx.prefix;
  }

  private assertSameRoute(vs: VirtualService, path: string): void {
    const stored = routeFromVirtualService(vs)?.path;
    if (stored !== undefined && stored !== path) {
      throw new RouteError(409, `VirtualService ${vs.metadata.name} already holds route ${JSON.stringify(stored)}`);
    }
  }

  private index(vs: VirtualService): void {
    const route = routeFromVirtualService(vs);
    if (!route) return;
    const previous = this.pathByName.get(vs.metadata.name);
    if (previous !== undefined && previous !== route.path) this.byPath.delete(previous);
    this.pathByName.set(vs.metadata.name, route.path);
    this.byPath.set(route.path, {
      name: vs.metadata.name,
      json: JSON.stringify({ ...route.data, last_activity: route.lastActivity }),
      lastActivityMs: Date.parse(route.lastActivity),
    });
  }

  private unindex(vs: VirtualService): void {
    const path = this.pathByName.get(vs.metadata.name);
    if (path === undefined) return;
    this.pathByName.delete(vs.metadata.name);
    if (this.byPath.get(path)?.name === vs.metadata.name) this.byPath.delete(path);
  }
}
