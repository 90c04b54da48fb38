import { randomBytes } from 'node:crypto';
import { LABELS } from './labels';
import type { KindDescriptor, KubeObject, ResourceBackend } from './types';

/** events.k8s.io/v1 Event: hubmesh's audit trail of admin actions, one Event on each object it acted on. */
export const eventKind: KindDescriptor = { group: 'events.k8s.io', version: 'v1', kind: 'Event', plural: 'events' };

/** The Events' reportingController: which component wrote them (a qualified name, as the apiserver requires). */
export const REPORTING_CONTROLLER = 'hubmesh.io/console';
/** Who asked for the action: the signed-in admin's name. An annotation, because an Event has no field for it. */
export const ACTOR_ANNOTATION = 'hubmesh.io/actor';

// the apiserver's limits for events.k8s.io/v1 (k8s.io/kubernetes pkg/apis/core/validation/events.go)
const NOTE_MAX_BYTES = 1024;
const FIELD_MAX_LENGTH = 128;

export type ObjectReference = { apiVersion: string; kind: string; name: string; namespace?: string; uid?: string };

export type KubeEvent = KubeObject & {
  regarding: ObjectReference;
  reason: string;
  note?: string;
  action: string;
  type: 'Normal' | 'Warning';
  /** MicroTime: RFC 3339 with microseconds */
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
};

/** What happened, as the caller knows it. */
export type EventRecord = {
  regarding: ObjectReference;
  actor: string;
  /** what was done, e.g. EnsureGateway */
  action: string;
  /** the outcome, e.g. AppliedByHubmesh or DryRunRejected */
  reason: string;
  type: 'Normal' | 'Warning';
  note: string;
};

export type AuditEntry = {
  when: string;
  who: string;
  action: string;
  object: ObjectReference;
  /** the Event's reason */
  result: string;
  type: 'Normal' | 'Warning';
  message: string;
};

/** A metav1.MicroTime as the apiserver expects it: RFC 3339 in UTC with six fractional digits. `epochMs` may have a fraction. */
export function microTime(epochMs: number): string {
  const millis = Math.floor(epochMs);
  // a double holds today's epoch milliseconds to about a quarter of a microsecond: round, not truncate
  const micros = Math.min(999, Math.round((epochMs - millis) * 1000));
  return new Date(millis).toISOString().replace(/Z$/, `${String(micros).padStart(3, '0')}Z`);
}

/** Cuts a string to at most maxBytes of UTF-8 without splitting a character, marking the cut with an ellipsis. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= maxBytes) return text;
  const ellipsis = '…';
  let budget = maxBytes - encoder.encode(ellipsis).length;
  let cut = '';
  for (const char of text) {
    budget -= encoder.encode(char).length;
    if (budget < 0) break;
    cut += char;
  }
  return cut + ellipsis;
}

/**
 * The Event for a record, to be created in `namespace`. A cluster-scoped object (a Namespace) gets its
 * Event in `namespace` too: with an eventTime set, the apiserver accepts an Event whose regarding object
 * has no namespace only in `default` or `kube-system`, where hubmesh may not write. So such a reference
 * carries the Event's namespace (for a Namespace that is the object itself, when it is the hub's).
 */
export function eventFor(record: EventRecord, options: { namespace: string; reportingInstance: string; epochMs: number; suffix: string }): KubeEvent {
  const regarding = { ...record.regarding, namespace: record.regarding.namespace || options.namespace };
  // like client-go's recorder: <object>.<time in hex>, plus a random suffix so that two Events in one millisecond differ
  const suffix = `.${(BigInt(Math.floor(options.epochMs * 1000)) * 1000n).toString(16)}${options.suffix}`;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: {
      name: regarding.name.slice(0, 253 - suffix.length).replace(/[-.]+$/, '') + suffix,
      namespace: options.namespace,
      labels: { [LABELS.managedBy]: 'hubmesh' },
      annotations: { [ACTOR_ANNOTATION]: record.actor },
    },
    regarding,
    reason: record.reason.slice(0, FIELD_MAX_LENGTH),
    note: truncateUtf8(record.note, NOTE_MAX_BYTES),
    action: record.action.slice(0, FIELD_MAX_LENGTH),
    type: record.type,
    eventTime: microTime(options.epochMs),
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: options.reportingInstance.slice(0, FIELD_MAX_LENGTH),
  };
}

export function auditEntryOf(event: KubeEvent): AuditEntry {
  return {
    when: event.eventTime,
    who: event.metadata.annotations?.[ACTOR_ANNOTATION] ?? '',
    action: event.action,
    object: event.regarding,
    result: event.reason,
    type: event.type,
    message: event.note ?? '',
  };
}

/** Newest first. Only Events hubmesh's console reported: the label narrows the list, the controller decides. */
export function auditEntries(events: KubeEvent[]): AuditEntry[] {
  return events
    .filter((e) => e.reportingController === REPORTING_CONTROLLER)
    .map(auditEntryOf)
    .sort((a, b) => b.when.localeCompare(a.when));
}

export async function recordEvent(
  backend: ResourceBackend<KubeEvent>,
  namespace: string,
  reportingInstance: string,
  record: EventRecord,
): Promise<KubeEvent> {
  // microseconds, so that the audit trail orders two actions in the same millisecond
  const epochMs = performance.timeOrigin + performance.now();
  const event = eventFor(record, { namespace, reportingInstance, epochMs, suffix: randomBytes(2).toString('hex') });
  return backend.create(namespace, event);
}

/** hubmesh's audit trail in a namespace. The apiserver keeps Events for its --event-ttl (one hour by default). */
export async function listAudit(backend: ResourceBackend<KubeEvent>, namespace: string): Promise<AuditEntry[]> {
  const { items } = await backend.list(namespace, `${LABELS.managedBy}=hubmesh`);
  return auditEntries(items);
}
