import { referenceTo, type ChangeRecord } from '../changes/pipeline';
import type { KubeObject } from '../kube/types';
import { virtualServiceKind } from '../kube/virtualservices';

/** The audit of an admin's change to a route's VirtualService (its overlays or previews), as written. */
export function routeChangeRecord(action: string, virtualService: KubeObject, note: string): ChangeRecord {
  const { namespace = '', name, uid } = virtualService.metadata;
  return { action, regarding: referenceTo(virtualServiceKind, { namespace, name, uid }), reason: 'AppliedByHubmesh', type: 'Normal', note };
}
