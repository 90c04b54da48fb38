import type { RouteObject } from './route-objects';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { referenceTo, type ChangePipeline } from '../changes/pipeline';
import { configMapKind } from '../kube/configmaps';
import { DebouncedLeaderWork } from '../kube/debounced-leader-work';
import type { DestinationRule } from '../kube/destinationrules';
import { isNotFound } from '../kube/errors';
import type { Informer } from '../kube/informer';
import type { ResourceBackend } from '../kube/types';
import type { CircuitBreaking } from './circuit-breaking';
import { isOurCircuitBreaker, planCircuitBreakers, type CircuitBreakerContext } from './circuit-breakers';

export type CircuitBreakerSyncDeps = {
  virtualServices: Pick<Informer<RouteObject>, 'list' | 'subscribe' | 'waitForSync'>;
  /** the hub namespace's DestinationRules (everyone's: another owner's rule for a notebook host blocks ours) */
  destinationRules: Pick<Informer<DestinationRule>, 'list' | 'subscribe'>;
  backend: ResourceBackend<DestinationRule>;
  circuitBreaking: () => CircuitBreaking | undefined;
  ctx: CircuitBreakerContext;
  /** the notebook defaults' ConfigMap, which the audit of each pass is about */
  defaultsConfigMap: string;
  changes: Pick<ChangePipeline, 'record'>;
  log: Logger;
};

export type CircuitBreakerPass = { created: number; updated: number; removed: number; failed: number; blocked: Array<{ host: string; by: string }> };

/** One pass: every notebook Service gets its DestinationRule as the defaults say, and no other of ours is left. */
export async function syncCircuitBreakers(deps: Omit<CircuitBreakerSyncDeps, 'log'> & { log: Logger }, signal?: AbortSignal): Promise<CircuitBreakerPass> {
  const all = deps.destinationRules.list();
  const plan = planCircuitBreakers(deps.virtualServices.list(), all, deps.circuitBreaking(), deps.ctx);
  const ours = new Map(all.filter((dr) => isOurCircuitBreaker(dr, deps.ctx.prefix)).map((dr) => [dr.metadata.name, dr]));
  const pass: CircuitBreakerPass = { created: 0, updated: 0, removed: 0, failed: 0, blocked: plan.blocked };
  for (const [index, desired] of plan.desired.entries()) {
    if (signal?.aborted) return pass;
    // thousands of notebook Services: let the server answer requests between slices of the pass
    if (index % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
    const current = ours.get(desired.metadata.name);
    ours.delete(desired.metadata.name);
    // both plain JSON data, with no key set to undefined: the structural comparison, without serialising 10k rules each pass
    if (current && isDeepStrictEqual(current.spec, desired.spec)) continue;
    try {
      await deps.backend.patch(deps.ctx.namespace, desired.metadata.name, desired, { type: 'apply', force: true });
      if (current) pass.updated++;
      else pass.created++;
    } catch (error) {
      pass.failed++;
      deps.log.warn({ destinationRule: desired.metadata.name, err: error instanceof Error ? error.message : String(error) }, 'circuit breakers: cannot apply a DestinationRule');
    }
  }
  for (const name of ours.keys()) {
    if (signal?.aborted) return pass;
    try {
      await deps.backend.delete(deps.ctx.namespace, name);
      pass.removed++;
    } catch (error) {
      if (isNotFound(error)) continue;
      pass.failed++;
      deps.log.warn({ destinationRule: name, err: error instanceof Error ? error.message : String(error) }, 'circuit breakers: cannot remove a DestinationRule');
    }
  }
  if (pass.created + pass.updated + pass.removed > 0) {
    await deps.changes
      .record('hubmesh', {
        action: 'SyncCircuitBreakers',
        regarding: referenceTo(configMapKind, { namespace: deps.ctx.namespace, name: deps.defaultsConfigMap }),
        reason: 'AppliedByHubmesh',
        type: 'Normal',
        note: `circuit breakers for notebook Services: ${pass.created} created, ${pass.updated} updated, ${pass.removed} removed${pass.blocked.length ? `; ${pass.blocked.length} left to another owner's DestinationRule` : ''}`,
      })
      .catch((error: unknown) => deps.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'circuit breakers: cannot record the pass'));
  }
  return pass;
}

const SYNC_DELAY_MS = 500;

/**
 * Keeps a DestinationRule for every notebook Service while the notebook defaults ask for circuit breaking, on
 * the one replica that leads: at once, then after notebook routes come and go, DestinationRules change, or the
 * defaults do.
 */
export class CircuitBreakerKeeper {
  private readonly work: DebouncedLeaderWork;

  constructor(private readonly deps: CircuitBreakerSyncDeps) {
    this.work = new DebouncedLeaderWork({
      delayMs: SYNC_DELAY_MS,
      waitForSync: (timeoutMs) => deps.virtualServices.waitForSync(timeoutMs),
      name: 'circuit breakers',
      waitingMessage: 'circuit breakers: waiting for the route cache to sync',
      log: deps.log,
      firstPass: (signal) => this.pass(signal),
      pass: (signal) => this.pass(signal),
    });
    const later = () => this.later();
    deps.virtualServices.subscribe(later);
    deps.destinationRules.subscribe(later);
  }

  /** Something the circuit breakers depend on changed (the notebook defaults). */
  later(): void {
    this.work.changed();
  }

  lead(signal: AbortSignal): void {
    this.work.lead(signal);
  }

  idle(): Promise<void> {
    return this.work.idle();
  }

  private async pass(signal: AbortSignal): Promise<void> {
    const result = await syncCircuitBreakers(this.deps, signal);
    if (result.created + result.updated + result.removed + result.failed > 0) this.deps.log.info(result, 'circuit breakers: a pass over the notebook Services');
  }
}
