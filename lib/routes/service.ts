import type { Logger } from 'pino';
import { ApiError, isApiError } from '../api-error';
import { isConflict, isKubeError, isNotFound } from '../kube/errors';
import type { ResourceStore } from '../kube/resource-store';
import type { Service } from '../kube/services';
import { SERVICES_ENABLED_HINT } from './destination';
import { checkOverlays, editedOverlays, formatFieldErrors, NO_OVERLAYS, parseOverlays, warnOverlays, type FieldError, type Overlays } from './overlays';
import type { NotebookDefaults } from './notebook-defaults';
import { RouteTree } from './route-tree';
import type { RouteObject, RouteObjects } from './route-objects';
import type { Adopted, MigrationStep } from './route-migration';
import { hubApiPath, type PlanInput, type TreeValue } from './routing-plan';
import { virtualServiceName } from './routespec';
import { parseTarget } from './target';
import {
  canonicalJson,
  overlaysFromObject,
  routeFromObject,
  sameRoute,
  type Destination,
  type RenderContext,
  type RouteData,
  type RouteRecord,
  type StoredRoute,
} from './virtualservice';
import { ANNOTATIONS, LABELS } from '../kube/labels';

export type RouteServiceDeps<T extends RouteObject> = {
  store: ResourceStore<T>;
  /** the kind routes are stored as (HUBMESH_ROUTE_API) */
  objects: RouteObjects<T>;
  ctx: RenderContext;
  clusterDomain: string;
  /** The most a route's data may take as stored (UTF-8 bytes of its JSON): each route's data is held once in memory, in the watch cache. */
  maxRouteDataBytes: number;
  /** The Service behind a pod or cluster IP, or undefined. */
  resolveIp: (ip: string, port: number) => Promise<Destination | undefined>;
  /** Waits (bounded) until the gateway serves the route object; never throws. */
  waitUntilServed: (object: T) => Promise<void>;
  /**
   * The hub namespace's Services, which overlay destinations must be (e.g. the Services cache's list).
   * Without it (local mode, which has no Services) destinations are taken on trust.
   */
  services?: () => readonly Service[];
  /**
   * The other backend's twin of a route, while a migration between the backends may be pending (route-migration.ts):
   * a DELETE removes it first, so the old kind never routes a route the hub deleted.
   */
  previous?: {
    removeOld(name: string): Promise<boolean>;
    /** the other kind's objects not migrated yet: GET lists their routes meanwhile, read-only */
    oldObject(name: string): RouteObject | undefined;
    oldObjects(): RouteObject[];
    readonly synced: boolean;
  };
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
export type OverlaysWritten<T extends RouteObject = RouteObject> = { before: T; after: T; warnings: FieldError[] };

/**
 * The hub's routing table, kept as one route object per route (a VirtualService or an HTTPRoute, see
 * route-objects.ts). Reads come from the watch cache through an index kept up to date by the cache's change
 * events; writes go to the apiserver only when the route really changed.
 */
export class RouteService<T extends RouteObject = RouteObject> {
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

  constructor(private readonly deps: RouteServiceDeps<T>) {
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
    return this.deps.store.cache.isSynced && (this.deps.previous?.synced ?? true);
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
    const paths = [...this.byPath.keys(), ...this.unmigrated().filter((route) => !this.byPath.has(route.path)).map((route) => route.path)];
    let chunk = '{';
    let first = true;
    for (const path of paths) {
      const entry = this.byPath.get(path) ?? this.unmigratedEntry(path);
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
    const entry = this.byPath.get(path) ?? this.unmigratedEntry(path);
    const annotations = entry && (this.deps.store.cache.get(entry.name) ?? this.deps.previous?.oldObject(entry.name))?.metadata.annotations;
    const data = annotations?.[ANNOTATIONS.data];
    const lastActivity = annotations?.[ANNOTATIONS.lastActivity];
    return data === undefined ? undefined : withLastActivity(data, lastActivity ?? new Date(entry!.lastActivityMs).toISOString());
  }

  /** The routes still stored as the other kind only (a migration is pending), as their objects say. */
  private unmigrated(): StoredRoute[] {
    const routes: StoredRoute[] = [];
    for (const object of this.deps.previous?.oldObjects() ?? []) {
      const route = this.isOurs(object as T) ? routeFromObject(object) : undefined;
      if (route) routes.push(route);
    }
    return routes;
  }

  /** A route of the other kind's that this kind does not hold yet, for GET. */
  private unmigratedEntry(path: string): Indexed | undefined {
    const name = virtualServiceName(this.deps.ctx.prefix, path);
    const object = this.deps.previous?.oldObject(name);
    const route = object && this.isOurs(object as T) ? routeFromObject(object) : undefined;
    return route?.path === path ? { name, lastActivityMs: Date.parse(route.lastActivity) } : undefined;
  }

  /**
   * POST: create or update the route's object. Returns whether anything was written. The hub
   * knows nothing of overlays, so they are taken from the stored object each time it is read.
   */
  async upsert(path: string, body: unknown): Promise<WriteOutcome> {
    const data = this.validateBody(body);
    const destination = await this.destinationOf(data.target);
    const name = virtualServiceName(this.deps.ctx.prefix, path);
    const record: RouteRecord = { path, data, lastActivity: this.now().toISOString() };
    const render = (stored: T | undefined) => this.renderOver(stored, record, destination);

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
    for (const dependent of this.deps.objects.dependents(path, this.plan)) {
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
    const render = (stored: T) => {
      const found = this.storedRouteOf(stored);
      return found ? this.renderOver(stored, found.route, found.destination) : stored;
    };
    return (await this.replace(render, current)) !== undefined;
  }

  /** A stored route and its destination, for routes that carry its rules. */
  private lookup(path: string): { route: StoredRoute; destination: Destination } | undefined {
    const name = this.tree.get(path)?.name;
    const vs = name === undefined ? undefined : this.deps.store.cache.get(name);
    return vs && this.storedRouteOf(vs);
  }

  /**
   * Sets a route's overlays (`route` is its path or its object's name): the sections the overlays
   * editor sets (canary, selective rules) as `input` has them. The object is rendered again from its stored
   * route data and target, so only the overlays change; no overlays gives back exactly the plain route.
   * Previews are PreviewService's: the stored ones are kept whatever `input` says. `after` is the apiserver's answer: with dryRun, what it would store.
   * Unchanged overlays write nothing (after is before).
   */
  async setOverlays(route: string, input: Overlays, options: { dryRun?: boolean } = {}): Promise<OverlaysWritten<T>> {
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
  ): Promise<OverlaysWritten<T>> {
    const byPath = route.startsWith('/');
    const name = byPath ? virtualServiceName(this.deps.ctx.prefix, route) : route;
    let current = (await this.current(name)) ?? (await this.fetch(name));
    for (let attempt = 0; ; attempt++) {
      const stored = current && this.isOurs(current) ? routeFromObject(current) : undefined;
      if (!current || !stored) throw new ApiError(404, 'not-found', `no route ${byPath ? JSON.stringify(route) : `with ${this.kindName} ${JSON.stringify(route)}`}`);
      if (byPath) this.assertSameRoute(current, route);
      const destination = this.deps.objects.destination(current);
      if (!destination) {
        throw new ApiError(409, 'conflict', `${this.kindName} ${name} has no "route" rule with a destination host and port to keep; the hub's next POST of ${stored.path} renders it again`);
      }
      const parsed = parseOverlays(change(stored.overlays, stored));
      if (!parsed.ok) throw new ApiError(400, 'invalid-input', formatFieldErrors(parsed.errors), { fields: parsed.errors });
      const services = this.deps.services?.();
      const overlays = this.deps.objects.complete(parsed.overlays, services);
      const checkContext = { namespace: this.ctx.namespace, clusterDomain: this.deps.clusterDomain, services, current: destination, data: stored.data, now: this.now() };
      const errors = [...checkOverlays(overlays, checkContext), ...this.deps.objects.unavailable(overlays)].filter((error) => !storedAlready(error.field, overlays, stored.overlays));
      if (errors.length) throw new ApiError(400, 'invalid-input', formatFieldErrors(errors), { fields: errors });
      const warnings = warnOverlays(overlays, checkContext);
      const { path, data, lastActivity } = stored;
      const desired = this.render({ path, data, lastActivity }, destination, overlays, this.plan);
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

  /** DELETE: remove the route's object (and its old-kind twin during a migration); false when there is no such route. */
  async remove(path: string): Promise<boolean> {
    const name = virtualServiceName(this.deps.ctx.prefix, path);
    // the old twin first: a migration that adopts the route meanwhile sees it gone and withdraws its new object
    const removedOld = (await this.deps.previous?.removeOld(name)) ?? false;
    // the cache may not have seen another replica's write yet: on a miss, ask the apiserver
    const current = this.deps.store.cache.get(name) ?? (await this.fetch(name));
    if (!current || !this.isOurs(current)) return removedOld;
    this.assertSameRoute(current, path);
    try {
      await this.own(name, () => this.deps.store.delete(name, current));
    } catch (error) {
      if (isNotFound(error)) return removedOld;
      throw error;
    }
    await this.settle(path);
    return true;
  }

  /**
   * A migration's step (route-migration.ts): creates the route's object of this kind from the old kind's, unless
   * there is one already (the hub POSTed the route meanwhile: its write wins). `stillWanted` says whether the old
   * object still exists; asked before and after the create, so a hub DELETE that removed the old object meanwhile
   * never comes back as a new one.
   */
  async adopt(step: MigrationStep, stillWanted: () => Promise<boolean>): Promise<Adopted> {
    const { path, data, lastActivity } = step.route;
    const name = virtualServiceName(this.deps.ctx.prefix, path);
    if ((await this.current(name)) ?? (await this.fetch(name))) return 'present';
    if (!(await stillWanted())) return 'withdrawn';
    const record: RouteRecord = { path, data, lastActivity };
    const desired = this.render(record, step.destination, step.overlays, this.planFor(record));
    let created: T;
    try {
      created = await this.own(name, () => this.deps.store.create(desired));
    } catch (error) {
      if (isConflict(error)) return 'present';
      throw this.explain(error);
    }
    if (!(await stillWanted())) {
      try {
        // only the version created here: a hub POST since then wins
        await this.own(name, () => this.deps.store.backend.delete(this.deps.store.namespace, name, { resourceVersion: created.metadata.resourceVersion }));
        this.deps.store.cache.observe('DELETED', created);
        return 'withdrawn';
      } catch (error) {
        if (isNotFound(error)) return 'withdrawn';
        if (!isConflict(error)) throw error;
      }
    }
    await this.settle(path);
    return 'created';
  }

  /** The stored object: from the cache while it is synced, else (re-listing after an outage) from the apiserver. */
  private async current(name: string): Promise<T | undefined> {
    return this.deps.store.cache.isSynced ? this.deps.store.cache.get(name) : this.fetch(name);
  }

  private async fetch(name: string): Promise<T | undefined> {
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
  private renderOver(stored: T | undefined, record: RouteRecord, destination: Destination): T {
    const plan = this.planFor(record);
    if (!stored) return this.render(record, destination, NO_OVERLAYS, plan);
    const { overlays, error } = overlaysFromObject(stored);
    const desired = this.render(record, destination, overlays, plan);
    if (error !== undefined) {
      this.deps.log.warn({ routeObject: stored.metadata.name, error }, 'route overlays ignored: malformed annotation');
      desired.metadata.annotations![ANNOTATIONS.overlays] = stored.metadata.annotations![ANNOTATIONS.overlays]!;
    }
    return desired;
  }

  /** The plan with the route counted as it is about to be: a new hub route may be the root already on its first write. */
  private planFor(record: RouteRecord): PlanInput {
    const hubPaths = new Set(this.hubPaths);
    if (record.data.hub === true) hubPaths.add(record.path);
    else hubPaths.delete(record.path);
    return { ...this.plan, hubPaths };
  }

  /** The route's object, refused (400) when it would not fit its kind's limits. */
  private render(record: RouteRecord, destination: Destination, overlays: Overlays, plan: PlanInput): T {
    const rendered = this.deps.objects.render(record, destination, overlays, plan);
    const over = this.deps.objects.unstorable(rendered);
    if (over !== undefined) throw new ApiError(400, 'invalid-input', `route ${JSON.stringify(record.path)} cannot be stored as an ${this.kindName}: ${over}`);
    return rendered;
  }

  private get kindName(): string {
    return this.deps.objects.kind.kind;
  }

  private async create(render: (stored: T | undefined) => T): Promise<T | undefined> {
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
  private async replace(render: (stored: T) => T, current: T): Promise<T | undefined> {
    for (let attempt = 0; ; attempt++) {
      if (!this.isOurs(current)) {
        throw new ApiError(409, 'conflict', `${this.kindName} ${current.metadata.name} exists but is not managed by hubmesh (prefix ${this.deps.ctx.prefix}); refusing to overwrite it`);
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
  private onto(desired: T, current: T): T {
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
      return new ApiError(400, 'rejected', `the apiserver refused the ${this.kindName}: ${error.message}`);
    }
    return error;
  }

  private isOurs(vs: T): boolean {
    return vs.metadata.labels?.[LABELS.managedBy] === 'hubmesh' && vs.metadata.labels?.[LABELS.prefix] === this.deps.ctx.prefix;
  }

  private assertSameRoute(vs: T, path: string): void {
    const stored = routeFromObject(vs)?.path;
    if (stored !== undefined && stored !== path) {
      throw new ApiError(409, 'conflict', `${this.kindName} ${vs.metadata.name} already holds route ${JSON.stringify(stored)}`);
    }
  }

  private index(vs: T): string | undefined {
    const route = routeFromObject(vs);
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

  private unindex(vs: T): string | undefined {
    const path = this.pathByName.get(vs.metadata.name);
    if (path === undefined) return undefined;
    this.pathByName.delete(vs.metadata.name);
    if (this.byPath.get(path)?.name === vs.metadata.name) this.forget(path);
    return path;
  }

  /** The route an object holds and where its own rule sends it, or undefined for an object that is not a whole route. */
  private storedRouteOf(object: T): { route: StoredRoute; destination: Destination } | undefined {
    const route = routeFromObject(object);
    const destination = this.deps.objects.destination(object);
    return route && destination ? { route, destination } : undefined;
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
function dryRunPatch(current: RouteObject, next: RouteObject): unknown {
  const ours = (vs: RouteObject) => ({ metadata: { labels: vs.metadata.labels ?? {}, annotations: vs.metadata.annotations ?? {} }, spec: vs.spec });
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
