import type { Logger } from 'pino';
import { isConflict, isNotFound, toKubeError } from '../kube/errors';
import type { ResourceStore } from '../kube/resource-store';
import { promqlString } from '../telemetry/promql';
import { isHttpRoute, type RouteObject } from '../routes/route-objects';
import { routeFromObject } from '../routes/virtualservice';
import { ANNOTATIONS } from '../kube/labels';

export type ServiceRef = { namespace: string; name: string };

/** "<namespace>/<name>", the key of a ServiceActivity. */
export const serviceKey = (service: ServiceRef) => `${service.namespace}/${service.name}`;

/** Services that had requests, by serviceKey, each with the end of the window in which they had them. */
export type ServiceActivity = Map<string, Date>;

/** Where real traffic is seen: in production Prometheus' Istio telemetry (see activeServicesQuery). */
export interface ActivitySource {
  /** The Services that received requests in the last windowSeconds. */
  activeServices(windowSeconds: number): Promise<ServiceActivity>;
}

/**
 * The Services of a namespace that received requests in the last window, measured where they were
 * received (reporter="destination": the server's sidecar saw them, whichever client sent them).
 */
export function activeServicesQuery(namespace: string, windowSeconds: number): string {
  if (!Number.isInteger(windowSeconds) || windowSeconds <= 0) throw new Error(`window must be a positive whole number of seconds, got ${windowSeconds}`);
  return (
    'sum by (destination_service_namespace, destination_service_name) ' +
    `(increase(istio_requests_total{reporter="destination", destination_service_namespace=${promqlString(namespace)}}[${windowSeconds}s])) > 0`
  );
}

/** Reads the instant vector of activeServicesQuery: each sample's time (Unix seconds) is the window's end. */
export function activityFromSamples(samples: Array<{ metric: Record<string, string>; time: number; value: number }>): ServiceActivity {
  const activity: ServiceActivity = new Map();
  for (const { metric, time, value } of samples) {
    const namespace = metric.destination_service_namespace;
    const name = metric.destination_service_name;
    if (!namespace || !name || !(value > 0)) continue;
    activity.set(serviceKey({ namespace, name }), new Date(time * 1000));
  }
  return activity;
}

/**
 * The Kubernetes Service a VirtualService destination host names, as Istio reads it: a full
 * `<name>.<namespace>.svc.<clusterDomain>`, or a short name in the VirtualService's own namespace.
 * Anything else (an external host, an IP) is no Service.
 */
export function serviceOfHost(host: string, virtualServiceNamespace: string, clusterDomain: string): ServiceRef | undefined {
  const suffix = `.svc.${clusterDomain}`;
  if (host.endsWith(suffix)) {
    const labels = host.slice(0, -suffix.length).split('.');
    return labels.length === 2 && labels[0] && labels[1] ? { name: labels[0], namespace: labels[1] } : undefined;
  }
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(host) ? { name: host, namespace: virtualServiceNamespace } : undefined;
}

/** The Services a route sends its requests to: every destination of its `route` rule (one, or several under weights). */
export function routeServices(object: RouteObject, clusterDomain: string): ServiceRef[] {
  const namespace = object.metadata.namespace ?? '';
  if (isHttpRoute(object)) {
    const rule = object.spec.rules?.find((r) => r.name === 'route');
    return (rule?.backendRefs ?? []).flatMap((ref) => ((ref.kind ?? 'Service') === 'Service' && (ref.group ?? '') === '' ? [{ name: ref.name, namespace: ref.namespace ?? namespace }] : []));
  }
  const rule = object.spec.http?.find((r) => r.name === 'route');
  return (rule?.route ?? []).flatMap((d) => serviceOfHost(d.destination.host, namespace, clusterDomain) ?? []);
}

/** A route's new last activity, conditional on the version of the VirtualService it was planned from. */
export type ActivityUpdate = { name: string; resourceVersion: string | undefined; lastActivity: string };

/**
 * Which routes' last activity moves, and to when: only routes one of whose Services had traffic, only
 * forward, and never past `now` (a Prometheus clock ahead of ours must not pin a route in the future).
 */
export function planActivityUpdates(virtualServices: RouteObject[], activity: ServiceActivity, now: Date, clusterDomain: string): ActivityUpdate[] {
  const updates: ActivityUpdate[] = [];
  for (const vs of virtualServices) {
    const route = routeFromObject(vs);
    if (!route) continue;
    let seenMs = -Infinity;
    for (const service of routeServices(vs, clusterDomain)) seenMs = Math.max(seenMs, activity.get(serviceKey(service))?.getTime() ?? -Infinity);
    if (seenMs === -Infinity) continue;
    const lastActivityMs = Math.min(seenMs, now.getTime());
    const currentMs = Date.parse(route.lastActivity);
    if (Number.isNaN(currentMs) || lastActivityMs > currentMs) {
      updates.push({ name: vs.metadata.name, resourceVersion: vs.metadata.resourceVersion, lastActivity: new Date(lastActivityMs).toISOString() });
    }
  }
  return updates.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Runs work on every item, at most `limit` at a time, and starts no more once the signal aborts. */
export async function forEachBounded<T>(items: readonly T[], limit: number, signal: AbortSignal, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal.aborted) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}

