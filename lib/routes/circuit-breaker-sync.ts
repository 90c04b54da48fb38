import type { Logger } from 'pino';
import { referenceTo, type ChangePipeline } from '../changes/pipeline';
import { configMapKind } from '../kube/configmaps';
import type { DestinationRule } from '../kube/destinationrules';
import { isNotFound } from '../kube/errors';
import type { Informer } from '../kube/informer';
import type { ResourceBackend } from '../kube/types';
import type { VirtualService } from '../kube/virtualservices';
import type { CircuitBreaking } from './circuit-breaking';
import { isOurCircuitBreaker, planCircuitBreakers, type CircuitBreakerContext } from './circuit-breakers';
import { canonicalJson } from './virtualservice';

export type CircuitBreakerSyncDeps = {
  virtualServices: Pick<Informer<VirtualService>, 'list' | 'subscribe' | 'waitForSync'>;
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
  for (const desired of plan.desired) {
    if (signal?.aborted) return pass;
    const current = ours.get(desired.metadata.name);
    ours.delete(desired.metadata.name);
    if (current && canonicalJson(current.spec) === canonicalJson(desired.spec)) continue;
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
  private signal: AbortSignal | undefined;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CircuitBreakerSyncDeps) {
    const later = () => this.later();
    deps.virtualServices.subscribe(later);
    deps.destinationRules.subscribe(later);
  }

  /** Something the circuit breakers depend on changed (the notebook defaults). */
  later(): void {
    if (!this.signal || this.signal.aborted) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.loop = this.loop.then(() => this.pass());
    }, SYNC_DELAY_MS);
  }

  lead(signal: AbortSignal): void {
    this.signal = signal;
    this.loop = this.loop.then(async () => {
      while (!signal.aborted && !(await this.deps.virtualServices.waitForSync(5_000))) this.deps.log.warn('circuit breakers: waiting for the route cache to sync');
      await this.pass();
    });
  }

  idle(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.loop;
  }

  private async pass(): Promise<void> {
    const signal = this.signal;
    if (!signal || signal.aborted) return;
    const result = await syncCircuitBreakers(this.deps, signal);
    if (result.created + result.updated + result.removed + result.failed > 0) this.deps.log.info(result, 'circuit breakers: a pass over the notebook Services');
  }
}
