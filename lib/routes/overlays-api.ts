import { ApiError, invalidField } from '../api-error';
import { serviceChoices } from '../dashboard/api';
import type { Informer } from '../kube/informer';
import type { Service } from '../kube/services';
import type { VirtualService } from '../kube/virtualservices';
import type { RouteAudit } from './route-audit';
import { objectDiff, toYaml } from '../kube/object-diff';
import { NO_OVERLAYS, overlays as overlaysSchema, type Overlays } from './overlays';
import type { RouteService } from './service';
import { routeFromVirtualService } from './virtualservice';

export type OverlaysApiDeps = {
  routes: Pick<RouteService, 'setOverlays'>;
  virtualServices: Pick<Informer<VirtualService>, 'get'>;
  /** the Services overlays may route to, offered as the editor's choices */
  services: Pick<Informer<Service>, 'list'>;
  /** cluster mode: applied changes are recorded as Events (local mode has none) */
  audit: RouteAudit | undefined;
};

export type OverlayChange = { overlays: Overlays; dryRun: boolean };

/** The body of PUT /api/v1/routes/<name>/overlays, with errors that name the field. */
export function parseOverlayChange(body: unknown): OverlayChange {
  const input = (typeof body === 'object' && body !== null ? body : {}) as { overlays?: unknown; dryRun?: unknown };
  if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean') throw invalidField('dryRun', 'must be true or false');
  const parsed = overlaysSchema.safeParse(input.overlays ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidField(`overlays.${issue.path.join('.') || '(body)'}`, issue.message);
  }
  return { overlays: parsed.data, dryRun: input.dryRun === true };
}

/** A route's overlays and the Services they may route to (for the editor's choices). */
export function overlaysAnswer(deps: OverlaysApiDeps, name: string) {
  const vs = deps.virtualServices.get(name);
  const route = vs && routeFromVirtualService(vs);
  if (!route) throw new ApiError(404, 'not-found', `no route with VirtualService ${JSON.stringify(name)}`);
  return {
    path: route.path,
    overlays: route.overlays ?? NO_OVERLAYS,
    services: serviceChoices(deps),
  };
}

/**
 * Sets a route's overlays: validated, rendered into its VirtualService and run through the apiserver's dry
 * run, or applied and recorded as an Event with the admin as actor. Answers with the diff and the YAML.
 */
export async function changeOverlays(deps: OverlaysApiDeps, name: string, change: OverlayChange, actor: string) {
  const vs = deps.virtualServices.get(name);
  const route = vs && routeFromVirtualService(vs);
  if (!vs || !route) throw new ApiError(404, 'not-found', `no route with VirtualService ${JSON.stringify(name)}`);
  const { before, after } = await deps.routes.setOverlays(route.path, change.overlays, { dryRun: change.dryRun });
  const result = { dryRun: change.dryRun, path: route.path, overlays: change.overlays, diff: objectDiff(before, after), preview: toYaml(after) };
  if (change.dryRun || !deps.audit) return result;
  const audit = await deps.audit({ virtualService: name, uid: after.metadata.uid, actor, action: 'SetRouteOverlays', note: `route ${route.path}: ${describe(change.overlays)}` });
  return { ...result, audit };
}

function describe(o: Overlays): string {
  const parts = [];
  if (o.canary) parts.push(`canary ${o.canary.weights.canary}% to ${o.canary.destination.service}`);
  if (o.rules.length) parts.push(`rules ${o.rules.map((r) => r.name).join(', ')}`);
  return parts.length ? parts.join('; ') : 'overlays off (plain route)';
}
