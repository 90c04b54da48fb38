import type { Logger } from 'pino';
import { referenceTo, type ChangePipeline, type ChangeRecord } from '../changes/pipeline';
import { isKubeError, isNotFound } from '../kube/errors';
import { Informer } from '../kube/informer';
import { httpRouteKind } from '../kube/httproutes';
import { namespaceKind } from '../kube/namespaces';
import type { Service } from '../kube/services';
import type { KindDescriptor, ResourceBackend } from '../kube/types';
import { virtualServiceKind } from '../kube/virtualservices';
import { formatFieldErrors, type FieldError, type Overlays } from './overlays';
import { isHttpRoute, routeObjectDestination, routeObjectStatus, type RouteObject, type RouteObjects } from './route-objects';
import { overlaysFromObject, routeFromObject, type Destination, type StoredRoute } from './virtualservice';

/** The kind the other backend stores routes as: what a migration to `objects` moves away from. */
export const otherRouteKind = (objects: Pick<RouteObjects, 'api'>): KindDescriptor => (objects.api === 'httproute' ? virtualServiceKind : httpRouteKind);

/** One route stored as the old kind, and what it becomes as the new kind. */
export type MigrationStep = {
  /** the object's name: the same for both kinds (virtualServiceName of the path) */
  name: string;
  route: StoredRoute;
  destination: Destination;
  /** the overlays the new kind stores */
  overlays: Overlays;
  /** what the new kind cannot hold, left out of `overlays` */
  dropped: FieldError[];
};

/** The section an overlay field error is about: "retries", "canary" of "canary.destination.subset", "rules" of "rules[1].destination". */
const sectionOf = (field: string): string => /^\w+/.exec(field)?.[0] ?? field;

/** The overlays without every section the target kind refuses (see RouteObjects.unavailable), and why each went. */
export function withoutUnavailable(overlays: Overlays, unavailable: (overlays: Overlays) => FieldError[]): { overlays: Overlays; dropped: FieldError[] } {
  const dropped = unavailable(overlays);
  const sections = new Set(dropped.map((error) => sectionOf(error.field)));
  const kept = Object.fromEntries(Object.entries(overlays).filter(([key]) => !sections.has(key))) as Overlays;
  return { overlays: kept, dropped };
}

/**
 * What each stored object of the old kind becomes. Objects that hold no whole route (no route annotations, or no
 * destination the old kind can say) are left out with the reason: they stay as they are.
 */
export function migrationSteps(
  old: readonly RouteObject[],
  target: Pick<RouteObjects, 'unavailable' | 'complete'>,
  context: { clusterDomain: string; services: readonly Service[] | undefined },
): { steps: MigrationStep[]; skipped: Array<{ name: string; reason: string }> } {
  const steps: MigrationStep[] = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  for (const object of old) {
    const name = object.metadata.name;
    const route = routeFromObject(object);
    const destination = routeObjectDestination(object, context.clusterDomain);
    if (!route || !destination) {
      skipped.push({ name, reason: route ? 'it has no rule with a destination host and port' : 'it holds no route (route annotations missing or malformed)' });
      continue;
    }
    const { overlays, error } = overlaysFromObject(object);
    const completed = withoutUnavailable(target.complete(overlays, context.services), target.unavailable);
    // a malformed annotation (edited by hand) reads as no overlays: say so rather than lose it silently
    const unreadable = error === undefined ? [] : [{ field: 'overlays', message: error }];
    steps.push({ name, route, destination, overlays: completed.overlays, dropped: [...unreadable, ...completed.dropped] });
  }
  return { steps, skipped };
}

/** What RouteService.adopt did with a step: created the new object, found one there already, or left the route out because the hub deleted it. */
export type Adopted = 'created' | 'present' | 'withdrawn';

export type RouteMigrationDeps = {
  /** the kind routes were stored as before (the other backend), read and deleted through its REST backend */
  previous: { kind: KindDescriptor; backend: ResourceBackend<RouteObject> };
  namespace: string;
  /** hubmesh's label selector (managedSelector(prefix)) */
  selector: string;
  /** the kind routes are stored as now */
  target: Pick<RouteObjects, 'kind' | 'unavailable' | 'complete' | 'inForce'>;
  routes: { adopt(step: MigrationStep, stillWanted: () => Promise<boolean>): Promise<Adopted> };
  /** the new kind's stored object, from the route cache */
  current: (name: string) => RouteObject | undefined;
  services?: () => readonly Service[];
  clusterDomain: string;
  changes: Pick<ChangePipeline, 'record'>;
  log: Logger;
  /** how long the leader waits for the new objects to be in force before it leaves the old ones in place */
  inForceTimeoutMs?: number;
  pollMs?: number;
};

export type MigrationResult = { found: number; created: number; present: number; withdrawn: number; failed: number; removed: number; kept: number; dropped: number };