export type LastActivityWriterOptions = {
  /** the route VirtualServices: planned from its cache, written through its backend */
  store: ResourceStore<RouteObject>;
  source: ActivitySource;
  clusterDomain: string;
  log: Logger;
  /** time between passes; 60 s by default */
  intervalMs?: number;
  /** how far back each pass asks the source; the interval (rounded up to seconds) by default */
  windowSeconds?: number;
  /** patches in flight at once; 8 by default */
  concurrency?: number;
  now?: () => Date;
};

export type ActivityPass = {
  /** why the pass left routes unwritten: the cache is re-listing (nothing tried), or leadership ended */
  skipped?: 'cache-unsynced' | 'leadership-lost';
  planned: number;
  written: number;
  failed: number;
};

type WriteOutcome = 'written' | 'unchanged' | 'gone' | 'aborted';

/**
 * Moves routes' last_activity forward from real traffic, on the one replica that leads: wire
 * lead() to LeaderElector's onStartedLeading and idle() to its onStoppedLeading. Each pass asks the
 * source, plans from the VirtualService cache, and writes JSON merge patches of the annotation
 * alone, a few at a time, checking the leadership signal before every one.
 *
 * Each patch carries the resourceVersion it was planned from, so the apiserver refuses it if the
 * object changed since: a late patch of a former leader can never move a timestamp backward.
 */
export class LastActivityWriter {
  private readonly intervalMs: number;
  private readonly windowSeconds: number;
  private readonly concurrency: number;
  private readonly now: () => Date;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: LastActivityWriterOptions) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.windowSeconds = options.windowSeconds ?? Math.ceil(this.intervalMs / 1000);
    this.concurrency = options.concurrency ?? 8;
    this.now = options.now ?? (() => new Date());
  }

  /** Passes now and every interval until the signal aborts. A previous leadership's loop finishes first. */
  lead(signal: AbortSignal): void {
    this.loop = this.loop.then(async () => {
      while (!signal.aborted) {
        try {
          await this.pass(signal);
        } catch (error) {
          this.options.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'last activity: pass failed');
        }
        await sleep(this.intervalMs, signal);
      }
    });
  }

  /** Settles once no pass is running: after leadership ends, when the last write sent has been answered. */
  idle(): Promise<void> {
    return this.loop;
  }

  /** One pass: ask, plan, write. Throws only when the source fails. */
  async pass(signal: AbortSignal): Promise<ActivityPass> {
    const { store, source, clusterDomain, log } = this.options;
    if (!store.cache.isSynced) return { skipped: 'cache-unsynced', planned: 0, written: 0, failed: 0 };
    const activity = await source.activeServices(this.windowSeconds);
    if (signal.aborted) return { skipped: 'leadership-lost', planned: 0, written: 0, failed: 0 };
    const updates = planActivityUpdates(store.cache.list(), activity, this.now(), clusterDomain);
    const result: ActivityPass = { planned: updates.length, written: 0, failed: 0 };
    let finished = 0;
    await forEachBounded(updates, this.concurrency, signal, async (update) => {
      try {
        const outcome = await this.write(update, activity, signal);
        if (outcome !== 'aborted') finished++;
        if (outcome === 'written') result.written++;
      } catch (error) {
        finished++;
        result.failed++;
        const err = toKubeError(error);
        log.warn({ virtualService: update.name, status: err.status, err: err.message }, 'last activity: patch failed');
      }
    });
    if (finished < updates.length) result.skipped = 'leadership-lost';
    if (result.written > 0 || result.failed > 0 || result.skipped) log.info({ active: activity.size, ...result }, 'last activity: pass done');
    return result;
  }

  private async write(update: ActivityUpdate, activity: ServiceActivity, signal: AbortSignal): Promise<WriteOutcome> {
    const { store, clusterDomain } = this.options;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) return 'aborted';
      try {
        const body = { metadata: { resourceVersion: update.resourceVersion, annotations: { [ANNOTATIONS.lastActivity]: update.lastActivity } } };
        await store.patch(update.name, body, { type: 'merge' });
        return 'written';
      } catch (error) {
        if (isNotFound(error)) return 'gone';
        if (!isConflict(error) || attempt > 0) throw error;
      }
      // changed since the cache saw it (the route was updated, or the cache lags): plan once more on the stored object
      let stored: RouteObject;
      try {
        stored = await store.backend.get(store.namespace, update.name);
      } catch (error) {
        if (isNotFound(error)) return 'gone';
        throw error;
      }
      store.cache.observe('MODIFIED', stored);
      const [again] = planActivityUpdates([stored], activity, this.now(), clusterDomain);
      if (!again) return 'unchanged';
      update = again;
    }
  }
}

/** Resolves after ms, or at once when the signal aborts; leaves no timer or listener behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
