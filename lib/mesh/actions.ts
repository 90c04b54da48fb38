import { FIELD_MANAGER } from '../kube/connection';
import { ApiError, type ApiErrorCode } from '../api-error';
import { isKubeError, isNotFound, toKubeError, type KubeError } from '../kube/errors';
import { referenceTo, type ChangeKind, type ChangePipeline } from '../changes/pipeline';
import { eventKind, listAudit, type AuditEntry, type KubeEvent, type ObjectReference } from '../kube/events';
import { authorizationPolicyKind, type AuthorizationPolicy } from '../kube/authorizationpolicies';
import { gatewayKind } from '../kube/gateways';
import { LABELS } from '../kube/labels';
import { namespaceKind, type Namespace } from '../kube/namespaces';
import { objectDiff, toYaml, type DiffHunk } from '../kube/object-diff';
import { peerAuthenticationKind } from '../kube/peerauthentications';
import { type KindDescriptor, type KubeObject, type ResourceBackend } from '../kube/types';
import { DATAPLANE_MODE_LABEL } from './ambient';
import {
  ambientEnrollmentWarnings,
  desiredAmbientLabel,
  desiredGateway,
  desiredInjectionLabels,
  desiredPeerAuthentication,
  INJECTION_LABEL_KEYS,
  namespaceLabelOwnership,
  objectOwnership,
  type GatewayInput,
  type Ownership,
} from './desired';

/** The admin actions on Istio resources. */
export type MeshAction =
  | { target: 'gateway'; gateway: GatewayInput }
  | { target: 'peer-authentication'; namespace: string }
  /** `istio-injection=enabled`, or `istio.io/rev=<revision>` without `istio-injection` */
  | { target: 'injection'; namespace: string; revision?: string }
  /** `istio.io/dataplane-mode=ambient`: ztunnel captures the namespace's pods (those without a sidecar) */
  | { target: 'ambient'; namespace: string }
  /** an AuthorizationPolicy hubmesh renders (notebook isolation and its exceptions); `summary` says what it is for */
  | { target: 'authorization-policy'; policy: AuthorizationPolicy; summary: string };

/** An object hubmesh made and may remove again (an isolation exception's AuthorizationPolicy). */
export type MeshRemoval = { target: 'authorization-policy'; namespace: string; name: string; summary: string };

export type MeshActionDeps = {
  backend: <T extends KubeObject>(kind: KindDescriptor) => ResourceBackend<T>;
  /** where the audit Events are: the hub namespace, the only one where hubmesh may create Events */
  eventsNamespace: string;
  /** applies and audits the actions; in cluster mode, where mesh actions exist, it records Events */
  changes: ChangePipeline;
};

/** The apiserver's verdict on the server-side dry run. */
export type DryRun =
  | { accepted: true; result: KubeObject }
  | { accepted: false; status: number; reason: string; message: string };

export type Plan = {
  action: MeshAction;
  /** e.g. "ensure STRICT PeerAuthentication jupyterhub/default" */
  summary: string;
  object: ObjectReference;
  /** as read; undefined when it does not exist */
  current: KubeObject | undefined;
  /** the server-side apply body */
  desired: KubeObject;
  ownership: Ownership;
  /** the apiserver's 409 message when applying without force would conflict with another field manager */
  conflict: string | undefined;
  /** applying needs the admin's confirmation: a takeover, or forcing through a conflict */
  needsConfirmation: boolean;
  /** with confirmation when it is needed: what applying would store */
  dryRun: DryRun;
  /** the desired body as YAML */
  preview: string;
  /** current → dry-run result; empty when applying changes nothing (or the dry run was rejected) */
  diff: DiffHunk[];
  /** what the admin should know before applying, in words (e.g. injection still on beside ambient) */
  warnings: string[];
};

export type ApplyResult = {
  object: KubeObject;
  ownership: Ownership;
  diff: DiffHunk[];
  /** the audit Event's name, or why it could not be recorded (the change itself was applied) */
  audit: { recorded: true; event: string } | { recorded: false; error: string };
};

export type ActionStage = 'read' | 'ownership' | 'dry-run' | 'apply';

/**
 * A refused or failed action: an ApiError whose body also carries the apiserver's `reason` and the `stage`.
 * 409 for a takeover that needs confirmation or a field-manager conflict, the apiserver's status (422,
 * 404…) for a rejection, 503 when the apiserver could not be reached, and 503 too when hubmesh's own
 * identity lacks a permission, which is not the admin's mistake.
 */