export const MIGRATION_ACTOR = 'hubmesh-route-migration';

/**
 * Moves the hub's routes from the other backend's kind to this one, on the leader of the routes lease: every old
 * object gets its new twin (unless the route is there already, or the hub deleted it meanwhile), the leader waits
 * until the new objects are in force, then deletes the old ones. Until then both kinds route, so no request finds
 * no route. Every replica knows whether old objects may still exist (`mayHaveOld`): a hub DELETE then removes the
 * old twin too, so the old kind never keeps routing a route the hub deleted.
 */
export class RouteMigration {
  private oldMayExist: Promise<boolean>;
  /** the old kind's objects, watched while some were found at start: GET lists their routes until they are migrated */
  private old: Informer<RouteObject> | undefined;
  private looked = false;

  constructor(private readonly deps: RouteMigrationDeps) {
    this.oldMayExist = this.list().then(
      (old) => {
        this.looked = true;
        if (!old?.length) return false;
        this.watchOld();
        return true;
      },
      () => {
        this.looked = true;
        return true;
      },
    );
  }

  private watchOld(): void {
    this.old ??= new Informer(this.deps.previous.backend, this.deps.namespace, this.deps.selector, this.deps.log.child({ cache: `${this.deps.previous.kind.plural} (migrating)` }));
    this.old.start();
  }

  /** Whether the old kind's routes are known (none, or their cache synced): until then GET may lack them. */
  get synced(): boolean {
    return this.looked && (this.old?.isSynced ?? true);
  }

  /** The old kind's stored object of `name`, while a migration is pending. */
  oldObject(name: string): RouteObject | undefined {
    return this.old?.get(name);
  }

  /** The old kind's stored objects, while a migration is pending. */
  oldObjects(): RouteObject[] {
    return this.old?.list() ?? [];
  }

  private get previousName(): string {
    return this.deps.previous.kind.kind;
  }

  /** hubmesh's objects of the old kind; undefined when this identity may not read that kind or it is not installed. */
  private async list(): Promise<RouteObject[] | undefined> {
    try {
      return (await this.deps.previous.backend.list(this.deps.namespace, this.deps.selector)).items;
    } catch (error) {
      if (isKubeError(error) && (error.status === 403 || error.status === 404)) {
        this.deps.log.info({ kind: this.previousName, status: error.status }, `routes: no ${this.previousName} to migrate from (${error.status === 403 ? 'not allowed to read them: the chart grants it with config.migrateFrom' : 'the kind is not installed'})`);
        return undefined;
      }
      throw error;
    }
  }

  /** A hub DELETE of `name`: removes its old-kind object while a migration may be pending; true when there was one. */
  async removeOld(name: string): Promise<boolean> {
    if (!(await this.oldMayExist)) return false;
    try {
      await this.deps.previous.backend.delete(this.deps.namespace, name);
      // read-your-writes: GET stops listing it now, not when the watch tells
      const known = this.old?.get(name);
      if (known) this.old?.observe('DELETED', known);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      if (isKubeError(error) && error.status === 403) {
        // this identity cannot touch the old kind, so no migration of it runs either
        this.oldMayExist = Promise.resolve(false);
        return false;
      }
      throw error;
    }
  }

