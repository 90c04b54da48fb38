import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { ApiError, isApiError } from '../api-error';
import { recordEvent, type KubeEvent, type ObjectReference } from '../kube/events';
import { objectDiff, type DiffHunk } from '../kube/object-diff';
import { apiVersionOf, type KindDescriptor, type KubeObject, type ResourceBackend } from '../kube/types';

/** The stages a change can be refused at, after it is planned. */
export type ChangeStage = 'validate' | 'dry-run' | 'apply';

/** The object a change wrote: before (undefined when it created it) and after (the apiserver's answer, for a dry run). */
export type Written = { before: KubeObject | undefined; after: KubeObject };

/** What the audit says of one outcome: an Event on `regarding`, and the audit log line. */
export type ChangeRecord = {
  /** what was done, e.g. SetRouteOverlays or EnsureGateway */
  action: string;
  regarding: ObjectReference;
  /** the outcome, e.g. AppliedByHubmesh or TakeoverRefused */
  reason: string;
  type: 'Normal' | 'Warning';
  /** for people, without the actor (the audit adds it) */
  note: string;
};

export type AuditResult = { recorded: true; event: string } | { recorded: false; error: string };

/**
 * One kind of change. A new kind (a DestinationRule, an AuthorizationPolicy, a route's resilience
 * settings) is one of these; the pipeline does the rest: order, dry run before apply, diff, Events and
 * the audit log line.
 */
export type ChangeKind<Input, Plan, W extends Written = Written> = {
  /** from the caller's input to what is to be written, reading what it needs; throws an ApiError to refuse */
  plan(input: Input): Plan | Promise<Plan>;
  /** throws an ApiError for a plan that must not be applied (e.g. a takeover not confirmed) */
  validate?(plan: Plan): void;
  /** the apiserver's dry run of the write, run before the real one; a kind whose write checks as it goes has none */
  dryRun?(plan: Plan): Promise<unknown>;
  /** the write, or with `dryRun` the apiserver's dry run of it */
  write(plan: Plan, options: { dryRun: boolean }): Promise<W>;
  /** the audit of an applied change */
  applied(plan: Plan, written: W, diff: DiffHunk[]): ChangeRecord;
  /** the audit of a refusal at `stage`; without it, or when it answers undefined, a refusal is only thrown */
  refused?(plan: Plan, error: ApiError, stage: ChangeStage): ChangeRecord | undefined;
};

export type ChangeResult<Plan, W extends Written = Written> = W & {
  dryRun: boolean;
  plan: Plan;
  diff: DiffHunk[];
  /** the Event of an applied change, in cluster mode (local mode has no Events) */
  audit?: AuditResult;
};

/** Records a change as a Kubernetes Event; the note starts with the actor, as the audit list shows it. */
export type EventRecorder = (actor: string, record: ChangeRecord) => Promise<KubeEvent>;

/** The message of the audit log line every applied or refused change writes: what to search the logs for. */
export const CHANGE_LOG_MESSAGE = 'hubmesh change';

/** The reference an Event makes to an object of `kind`; a cluster-scoped one has no namespace. */
export function referenceTo(kind: KindDescriptor, object: { namespace: string; name: string; uid?: string }): ObjectReference {
  return {
    apiVersion: apiVersionOf(kind),
    kind: kind.kind,
    name: object.name,
    ...(kind.clusterScoped ? {} : { namespace: object.namespace }),
    ...(object.uid ? { uid: object.uid } : {}),
  };
}

/** Events in `namespace`, reported by `instance` (e.g. the pod's name). */
export function eventRecorder(deps: { events: ResourceBackend<KubeEvent>; namespace: string; instance: string }): EventRecorder {
  return (actor, record) => recordEvent(deps.events, deps.namespace, deps.instance, { ...record, actor, note: `${actor}: ${record.note}` });
}

