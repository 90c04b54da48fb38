import type { Logger } from 'pino';
import { ApiError, isApiError } from '../api-error';
import { isConflict, isKubeError, isNotFound } from '../kube/errors';
import type { ResourceStore } from '../kube/resource-store';
import type { Service } from '../kube/services';
import type { VirtualService } from '../kube/virtualservices';
import { SERVICES_ENABLED_HINT } from './destination';
import { checkOverlays, editedOverlays, formatFieldErrors, parseOverlays, warnOverlays, type FieldError, type Overlays } from './overlays';
import type { NotebookDefaults } from './notebook-defaults';
import { RouteTree } from './route-tree';
import { dependents, hubApiPath, placementFor, type PlanInput, type TreeValue } from './routing-plan';
import { virtualServiceName } from './routespec';
import { parseTarget } from './target';
import {
  canonicalJson,
  overlaysFromVirtualService,
  primaryDestination,
  renderRouteVirtualService,
  routeFromVirtualService,
  sameRoute,
  type Destination,
  type RenderContext,
  type RouteData,
  type RouteRecord,
  type StoredRoute,
} from './virtualservice';
import { ANNOTATIONS, LABELS } from '../kube/labels';

export type RouteServiceDeps = {
  store: ResourceStore<VirtualService>;
  ctx: RenderContext;
  clusterDomain: string;
  /** The most a route's data may take as stored (UTF-8 bytes of its JSON): each route's data is held once in memory, in the watch cache. */
  maxRouteDataBytes: number;
  /** The Service behind a pod or cluster IP, or undefined. */
  resolveIp: (ip: string, port: number) => Promise<Destination | undefined>;
  /** Waits (bounded) until the gateway serves the VirtualService; never throws. */
  waitUntilServed: (vs: VirtualService) => Promise<void>;
  /**
   * The hub namespace's Services, which overlay destinations must be (e.g. the Services cache's list).
   * Without it (local mode, which has no Services) destinations are taken on trust.
   */
  services?: () => readonly Service[];
  log: Logger;
  now?: () => Date;
};

/** The index holds no copy of the route's data: replies are built from the cached object's annotations. */
type Indexed = { name: string; lastActivityMs: number };

/** GET /api/routes is streamed in pieces of about this many characters. */
const REPLY_CHUNK_CHARS = 64 * 1024;

/** What one write asked of the apiserver: whether the route's own object changed, and how many others (nested rules, host fallbacks) did. */
export type WriteOutcome = { written: boolean; name: string; dependentsWritten: number };

const MAX_CONFLICT_RETRIES = 5;

/** A change of a route's overlays: `after` is the apiserver's answer (with dryRun, what it would store); warnings are advice (see warnOverlays). */
export type OverlaysWritten = { before: VirtualService; after: VirtualService; warnings: FieldError[] };

/**
 * The hub's routing table, kept as one VirtualService per route. Reads come from the watch cache
 * through an index kept up to date by the cache's change events; writes go to the apiserver only
 * when the route really changed.
 */
export class RouteService {
  private readonly byPath = new Map<string, Indexed>();
  private readonly pathByName = new Map<string, string>();
  private readonly tree: RouteTree<TreeValue>;
  private readonly hubPaths = new Set<string>();
  private readonly now: () => Date;
  private readonly ctx: RenderContext;
  private readonly plan: PlanInput;
  private readonly changeListeners: Array<(path: string, ours: boolean) => void> = [];
  private readonly renderingListeners: Array<() => void> = [];
  /**
   * Names this replica is writing now, so its own changes are known as such. That is enough: a write's answer
   * is put in the cache before the call returns, and the watch's later event of the same revision changes nothing.
   */
  private readonly writing = new Map<string, number>();

  constructor(private readonly deps: RouteServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.ctx = { ...deps.ctx, clusterDomain: deps.clusterDomain };
    this.tree = new RouteTree(this.ctx.hostRouting);
    this.plan = { tree: this.tree, hubPaths: this.hubPaths, ctx: this.ctx, lookup: (path) => this.lookup(path) };
    for (const vs of deps.store.cache.list()) this.index(vs);
    deps.store.cache.subscribe((type, vs) => {
      const path = type === 'DELETED' ? this.unindex(vs) : this.index(vs);
      const ours = this.writing.has(vs.metadata.name);
      if (path !== undefined) for (const listener of this.changeListeners) listener(path, ours);
    });
  }