function actionError(status: number, code: ApiErrorCode, reason: string, message: string, stage: ActionStage, cause?: unknown): ApiError {
  return new ApiError(status, code, message, { details: { reason, stage }, cause });
}

function kubeActionError(e: KubeError, stage: ActionStage): ApiError {
  if (e.status === 403) return actionError(503, 'kube-forbidden', e.reason, e.message, stage, e);
  if (e.status >= 500) return actionError(e.status, 'kube-unavailable', e.reason, e.message, stage, e);
  return actionError(e.status, e.status === 409 ? 'conflict' : e.status === 404 ? 'not-found' : 'rejected', e.reason, e.message, stage, e);
}

/** Event reasons: the outcome of an action on its object. */
export const AUDIT_REASONS = {
  applied: 'AppliedByHubmesh',
  takenOver: 'TakenOverByHubmesh',
  refused: 'TakeoverRefused',
  dryRunRejected: 'DryRunRejected',
  conflict: 'ApplyConflict',
  failed: 'ApplyFailed',
  removed: 'RemovedByHubmesh',
} as const;

type Resolved = {
  kind: KindDescriptor;
  /** the backend's namespace argument ('' for the cluster-scoped Namespace) */
  namespace: string;
  name: string;
  desired: KubeObject;
  summary: string;
  /** what the Events call the action */
  eventAction: string;
  ownership(current: KubeObject | undefined): Ownership;
  /** what the plan warns about, from the object as read */
  warnings?(current: KubeObject | undefined): string[];
};

/** A Namespace label action: hubmesh owns only `keys` on it, and a missing namespace is a 404. */
function namespaceLabelAction(namespace: string, desired: Namespace, keys: readonly string[]): Pick<Resolved, 'kind' | 'namespace' | 'name' | 'desired' | 'ownership'> {
  return {
    kind: namespaceKind,
    namespace: '',
    name: namespace,
    desired,
    ownership: (current) => {
      if (!current) throw actionError(404, 'not-found', 'NotFound', `namespace ${namespace} does not exist`, 'read');
      return namespaceLabelOwnership(current as Namespace, desired, keys, FIELD_MANAGER);
    },
  };
}

