import { ApiError, invalidField } from '../api-error';
import type { Informer } from '../kube/informer';
import { serviceChoices, type Service } from '../kube/services';
import type { VirtualService } from '../kube/virtualservices';
import type { ChangeKind, ChangePipeline } from '../changes/pipeline';
import { routeChangeRecord } from './route-audit';
import { toYaml } from '../kube/object-diff';
import { describeOverlays, NO_OVERLAYS, overlays as overlaysSchema, type Overlays } from './overlays';
import type { RouteService } from './service';
import { routeFromVirtualService } from './virtualservice';

export type OverlaysApiDeps = {
  routes: Pick<RouteService, 'setOverlays'>;
  virtualServices: Pick<Informer<VirtualService>, 'get'>;
  /** the Services overlays may route to, offered as the editor's choices */
  services: Pick<Informer<Service>, 'list'>;
  /** applies and audits the changes (as Events too, in cluster mode) */
  changes: ChangePipeline;
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
    services: serviceChoices(deps.services),
  };
}

/**
 * Sets a route's overlays: validated, rendered into its VirtualService and run through the apiserver's dry
 * run, or applied and recorded as an Event with the admin as actor. Answers with the diff and the YAML.
 */
export async function changeOverlays(deps: OverlaysApiDeps, name: string, change: OverlayChange, actor: string) {
  const { dryRun, plan, after, diff, audit } = await deps.changes.run(setOverlays(deps), { name, overlays: change.overlays }, { actor, dryRun: change.dryRun });
  return { dryRun, path: plan.path, overlays: plan.overlays, diff, preview: toYaml(after), ...(audit ? { audit } : {}) };
}

type OverlaysPlan = { path: string; overlays: Overlays };

/**
 * A route's overlays as a change. RouteService validates them against each fresh read of its
 * read-modify-write (409s are retried with the change applied again) and runs a dry run through the apiserver.
 */
function setOverlays(deps: Pick<OverlaysApiDeps, 'routes' | 'virtualServices'>): ChangeKind<{ name: string; overlays: Overlays }, OverlaysPlan> {
  return {
    plan({ name, overlays }) {
      const vs = deps.virtualServices.get(name);
      const route = vs && routeFromVirtualService(vs);
      if (!route) throw new ApiError(404, 'not-found', `no route with VirtualService ${JSON.stringify(name)}`);
      return { path: route.path, overlays };
    },
    write: ({ path, overlays }, { dryRun }) => deps.routes.setOverlays(path, overlays, { dryRun }),
    applied: ({ path, overlays }, { after }) => routeChangeRecord('SetRouteOverlays', after, `route ${path}: ${describeOverlays(overlays, 'overlays')}`),
  };
}