  /**
   * Every route renders differently from now on (the notebook defaults changed): the listeners (the leader's
   * reconciler) render every route again. Writes from here on render with them already.
   */
  setNotebookDefaults(defaults: NotebookDefaults): void {
    this.ctx.notebookDefaults = defaults;
    for (const listener of this.renderingListeners) listener();
  }

  onRenderingChange(listener: () => void): void {
    this.renderingListeners.push(listener);
  }

  /** Calls `listener` with the route path of every change the cache sees, and whether this replica made it (its dependents are then settled already). */
  onRouteChange(listener: (path: string, ours: boolean) => void): void {
    this.changeListeners.push(listener);
  }

  /** A write of this replica's to the object `name`, remembered as its own. */
  private async own<T>(name: string, call: () => Promise<T>): Promise<T> {
    this.writing.set(name, (this.writing.get(name) ?? 0) + 1);
    try {
      return await call();
    } finally {
      const left = (this.writing.get(name) ?? 1) - 1;
      if (left) this.writing.set(name, left);
      else this.writing.delete(name);
    }
  }

  get ready(): boolean {
    return this.deps.store.cache.isSynced;
  }

  /** The hub's API path below its own route: "/hub/api", or "/jupyter/hub/api" under a base URL. */
  hubApiPath(): string {
    return hubApiPath(this.plan);
  }

  /** Resolves true once the route cache is synced (false after `timeoutMs`). */
  waitUntilSynced(timeoutMs: number): Promise<boolean> {
    return this.deps.store.cache.waitForSync(timeoutMs);
  }

  get size(): number {
    return this.byPath.size;
  }