function resolve(action: MeshAction): Resolved {
  switch (action.target) {
    case 'gateway': {
      const g = action.gateway;
      return {
        kind: gatewayKind,
        namespace: g.namespace,
        name: g.name,
        desired: desiredGateway(g),
        summary: `ensure Gateway ${g.namespace}/${g.name} for ${g.hosts.join(', ')}${g.https ? ` (HTTPS with ${g.https.credentialName})` : ''}`,
        eventAction: 'EnsureGateway',
        ownership: (current) => objectOwnership(current, FIELD_MANAGER),
      };
    }
    case 'peer-authentication': {
      const desired = desiredPeerAuthentication(action.namespace);
      return {
        kind: peerAuthenticationKind,
        namespace: action.namespace,
        name: desired.metadata.name,
        desired,
        summary: `ensure STRICT PeerAuthentication ${action.namespace}/${desired.metadata.name}`,
        eventAction: 'EnsurePeerAuthentication',
        ownership: (current) => objectOwnership(current, FIELD_MANAGER),
      };
    }
    case 'authorization-policy': {
      const { policy } = action;
      return {
        kind: authorizationPolicyKind,
        namespace: policy.metadata.namespace ?? '',
        name: policy.metadata.name,
        desired: policy,
        summary: action.summary,
        eventAction: 'EnsureAuthorizationPolicy',
        ownership: (current) => objectOwnership(current, FIELD_MANAGER),
      };
    }
    case 'injection': {
      const desired = desiredInjectionLabels(action.namespace, action.revision);
      const label = Object.entries(desired.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`)[0];
      return {
        ...namespaceLabelAction(action.namespace, desired, INJECTION_LABEL_KEYS),
        summary: `label namespace ${action.namespace} ${label}${action.revision ? ' (without istio-injection)' : ''}`,
        eventAction: 'EnsureInjectionLabel',
      };
    }
    case 'ambient': {
      const desired = desiredAmbientLabel(action.namespace);
      return {
        ...namespaceLabelAction(action.namespace, desired, [DATAPLANE_MODE_LABEL]),
        summary: `label namespace ${action.namespace} ${DATAPLANE_MODE_LABEL}=${desired.metadata.labels![DATAPLANE_MODE_LABEL]} (enroll in ambient)`,
        eventAction: 'EnsureAmbientLabel',
        warnings: (current) => ambientEnrollmentWarnings(current as Namespace | undefined),
      };
    }
  }
}

/** A value no injector selects, held only while hubmesh claims a label in order to remove it. */
const CLAIM_VALUE = 'removing';

function withLabels(object: KubeObject, labels: Record<string, string>): KubeObject {
  return { ...object, metadata: { ...object.metadata, labels: { ...object.metadata.labels, ...labels } } };
}

function withoutLabels(object: KubeObject, keys: string[]): KubeObject {
  const labels = { ...object.metadata.labels };
  for (const key of keys) delete labels[key];
  return { ...object, metadata: { ...object.metadata, labels } };
}

/**
 * The server-side apply bodies, in order. Server-side apply removes a field only when its last owner stops
 * applying it; a label applied as null is stored as "", and forcing the value a label already has leaves
 * its other owners in place (force takes only fields whose values conflict). So a label another manager
 * set that must go (istio-injection, when a revision is wanted) is first claimed by a forced apply of a
 * different value, which makes hubmesh its only owner, and then released by applying without it. In the
 * moment between the two, the label matches neither injector, which affects only pods created then.
 * `resourceVersion` makes the first apply fail with a 409 if the object changed after hubmesh read it and
 * judged its ownership.
 */
function applyBodies(resolved: Resolved, current: KubeObject | undefined, ownership: Ownership, takeover: boolean): KubeObject[] {
  const first = current?.metadata.resourceVersion
    ? { ...resolved.desired, metadata: { ...resolved.desired.metadata, resourceVersion: current.metadata.resourceVersion } }
    : resolved.desired;
  const removeLabels = takeover && ownership.verdict === 'takeover' ? ownership.removeLabels : [];
  if (!current || removeLabels.length === 0) return [first];
  const claimed = Object.fromEntries(removeLabels.map((key) => [key, current.metadata.labels?.[key] === CLAIM_VALUE ? '' : CLAIM_VALUE]));
  return [withLabels(first, claimed), resolved.desired];
}

/** What the dry run of the first body cannot show: the labels the release step removes. */
function projectRelease(result: KubeObject, ownership: Ownership, takeover: boolean): KubeObject {
  return takeover && ownership.verdict === 'takeover' && ownership.removeLabels.length ? withoutLabels(result, ownership.removeLabels) : result;
}

function refusal(error: unknown): DryRun {
  const e = toKubeError(error);
  return { accepted: false, status: e.status, reason: e.reason, message: e.message };
}

/** The apiserver could not judge (unreachable, or failing): not an answer to show as a rejection. */
const isUnavailable = (error: unknown) => isKubeError(error) && error.status >= 500;

/** An action resolved against what the apiserver has now: what the pipeline dry-runs, applies and audits. */
type ActionPlan = { resolved: Resolved; current: KubeObject | undefined; ownership: Ownership; force: boolean; bodies: KubeObject[] };

export function createMeshActions(deps: MeshActionDeps) {
  const events = deps.backend<KubeEvent>(eventKind);

  async function read(resolved: Resolved): Promise<KubeObject | undefined> {
    try {
      return await deps.backend(resolved.kind).get(resolved.namespace, resolved.name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw kubeActionError(toKubeError(error), 'read');
    }
  }

  const patch = (resolved: Resolved, body: KubeObject, options: { dryRun?: boolean; force: boolean }) =>
    deps.backend(resolved.kind).patch(resolved.namespace, resolved.name, body, { type: 'apply', ...options });

  const reference = (resolved: Resolved, object: KubeObject | undefined): ObjectReference =>
    referenceTo(resolved.kind, { namespace: resolved.namespace, name: resolved.name, uid: object?.metadata.uid });

  /**
   * Server-side dry run of the first apply body, as applying without confirmation would send it. When that
   * conflicts or the object is someone else's, again as a confirmed takeover would, for the preview.
   */
  async function dryRunFor(resolved: Resolved, current: KubeObject | undefined, ownership: Ownership): Promise<{ conflict: string | undefined; dryRun: DryRun }> {
    const run = async (force: boolean): Promise<DryRun> => {
      try {
        const result = await patch(resolved, applyBodies(resolved, current, ownership, force)[0]!, { dryRun: true, force });
        return { accepted: true, result: projectRelease(result, ownership, force) };
      } catch (error) {
        if (isUnavailable(error)) throw error;
        return refusal(error);
      }
    };
    const unforced = await run(false);
    const conflict = !unforced.accepted && unforced.status === 409 ? unforced.message : undefined;
    if (conflict === undefined && ownership.verdict !== 'takeover') return { conflict, dryRun: unforced };
    return { conflict, dryRun: await run(true) };
  }

  /** The action against what the apiserver has now: the object as read, and whose it is. */
  async function judge(action: MeshAction) {
    const resolved = resolve(action);
    const current = await read(resolved);
    return { resolved, current, ownership: resolved.ownership(current) };
  }

  /** Nothing is written: reads, and dry runs that the apiserver validates and discards. */
  async function plan(action: MeshAction): Promise<Plan> {
    const { resolved, current, ownership } = await judge(action);
    let outcome: Awaited<ReturnType<typeof dryRunFor>>;
    try {
      outcome = await dryRunFor(resolved, current, ownership);
    } catch (error) {
      throw kubeActionError(toKubeError(error), 'dry-run');
    }
    return {
      action,
      summary: resolved.summary,
      object: reference(resolved, current),
      current,
      desired: resolved.desired,
      ownership,
      conflict: outcome.conflict,
      needsConfirmation: ownership.verdict === 'takeover' || outcome.conflict !== undefined,
      dryRun: outcome.dryRun,
      preview: toYaml(resolved.desired),
      diff: outcome.dryRun.accepted ? objectDiff(current, outcome.dryRun.result) : [],
      warnings: resolved.warnings?.(current) ?? [],
    };
  }

  const asActionError = (error: unknown, stage: 'dry-run' | 'apply') => kubeActionError(toKubeError(error), stage);

  /**
   * A mesh action as a change: ownership is judged again on a fresh read, a takeover needs confirmation, the
   * bodies are applied as hubmesh's field manager (forced only when confirmed) after a dry run of the first,
   * and every outcome but an unreachable apiserver is an Event on the object.
   */
  const meshChange: ChangeKind<{ action: MeshAction; force: boolean }, ActionPlan> = {
    async plan({ action, force }) {
      const { resolved, current, ownership } = await judge(action);
      return { resolved, current, ownership, force, bodies: applyBodies(resolved, current, ownership, force) };
    },
    validate({ ownership, force }) {
      if (ownership.verdict === 'takeover' && !force) throw actionError(409, 'takeover-required', 'TakeoverRequired', `${ownership.reason}; confirm a takeover to apply`, 'ownership');
    },
    async dryRun({ resolved, bodies, force }) {
      try {
        await patch(resolved, bodies[0]!, { dryRun: true, force });
      } catch (error) {
        throw asActionError(error, 'dry-run');
      }
    },
    async write({ resolved, current, bodies, force }) {
      let object: KubeObject | undefined;
      try {
        for (const body of bodies) object = await patch(resolved, body, { force });
      } catch (error) {
        throw asActionError(error, 'apply');
      }
      return { before: current, after: object! };
    },
    applied({ resolved, current, ownership, force }, { after }, diff) {
      const takenOver = ownership.verdict === 'takeover';
      const note = `${takenOver ? `taken over from ${ownership.managers.join(', ') || 'an unknown manager'}` : current ? 'applied' : 'created'}${
        diff.length ? '' : ' (no change)'
      } with server-side apply as ${FIELD_MANAGER}${force && !takenOver ? ', forced' : ''}`;
      return {
        action: resolved.eventAction,
        regarding: reference(resolved, after),
        reason: takenOver ? AUDIT_REASONS.takenOver : AUDIT_REASONS.applied,
        type: 'Normal',
        note: `${resolved.summary}: ${note}`,
      };
    },
    refused({ resolved, current }, error, stage) {
      // an apiserver that could not judge is not an outcome of the action
      if (error.code === 'kube-unavailable') return undefined;
      const reason =
        stage === 'validate' ? AUDIT_REASONS.refused : error.code === 'conflict' ? AUDIT_REASONS.conflict : stage === 'dry-run' ? AUDIT_REASONS.dryRunRejected : AUDIT_REASONS.failed;
      return { action: resolved.eventAction, regarding: reference(resolved, current), reason, type: 'Warning', note: `${resolved.summary}: ${error.message}` };
    },
  };

  /**
   * Reads and judges ownership again, dry-runs, then applies as hubmesh's field manager, forcing only
   * when the admin confirmed a takeover, and records an Event on the object. Without confirmation, an
   * object that is not hubmesh's is refused and a field another manager owns fails with the apiserver's
   * 409 naming that manager and the fields.
   */
  async function apply(action: MeshAction, options: { actor: string; confirmTakeover?: boolean }): Promise<ApplyResult> {
    const actor = options.actor.trim();
    if (!actor) throw actionError(400, 'invalid-input', 'BadRequest', 'an action needs the name of the admin who takes it', 'ownership');
    const result = await deps.changes.run(meshChange, { action, force: options.confirmTakeover === true }, { actor });
    // mesh actions exist in cluster mode only, where the pipeline records Events
    return { object: result.after, ownership: result.plan.ownership, diff: result.diff, audit: result.audit! };
  }

  /**
   * Deletes an object hubmesh manages, through the pipeline: read, refused unless it carries hubmesh's
   * managed-by label, dry-run and deleted at the version read (a 409 if it changed meanwhile), and audited.
   */
  const removal: ChangeKind<MeshRemoval, { removal: MeshRemoval; current: KubeObject }> = {
    async plan(removal) {
      const backend = deps.backend(authorizationPolicyKind);
      try {
        return { removal, current: await backend.get(removal.namespace, removal.name) };
      } catch (error) {
        throw kubeActionError(toKubeError(error), 'read');
      }
    },
    validate({ removal, current }) {
      if (current.metadata.labels?.[LABELS.managedBy] !== 'hubmesh') {
        throw actionError(409, 'conflict', 'NotManaged', `AuthorizationPolicy ${removal.namespace}/${removal.name} is not managed by hubmesh; hubmesh removes only what it made`, 'ownership');
      }
    },
    async dryRun({ removal, current }) {
      try {
        await deps.backend(authorizationPolicyKind).delete(removal.namespace, removal.name, { dryRun: true, resourceVersion: current.metadata.resourceVersion });
      } catch (error) {
        throw asActionError(error, 'dry-run');
      }
    },
    async write({ removal, current }, { dryRun }) {
      try {
        await deps.backend(authorizationPolicyKind).delete(removal.namespace, removal.name, { dryRun, resourceVersion: current.metadata.resourceVersion });
      } catch (error) {
        throw asActionError(error, 'apply');
      }
      return { before: current, after: { ...current, metadata: { ...current.metadata, deletionTimestamp: new Date().toISOString() } } };
    },
    applied({ removal, current }) {
      return {
        action: 'RemoveAuthorizationPolicy',
        regarding: referenceTo(authorizationPolicyKind, { namespace: removal.namespace, name: removal.name, uid: current.metadata.uid }),
        reason: AUDIT_REASONS.removed,
        type: 'Normal',
        note: `${removal.summary}: deleted`,
      };
    },
    refused({ removal, current }, error) {
      if (error.code === 'kube-unavailable') return undefined;
      return {
        action: 'RemoveAuthorizationPolicy',
        regarding: referenceTo(authorizationPolicyKind, { namespace: removal.namespace, name: removal.name, uid: current.metadata.uid }),
        reason: AUDIT_REASONS.failed,
        type: 'Warning',
        note: `${removal.summary}: ${error.message}`,
      };
    },
  };

  async function remove(target: MeshRemoval, options: { actor: string }): Promise<{ object: KubeObject; audit: ApplyResult['audit'] }> {
    const actor = options.actor.trim();
    if (!actor) throw actionError(400, 'invalid-input', 'BadRequest', 'an action needs the name of the admin who takes it', 'ownership');
    const result = await deps.changes.run(removal, target, { actor });
    return { object: result.before!, audit: result.audit! };
  }

  /** hubmesh's audit trail: the Events its actions recorded, newest first. */
  function auditTrail(): Promise<AuditEntry[]> {
    return listAudit(events, deps.eventsNamespace);
  }

  return { plan, apply, remove, auditTrail };
}

export type MeshActions = ReturnType<typeof createMeshActions>;