/** A diff's size and a hash of it, for the log line: enough to match it to the console's diff, not to leak the object. */
export function diffSummary(diff: DiffHunk[]) {
  const lines = diff.flatMap((hunk) => hunk.lines);
  return {
    added: lines.filter((line) => line.op === 'add').length,
    removed: lines.filter((line) => line.op === 'remove').length,
    sha256: createHash('sha256').update(JSON.stringify(diff)).digest('hex'),
  };
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

export type ChangePipelineDeps = {
  /** cluster mode: each outcome is also an Event (kept for the apiserver's --event-ttl) */
  events: EventRecorder | undefined;
  /** where the audit log line goes, for the cluster's log pipeline */
  log: Pick<Logger, 'info'>;
};

/**
 * plan → validate → dry run (apiserver) → diff → apply → audit. A dry-run request stops after the diff,
 * with the apiserver's answer; it writes no Event, and its log line says dryRun.
 */
export function changePipeline(deps: ChangePipelineDeps) {
  function logLine(actor: string, record: ChangeRecord, outcome: { dryRun: boolean; diff?: DiffHunk[]; audit?: AuditResult; error?: ApiError }) {
    const { regarding } = record;
    deps.log.info(
      {
        audit: 'change',
        actor,
        action: record.action,
        kind: regarding.kind,
        namespace: regarding.namespace,
        name: regarding.name,
        outcome: outcome.dryRun ? 'DryRun' : record.reason,
        dryRun: outcome.dryRun,
        ...(outcome.diff ? { diff: diffSummary(outcome.diff) } : {}),
        ...(outcome.error ? { status: outcome.error.status, code: outcome.error.code, error: outcome.error.message } : {}),
        ...(outcome.audit ? { event: outcome.audit.recorded ? outcome.audit.event : undefined, eventError: outcome.audit.recorded ? undefined : outcome.audit.error } : {}),
      },
      CHANGE_LOG_MESSAGE,
    );
  }

  /** Records a refusal when its kind says to, then throws it; an Event that cannot be recorded is named in the message. */
  async function refuse<Plan>(kind: Pick<ChangeKind<never, Plan, never>, 'refused'>, plan: Plan, actor: string, error: unknown, stage: ChangeStage): Promise<never> {
    const record = isApiError(error) ? kind.refused?.(plan, error, stage) : undefined;
    if (!record || !isApiError(error)) throw error;
    logLine(actor, record, { dryRun: false, error });
    if (!deps.events) throw error;
    try {
      await deps.events(actor, record);
    } catch (auditError) {
      throw new ApiError(error.status, error.code, `${error.message} (the audit Event was not recorded: ${messageOf(auditError)})`, { details: error.details, cause: error });
    }
    throw error;
  }

  async function run<Input, Plan, W extends Written>(kind: ChangeKind<Input, Plan, W>, input: Input, options: { actor: string; dryRun?: boolean }): Promise<ChangeResult<Plan, W>> {
    const { actor } = options;
    const dryRun = options.dryRun === true;
    const plan = await kind.plan(input);
    try {
      kind.validate?.(plan);
    } catch (error) {
      return refuse(kind, plan, actor, error, 'validate');
    }
    if (!dryRun && kind.dryRun) {
      try {
        await kind.dryRun(plan);
      } catch (error) {
        return refuse(kind, plan, actor, error, 'dry-run');
      }
    }
    let written: W;
    try {
      written = await kind.write(plan, { dryRun });
    } catch (error) {
      return refuse(kind, plan, actor, error, dryRun ? 'dry-run' : 'apply');
    }
    const diff = objectDiff(written.before, written.after);
    const record = kind.applied(plan, written, diff);
    if (dryRun) {
      logLine(actor, record, { dryRun, diff });
      return { ...written, dryRun, plan, diff };
    }
    const audit = await audited(actor, record, diff);
    return { ...written, dryRun, plan, diff, ...(audit ? { audit } : {}) };
  }

  /** The audit step: the Event (cluster mode) and the log line of an applied change. */
  async function audited(actor: string, record: ChangeRecord, diff?: DiffHunk[]): Promise<AuditResult | undefined> {
    const audit = deps.events
      ? await deps.events(actor, record).then(
          (event): AuditResult => ({ recorded: true, event: event.metadata.name }),
          (error: unknown): AuditResult => ({ recorded: false, error: messageOf(error) }),
        )
      : undefined;
    logLine(actor, record, { dryRun: false, diff, audit });
    return audit;
  }

  /**
   * Audits a change that was made outside run(), in a batch of a leader's loop (the preview janitor's
   * removals of expired previews): the same Event and log line as an applied change.
   */
  const record = (actor: string, change: ChangeRecord) => audited(actor, change);

  return { run, record };
}

export type ChangePipeline = ReturnType<typeof changePipeline>;