  /**
   * GET /api/routes as JSON text in pieces of about 64 KB: { path: { ...data, last_activity } },
   * optionally only routes inactive since a date. Routes removed while the reply is read are left out.
   */
  *listJsonChunks(inactiveSince?: Date): Generator<string> {
    const cutoff = inactiveSince?.getTime();
    const paths = [...this.byPath.keys()];
    let chunk = '{';
    let first = true;
    for (const path of paths) {
      const entry = this.byPath.get(path);
      if (!entry || (cutoff !== undefined && !(entry.lastActivityMs < cutoff))) continue;
      const json = this.getJson(path);
      if (json === undefined) continue;
      chunk += `${first ? '' : ','}${JSON.stringify(path)}:${json}`;
      first = false;
      if (chunk.length >= REPLY_CHUNK_CHARS) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}}`;
  }

  /** GET /api/routes/<path>: the route's data with its last_activity, as JSON text. */
  getJson(path: string): string | undefined {
    const entry = this.byPath.get(path);
    const annotations = entry && this.deps.store.cache.get(entry.name)?.metadata.annotations;
    const data = annotations?.[ANNOTATIONS.data];
    const lastActivity = annotations?.[ANNOTATIONS.lastActivity];
    return data === undefined ? undefined : withLastActivity(data, lastActivity ?? new Date(entry!.lastActivityMs).toISOString());
  }

  /**
   * POST: create or update the route's VirtualService. Returns whether anything was written. The hub
   * knows nothing of overlays, so they are taken from the stored object each time it is read.
   */
  async upsert(path: string, body: unknown): Promise<WriteOutcome> {
    const data = this.validateBody(body);
    const destination = await this.destinationOf(data.target);
    const name = virtualServiceName(this.deps.ctx.prefix, path);
    const record: RouteRecord = { path, data, lastActivity: this.now().toISOString() };
    const render = (stored: VirtualService | undefined) => this.renderOver(stored, record, destination);

    const cached = await this.current(name);
    if (cached) this.assertSameRoute(cached, path);
    // replace writes nothing when the stored object already says this
    const written = cached ? await this.replace(render, cached) : await this.create(render);
    // also when this route is unchanged: the hub's re-POSTs then mend what an interrupted write left behind
    const dependentsWritten = await this.settle(path);
    if (written) await this.deps.waitUntilServed(written);
    return { written: written !== undefined, name, dependentsWritten };
  }

  /**
   * Renders again every route whose object depends on the route at `path` (see routing-plan's dependents)
   * and writes those that differ. Answers how many were written.
   */
  async settle(path: string): Promise<number> {
    let writes = 0;
    for (const dependent of dependents(path, this.plan)) {
      if (dependent === path) continue;
      try {
        if (await this.rerender(dependent)) writes++;
      } catch (error) {
        // the apiserver refuses the dependent object itself (say, too large): the route that changed is
        // written and must not fail for it; HM1005 shows what that leaves. An outage still fails the call.
        if (!isApiError(error)) throw error;
        this.deps.log.error({ route: path, dependent, err: error.message }, 'routes: the apiserver refused a route that depends on this one');
      }
    }
    return writes;
  }

  /**
   * Renders every route again and writes those that differ: at start-up, objects written by an earlier
   * version of hubmesh take the current rendering, in place (same names, so no request finds no route).
   * Yields to the event loop between routes; stops early when `signal` aborts.
   */
  async reconcileAll(signal?: AbortSignal): Promise<{ routes: number; written: number; failed: number }> {
    const paths = [...this.byPath.keys()];
    let written = 0;
    let failed = 0;
    for (const path of paths) {
      if (signal?.aborted) break;
      try {
        if (await this.rerender(path)) written++;
      } catch (error) {
        failed++;
        this.deps.log.warn({ route: path, err: error instanceof Error ? error.message : String(error) }, 'routes: cannot render a route again');
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    return { routes: paths.length, written, failed };
  }

  /** Renders the stored route at `path` again from its own object; true when that changed the object. */
  private async rerender(path: string): Promise<boolean> {
    const name = this.tree.get(path)?.name;
    const current = name === undefined ? undefined : this.deps.store.cache.get(name);
    if (!current || !this.isOurs(current)) return false;
    const render = (stored: VirtualService) => {
      const found = storedRouteOf(stored);
      return found ? this.renderOver(stored, found.route, found.destination) : stored;
    };
    return (await this.replace(render, current)) !== undefined;
  }

  /** A stored route and its destination, for routes that carry its rules. */
  private lookup(path: string): { route: StoredRoute; destination: Destination } | undefined {
    const name = this.tree.get(path)?.name;
    const vs = name === undefined ? undefined : this.deps.store.cache.get(name);
    return vs && storedRouteOf(vs);
  }

  /**
   * Sets a route's overlays (`route` is its path or its VirtualService's name): the sections the overlays
   * editor sets (canary, selective rules) as `input` has them. The object is rendered again from its stored
   * route data and target, so only the overlays change; no overlays gives back exactly the plain route.
   * Previews are PreviewService's: the stored ones are kept whatever `input` says. `after` is the apiserver's answer: with dryRun, what it would store.
   * Unchanged overlays write nothing (after is before).
   */
  async setOverlays(route: string, input: Overlays, options: { dryRun?: boolean } = {}): Promise<OverlaysWritten> {
    const parsed = parseOverlays(input);
    if (!parsed.ok) throw new ApiError(400, 'invalid-input', formatFieldErrors(parsed.errors), { fields: parsed.errors });
    return this.updateOverlays(route, (stored) => editedOverlays(parsed.overlays, stored, 'overlays'), options);
  }

  /**
   * Read-modify-write of a route's overlays: `change` gets the stored overlays and route, and is applied
   * again to each fresh read after a 409, so concurrent changes to other overlays are never lost. It may
   * throw (an ApiError) to refuse. Only what `change` adds or alters is checked against the Services: an
   * overlay stored earlier whose Service has gone since must not block removing another one.
   */
  async updateOverlays(
    route: string,
    change: (stored: Overlays, route: StoredRoute) => Overlays,
    options: { dryRun?: boolean } = {},
  ): Promise<OverlaysWritten> {
    const byPath = route.startsWith('/');
    const name = byPath ? virtualServiceName(this.deps.ctx.prefix, route) : route;
    let current = (await this.current(name)) ?? (await this.fetch(name));
    for (let attempt = 0; ; attempt++) {
      const stored = current && this.isOurs(current) ? routeFromVirtualService(current) : undefined;
      if (!current || !stored) throw new ApiError(404, 'not-found', `no route ${byPath ? JSON.stringify(route) : `with VirtualService ${JSON.stringify(route)}`}`);
      if (byPath) this.assertSameRoute(current, route);
      const destination = primaryDestination(current);
      if (!destination) {
        throw new ApiError(409, 'conflict', `VirtualService ${name} has no "route" rule with a destination host and port to keep; the hub's next POST of ${stored.path} renders it again`);
      }
      const parsed = parseOverlays(change(stored.overlays, stored));
      if (!parsed.ok) throw new ApiError(400, 'invalid-input', formatFieldErrors(parsed.errors), { fields: parsed.errors });
      const overlays = parsed.overlays;
      const checkContext = { namespace: this.ctx.namespace, clusterDomain: this.deps.clusterDomain, services: this.deps.services?.(), current: destination, data: stored.data, now: this.now() };
      const errors = checkOverlays(overlays, checkContext).filter((error) => !storedAlready(error.field, overlays, stored.overlays));
      if (errors.length) throw new ApiError(400, 'invalid-input', formatFieldErrors(errors), { fields: errors });
      const warnings = warnOverlays(overlays, checkContext);
      const { path, data, lastActivity } = stored;
      const desired = renderRouteVirtualService({ path, data, lastActivity }, destination, this.ctx, overlays, placementFor(path, this.plan));
      if (sameRoute(current, desired)) return { before: current, after: current, warnings };
      const next = this.onto(desired, current);
      try {
        if (options.dryRun) return { before: current, after: await this.deps.store.patch(name, dryRunPatch(current, next), { type: 'merge', dryRun: true }), warnings };
        const after = await this.own(name, () => this.deps.store.replace(next));
        // the routes above carry this route's overlays too
        await this.settle(path);
        return { before: current, after, warnings };
      } catch (error) {
        if (!isConflict(error) || attempt >= MAX_CONFLICT_RETRIES) throw this.explain(error);
        current = await this.fetch(name);
      }
    }
  }

  /** DELETE: remove the route's VirtualService; false when there is no such route. */
  async remove(path: string): Promise<boolean> {
    const name = virtualServiceName(this.deps.ctx.prefix, path);
    // the cache may not have seen another replica's write yet: on a miss, ask the apiserver
    const current = this.deps.store.cache.get(name) ?? (await this.fetch(name));
    if (!current || !this.isOurs(current)) return false;
    this.assertSameRoute(current, path);
    try {
      await this.own(name, () => this.deps.store.delete(name, current));
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
    await this.settle(path);
    return true;
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
    if (typeof data !== 'object' || Array.isArray(data)) throw new ApiError(400, 'invalid-input', 'body must be a JSON object');
    const target = (data as Record<string, unknown>).target;
    if (typeof target !== 'string') throw new ApiError(400, 'invalid-input', 'body.target must be a string such as "http://jupyter-alice:8888"');
    // last_activity is hubmesh's to keep, never part of the route's data
    const rest = { ...(data as Record<string, unknown>) };
    delete rest.last_activity;
    const bytes = Buffer.byteLength(JSON.stringify(rest));
    if (bytes > this.deps.maxRouteDataBytes) {
      throw new ApiError(413, 'too-large', `route data is ${bytes} bytes as JSON; a route stores at most ${this.deps.maxRouteDataBytes} (HUBMESH_ROUTE_DATA_MAX_BYTES)`);
    }
    return rest as RouteData;
  }

  private async destinationOf(target: string): Promise<Destination> {
    const parsed = parseTarget(target, this.deps.ctx.namespace, this.deps.clusterDomain);
    if (!parsed.ok) throw new ApiError(400, 'invalid-input', parsed.error);
    const t = parsed.target;
    if (t.kind === 'host') return { host: t.host, port: t.port };
    const resolved = await this.deps.resolveIp(t.ip, t.port);
    if (!resolved) throw new ApiError(400, 'invalid-input', `target ${target} is an IP address that no Service in namespace ${this.deps.ctx.namespace} serves: ${SERVICES_ENABLED_HINT}`);
    return resolved;
  }

  /**
   * The route rendered with the overlays of the stored object. A malformed overlays annotation renders
   * as none and is kept as it is, for whoever edited it by hand to see and fix.
   */
  private renderOver(stored: VirtualService | undefined, record: RouteRecord, destination: Destination): VirtualService {
    // the route counts as it is about to be: a new hub route may be the root already on its first write
    const hubPaths = new Set(this.hubPaths);
    if (record.data.hub === true) hubPaths.add(record.path);
    else hubPaths.delete(record.path);
    const placement = placementFor(record.path, { ...this.plan, hubPaths });
    if (!stored) return renderRouteVirtualService(record, destination, this.ctx, undefined, placement);
    const { overlays, error } = overlaysFromVirtualService(stored);
    const desired = renderRouteVirtualService(record, destination, this.ctx, overlays, placement);
    if (error !== undefined) {
      this.deps.log.warn({ virtualService: stored.metadata.name, error }, 'route overlays ignored: malformed annotation');
      desired.metadata.annotations![ANNOTATIONS.overlays] = stored.metadata.annotations![ANNOTATIONS.overlays]!;
    }
    return desired;
  }

  private async create(render: (stored: VirtualService | undefined) => VirtualService): Promise<VirtualService | undefined> {
    const desired = render(undefined);
    try {
      return await this.own(desired.metadata.name, () => this.deps.store.create(desired));
    } catch (error) {
      if (!isConflict(error)) throw this.explain(error);
      // another replica created it first
      return this.replace(render, await this.deps.store.backend.get(this.deps.store.namespace, desired.metadata.name));
    }
  }

  /**
   * Updates in place with optimistic concurrency, rendering again from each fresh read, so overlays set
   * meanwhile are kept; undefined when the stored object already matches.
   */
  private async replace(render: (stored: VirtualService) => VirtualService, current: VirtualService): Promise<VirtualService | undefined> {
    for (let attempt = 0; ; attempt++) {
      if (!this.isOurs(current)) {
        throw new ApiError(409, 'conflict', `VirtualService ${current.metadata.name} exists but is not managed by hubmesh (prefix ${this.deps.ctx.prefix}); refusing to overwrite it`);
      }
      const desired = render(current);
      if (sameRoute(current, desired)) return undefined;
      try {
        return await this.own(desired.metadata.name, () => this.deps.store.replace(this.onto(desired, current)));
      } catch (error) {
        if (!isConflict(error) || attempt >= MAX_CONFLICT_RETRIES) throw this.explain(error);
        current = await this.deps.store.backend.get(this.deps.store.namespace, desired.metadata.name);
      }
    }
  }

  /**
   * `desired` as an update of `current`: labels and annotations others added (tools, people) are kept;
   * ours win, and one of ours that `desired` lacks (overlays turned off) goes.
   */
  private onto(desired: VirtualService, current: VirtualService): VirtualService {
    const ourAnnotations: string[] = Object.values(ANNOTATIONS);
    const othersAnnotations = Object.entries(current.metadata.annotations ?? {}).filter(([key]) => !ourAnnotations.includes(key));
    return {
      ...desired,
      metadata: {
        ...desired.metadata,
        resourceVersion: current.metadata.resourceVersion,
        labels: { ...current.metadata.labels, ...desired.metadata.labels },
        annotations: { ...Object.fromEntries(othersAnnotations), ...desired.metadata.annotations },
      },
    };
  }

  private explain(error: unknown): unknown {
    if (isKubeError(error) && (error.status === 422 || error.status === 400 || error.status === 413)) {
      return new ApiError(400, 'rejected', `the apiserver refused the VirtualService: ${error.message}`);
    }
    return error;
  }

  private isOurs(vs: VirtualService): boolean {
    return vs.metadata.labels?.[LABELS.managedBy] === 'hubmesh' && vs.metadata.labels?.[LABELS.prefix] === this.deps.ctx.prefix;
  }

  private assertSameRoute(vs: VirtualService, path: string): void {
    const stored = routeFromVirtualService(vs)?.path;
    if (stored !== undefined && stored !== path) {
      throw new ApiError(409, 'conflict', `VirtualService ${vs.metadata.name} already holds route ${JSON.stringify(stored)}`);
    }
  }

  private index(vs: VirtualService): string | undefined {
    const route = routeFromVirtualService(vs);
    if (!route) return undefined;
    const previous = this.pathByName.get(vs.metadata.name);
    if (previous !== undefined && previous !== route.path) this.forget(previous);
    this.pathByName.set(vs.metadata.name, route.path);
    this.tree.set(route.path, { name: vs.metadata.name, hub: route.data.hub === true });
    if (route.data.hub === true) this.hubPaths.add(route.path);
    else this.hubPaths.delete(route.path);
    this.byPath.set(route.path, { name: vs.metadata.name, lastActivityMs: Date.parse(route.lastActivity) });
    return route.path;
  }

  private unindex(vs: VirtualService): string | undefined {
    const path = this.pathByName.get(vs.metadata.name);
    if (path === undefined) return undefined;
    this.pathByName.delete(vs.metadata.name);
    if (this.byPath.get(path)?.name === vs.metadata.name) this.forget(path);
    return path;
  }

  private forget(path: string): void {
    this.byPath.delete(path);
    this.tree.delete(path);
    this.hubPaths.delete(path);
  }
}