  private async oldExists(name: string): Promise<boolean> {
    try {
      await this.deps.previous.backend.get(this.deps.namespace, name);
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** The leader's migration: undefined when there was nothing to migrate. */
  async run(signal: AbortSignal): Promise<MigrationResult | undefined> {
    const old = await this.list();
    if (!old?.length) {
      this.oldMayExist = Promise.resolve(false);
      return undefined;
    }
    this.oldMayExist = Promise.resolve(true);
    // the replica's first look may have failed (the apiserver away at start): GET needs the old routes meanwhile
    this.watchOld();
    const { log } = this.deps;
    const target = this.deps.target.kind.kind;
    const { steps, skipped } = migrationSteps(old, this.deps.target, { clusterDomain: this.deps.clusterDomain, services: this.deps.services?.() });
    log.info({ from: this.previousName, to: target, routes: steps.length }, `routes: migrating ${steps.length} routes from ${this.previousName} to ${target}`);
    for (const { name, reason } of skipped) log.warn({ routeObject: name, from: this.previousName }, `routes: migration: ${this.previousName} ${name}: ${reason}`);

    const result: MigrationResult = { found: old.length, created: 0, present: 0, withdrawn: 0, failed: 0, removed: 0, kept: 0, dropped: 0 };
    const adopted: MigrationStep[] = [];
    for (const step of steps) {
      if (signal.aborted) return undefined;
      try {
        const outcome = await this.deps.routes.adopt(step, () => this.oldExists(step.name));
        result[outcome]++;
        if (outcome === 'withdrawn') continue;
        adopted.push(step);
        if (outcome === 'created' && step.dropped.length) {
          result.dropped++;
          await this.audit(this.droppedRecord(step), log);
        }
      } catch (error) {
        result.failed++;
        log.warn({ route: step.route.path, err: error instanceof Error ? error.message : String(error) }, `routes: migration: cannot write the ${target} of a route; its ${this.previousName} stays`);
      }
    }

    const inForce = await this.waitInForce(adopted, signal);
    if (signal.aborted) return undefined;
    for (const step of adopted) {
      if (!inForce.has(step.name)) {
        result.kept++;
        continue;
      }
      try {
        await this.deps.previous.backend.delete(this.deps.namespace, step.name);
        result.removed++;
      } catch (error) {
        if (isNotFound(error)) continue;
        result.kept++;
        log.warn({ route: step.route.path, err: error instanceof Error ? error.message : String(error) }, `routes: migration: cannot delete the old ${this.previousName}`);
      }
    }
    const left = result.kept + result.failed + skipped.length;
    if (!left) {
      this.oldMayExist = Promise.resolve(false);
      this.old?.stop();
      this.old = undefined;
    }
    log.info({ from: this.previousName, to: target, ...result }, left ? `routes: migration left ${left} ${this.previousName}s in place; the next leader start tries again` : 'routes: migration finished');
    await this.audit(this.summaryRecord(result, target), log);
    return result;
  }

  /**
   * The names among `steps` whose new object is in force (or gone: the hub deleted the route, and with it the
   * old object), waiting up to the timeout. What is not in force by then keeps its old object.
   */
  private async waitInForce(steps: MigrationStep[], signal: AbortSignal): Promise<Set<string>> {
    const timeoutMs = this.deps.inForceTimeoutMs ?? 120_000;
    const pollMs = this.deps.pollMs ?? 500;
    const deadline = Date.now() + timeoutMs;
    const done = new Set<string>();
    for (;;) {
      for (const { name } of steps) {
        const current = this.deps.current(name);
        if (!current || this.confirmed(current)) done.add(name);
      }
      if (done.size === steps.length || signal.aborted) return done;
      if (Date.now() >= deadline) {
        this.deps.log.warn({ waiting: steps.length - done.size, timeoutMs }, `routes: migration: ${steps.length - done.size} new ${this.deps.target.kind.kind}s not in force in time; their ${this.previousName}s stay`);
        return done;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /**
   * Whether the mesh serves the new object. An HTTPRoute always gets its Gateway controller's status; a VirtualService
   * gets istiod's Reconciled condition only with config distribution tracking on, so one without any status counts
   * as served once stored (the same trust HUBMESH_READINESS=none gives every write).
   */
  private confirmed(object: RouteObject): boolean {
    if (isHttpRoute(object)) return this.deps.target.inForce(object);
    return routeObjectStatus(object).inForce ?? true;
  }

  private droppedRecord(step: MigrationStep): ChangeRecord {
    const sections = [...new Set(step.dropped.map((error) => sectionOf(error.field)))].join(', ');
    return {
      action: 'MigrateRoute',
      regarding: referenceTo(this.deps.target.kind, { namespace: this.deps.namespace, name: step.name }),
      reason: 'OverlaysDropped',
      type: 'Warning',
      note: `route ${step.route.path}: left out of its ${this.deps.target.kind.kind}: ${sections} (${formatFieldErrors(step.dropped)})`,
    };
  }

  private summaryRecord(result: MigrationResult, target: string): ChangeRecord {
    return {
      action: 'MigrateRoutes',
      regarding: referenceTo(namespaceKind, { namespace: '', name: this.deps.namespace }),
      reason: result.kept || result.failed ? 'MigrationIncomplete' : 'MigrationFinished',
      type: result.kept || result.failed ? 'Warning' : 'Normal',
      note:
        `${result.found} ${this.previousName}s found: ${result.created} ${target}s created, ${result.present} present already, ` +
        `${result.withdrawn} deleted by the hub meanwhile, ${result.failed} failed; ${result.removed} ${this.previousName}s deleted, ${result.kept} kept; ` +
        `${result.dropped} routes lost overlays ${target} cannot hold`,
    };
  }

  private async audit(record: ChangeRecord, log: Logger): Promise<void> {
    const audit = await this.deps.changes.record(MIGRATION_ACTOR, record).catch((error: unknown) => ({ recorded: false as const, error: error instanceof Error ? error.message : String(error) }));
    if (audit && !audit.recorded) log.warn({ action: record.action, err: audit.error }, 'routes: migration: cannot record the audit Event');
    if (record.type === 'Warning') log.warn({ action: record.action, object: record.regarding.name }, `routes: migration: ${record.note}`);
  }
}
