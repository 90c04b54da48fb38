import { recordEvent, type KubeEvent } from '../kube/events';
import type { ResourceBackend } from '../kube/types';

export type AuditResult = { recorded: true; event: string } | { recorded: false; error: string };

export type RouteChangeRecord = { virtualService: string; uid: string | undefined; actor: string; action: string; note: string };

/** Records an admin's change to a route's VirtualService; the feature services take one in cluster mode, where Events exist. */
export type RouteAudit = (change: RouteChangeRecord) => Promise<AuditResult>;

/**
 * Records an admin's change to a route's VirtualService (its overlays or previews) as an Event in the
 * namespace, reported by `instance`, for the audit list. The change itself is already applied, so a
 * failure to record is reported, not thrown.
 */
export function routeAudit(deps: { events: ResourceBackend<KubeEvent>; namespace: string; instance: string }): RouteAudit {
  return (change) =>
    recordEvent(deps.events, deps.namespace, deps.instance, {
      regarding: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', namespace: deps.namespace, name: change.virtualService, uid: change.uid },
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