/**
 * A route's reply from its stored data annotation (a JSON object without last_activity, as upsert
 * writes it) and its last_activity, without parsing the data again.
 */
export function withLastActivity(dataJson: string, lastActivity: string): string {
  const body = dataJson.trimEnd().slice(0, -1).trimEnd();
  return `${body}${body.trimStart() === '{' ? '' : ','}"last_activity":${JSON.stringify(lastActivity)}}`;
}

/** The route a VirtualService holds and where its own rule sends it, or undefined for an object that is not a whole route. */
function storedRouteOf(vs: VirtualService): { route: StoredRoute; destination: Destination } | undefined {
  const route = routeFromVirtualService(vs);
  const destination = primaryDestination(vs);
  return route && destination ? { route, destination } : undefined;
}

/**
 * Whether a checkOverlays error is about a section's value (or an item of a section's list, such as
 * "rules[1]") that is stored exactly so already: what was accepted once (a destination whose Service has
 * gone since, a fault that has expired) must not block changing another section.
 */
function storedAlready(field: string, next: Overlays, stored: Overlays): boolean {
  const about = /^(\w+)(?:\[(\d+)\])?(?:\.|$)/.exec(field);
  if (!about) return false;
  const [, key, index] = about;
  const value: unknown = (next as Record<string, unknown>)[key!];
  const storedValue: unknown = (stored as Record<string, unknown>)[key!];
  if (index === undefined) return value !== undefined && canonicalJson(value) === canonicalJson(storedValue);
  if (!Array.isArray(value)) return false;
  const json = canonicalJson(value[Number(index)]);
  return Array.isArray(storedValue) && storedValue.some((s) => canonicalJson(s) === json);
}

/**
 * The merge patch (RFC 7386) that turns `current` into `next` where hubmesh writes (labels, annotations,
 * spec), with `current`'s resourceVersion as precondition: a replace, as a dry run can send it.
 */
function dryRunPatch(current: VirtualService, next: VirtualService): unknown {
  const ours = (vs: VirtualService) => ({ metadata: { labels: vs.metadata.labels ?? {}, annotations: vs.metadata.annotations ?? {} }, spec: vs.spec });
  const patch = mergePatchFrom(ours(current), ours(next)) as { metadata?: Record<string, unknown> };
  return { ...patch, metadata: { ...patch.metadata, resourceVersion: current.metadata.resourceVersion } };
}

function mergePatchFrom(from: unknown, to: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(from) || !isObject(to)) return to;
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(from)) if (!(key in to)) patch[key] = null;
  for (const [key, value] of Object.entries(to)) {
    if (canonicalJson(from[key]) !== canonicalJson(value)) patch[key] = mergePatchFrom(from[key], value);
  }
  return patch;
}
