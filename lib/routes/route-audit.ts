import { referenceTo, type ChangeRecord } from '../changes/pipeline';
import { routeKindOf, type RouteObject } from './route-objects';

/** The audit of an admin's change to a route's object (its overlays or previews), as written. */
export function routeChangeRecord(action: string, object: RouteObject, note: string): ChangeRecord {
  const { namespace = '', name, uid } = object.metadata;
  return { action, regarding: referenceTo(routeKindOf(object), { namespace, name, uid }), reason: 'AppliedByHubmesh', type: 'Normal', note };
}
