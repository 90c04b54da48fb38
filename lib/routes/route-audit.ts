import os from 'node:os';
import { eventKind, recordEvent, type KubeEvent } from '../kube/events';
import type { Runtime } from '../runtime';

export type AuditResult = { recorded: true; event: string } | { recorded: false; error: string };

/**
 * Records an admin's change to a route's VirtualService (its overlays or previews) as an Event, for the
 * audit list. The change itself is already applied, so a failure to record is reported, not thrown.
 */
export function auditRouteChange(rt: Runtime, change: { virtualService: string; uid: string | undefined; actor: string; action: string; note: string }): Promise<AuditResult> {
  return recordEvent(rt.connection.backend<KubeEvent>(eventKind), rt.connection.namespace, os.hostname(), {
    regarding: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: rt.connection.namespace, name: change.virtualService, uid: change.uid },
    actor: change.actor,
    action: change.action,
    reason: 'AppliedByHubmesh',
    type: 'Normal',
    note: `${change.actor}: ${change.note}`,
  }).then(
    (event): AuditResult => ({ recorded: true, event: event.metadata.name }),
    (error: unknown): AuditResult => ({ recorded: false, error: (error as Error).message }),
  );
}
