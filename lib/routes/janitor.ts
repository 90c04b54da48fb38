import type { RouteObject } from './route-objects';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { ApiError, isApiError } from '../api-error';
import { referenceTo, type ChangePipeline, type ChangeRecord } from '../changes/pipeline';
import type { Informer } from '../kube/informer';
import type { KindDescriptor } from '../kube/types';
import { describeFault, faultExpired, type Fault } from './overlay-sections/fault';
import type { PreviewService, PreviewView } from './previews';
import type { RouteService } from './service';
import { routeFromObject } from './virtualservice';

export const JANITOR_ACTOR = 'hubmesh-janitor';
export const DEFAULT_JANITOR_INTERVAL_MS = 30_000;

/** What expires (previews, faults): each pass removes what has, and answers each removal's audit. */
export type ExpirySource = { removeExpired(signal: AbortSignal): Promise<ChangeRecord[]> };

export type JanitorOptions = {
  sources: readonly ExpirySource[];
  /** Records a removal (an Event on the route's VirtualService and the audit log line). */
  record: (change: ChangeRecord) => Promise<unknown>;
  intervalMs?: number;
  log: Logger;
};

/**
 * Removes what has expired, on the one replica that leads (LeaderWork: the runtime wires lead() and idle()
 * to the leadership). A pass runs at once and then every interval; the loop ends as soon as the signal aborts.
 */
export class Janitor {
  private readonly intervalMs: number;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: JanitorOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_JANITOR_INTERVAL_MS;
  }

  /** Passes now and every interval until the signal aborts. A previous leadership's loop finishes first. */
  lead(signal: AbortSignal): void {
    this.loop = this.loop.then(async () => {
      while (!signal.aborted) {
        await this.pass(signal);
        // an abort ends the wait at once (and rejects it)
        await delay(this.intervalMs, undefined, { signal }).catch(() => undefined);
      }
    });
  }

  /** Settles once no pass is running. */
  idle(): Promise<void> {
    return this.loop;
  }

  /** One pass over every source: removes what has expired and records each removal. Never throws. */
  async pass(signal: AbortSignal): Promise<ChangeRecord[]> {
    const { sources, record, log } = this.options;
    const removed: ChangeRecord[] = [];
    for (const source of sources) {
      if (signal.aborted) break;
      let changes: ChangeRecord[];
      try {
        changes = await source.removeExpired(signal);
      } catch (error) {
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'janitor: pass failed');
        continue;
      }
      for (const change of changes) {
        log.info({ action: change.action, object: change.regarding.name, note: change.note }, 'janitor: removed what expired');
        await record(change).catch((error: unknown) => {
          log.warn({ action: change.action, object: change.regarding.name, err: error instanceof Error ? error.message : String(error) }, 'janitor: cannot record the removal');
        });
      }
      removed.push(...changes);
    }
    return removed;
  }
}

/** The janitor's record: each removal audited through the change pipeline as hubmesh-janitor; an Event it cannot record is an error. */
export function recordAsJanitor(changes: Pick<ChangePipeline, 'record'>) {
  return async (change: ChangeRecord) => {
    const audit = await changes.record(JANITOR_ACTOR, change);
    if (audit && !audit.recorded) throw new Error(audit.error);
  };
}

/** The audit of a preview's removal: an Event on the route's object (`routeKind`: VirtualService or HTTPRoute). */
export function previewExpiryRecord(preview: PreviewView, namespace: string, routeKind: KindDescriptor): ChangeRecord {
  return {
    regarding: referenceTo(routeKind, { namespace, name: preview.virtualService }),
    action: 'ExpirePreview',
    reason: 'PreviewExpired',
    type: 'Normal',
    note: `preview ${preview.name} on route ${preview.route} (owner ${preview.owner}) expired at ${preview.expiresAt} and was removed`,
  };
}

export function previewExpiry(previews: Pick<PreviewService, 'removeExpired'>, namespace: string, routeKind: KindDescriptor): ExpirySource {
  return { removeExpired: async (signal) => (await previews.removeExpired(signal)).map((preview) => previewExpiryRecord(preview, namespace, routeKind)) };
}

export function faultExpiryRecord(route: { path: string; virtualService: string; fault: Fault }, namespace: string, routeKind: KindDescriptor): ChangeRecord {
  return {
    regarding: referenceTo(routeKind, { namespace, name: route.virtualService }),
    action: 'ExpireFault',
    reason: 'FaultExpired',
    type: 'Normal',
    note: `route ${route.path}: ${describeFault(route.fault)}${route.fault.owner ? ` (set by ${route.fault.owner})` : ''} expired and was removed`,
  };
}

/**
 * Faults past their expiry, removed from their routes: each read again before it is removed (another replica,
 * or an admin, may have changed or removed it meanwhile), so a fault is removed, and recorded, once.
 */
export function faultExpiry(deps: { routes: Pick<RouteService, 'updateOverlays'>; virtualServices: Pick<Informer<RouteObject>, 'list'>; routeKind: KindDescriptor; namespace: string; now: () => Date; log: Logger }): ExpirySource {
  return {
    async removeExpired(signal) {
      const removed: ChangeRecord[] = [];
      for (const vs of deps.virtualServices.list()) {
        if (signal.aborted) break;
        const fault = routeFromObject(vs)?.overlays.fault;
        if (!fault || !faultExpired(fault, deps.now())) continue;
        let expired: Fault | undefined;
        try {
          await deps.routes.updateOverlays(vs.metadata.name, (stored) => {
            if (!stored.fault || !faultExpired(stored.fault, deps.now())) throw new ApiError(404, 'not-found', 'the fault is gone or was renewed');
            expired = stored.fault;
            const rest = { ...stored };
            delete rest.fault;
            return rest;
          });
        } catch (error) {
          if (isApiError(error) && error.code === 'not-found') continue;
          deps.log.warn({ virtualService: vs.metadata.name, err: error instanceof Error ? error.message : String(error) }, 'janitor: cannot remove an expired fault');
          continue;
        }
        const path = routeFromObject(vs)!.path;
        removed.push(faultExpiryRecord({ path, virtualService: vs.metadata.name, fault: expired! }, deps.namespace, deps.routeKind));
      }
      return removed;
    },
  };
}
