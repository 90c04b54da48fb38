import { ApiError, invalidField } from '../api-error';
import type { Informer } from '../kube/informer';
import { serviceChoices, type Service } from '../kube/services';
import type { VirtualService } from '../kube/virtualservices';
import type { ChangeKind, ChangePipeline } from '../changes/pipeline';
import { routeChangeRecord } from './route-audit';
import { toYaml } from '../kube/object-diff';
import { describeOverlays, faultTtl, issueErrors, isUnscoped, NO_OVERLAYS, overlays as overlaysSchema, type FieldError, type Overlays } from './overlays';
import { canonicalJson } from './virtualservice';
import type { OverlaysWritten, RouteService } from './service';
import { syncRateLimits, type RateLimitSyncDeps } from './rate-limit-sync';
import { inheritedSections, isNotebookRoute, type NotebookDefaults } from './notebook-defaults';
import { routeFromVirtualService } from './virtualservice';

export type OverlaysApiDeps = {
  routes: Pick<RouteService, 'setOverlays'>;
  virtualServices: Pick<Informer<VirtualService>, 'get'>;
  /** the Services overlays may route to, offered as the editor's choices */
  services: Pick<Informer<Service>, 'list'>;
  /** applies and audits the changes (as Events too, in cluster mode) */
  changes: ChangePipeline;
  /** the gateway's EnvoyFilter that enforces the routes' rate limits */
  rateLimits: Omit<RateLimitSyncDeps, 'changes'>;
  /** the notebook defaults now: a notebook route shows what it takes from them */
  notebookDefaults: () => NotebookDefaults;
};

export type OverlayChange = { overlays: Overlays; dryRun: boolean; confirmUnscopedFault: boolean };

/**
 * The body of PUT /api/v1/routes/<name>/overlays, with errors that name the field. A new fault gives its
 * time to live (`fault.ttl`, e.g. "30m"), which becomes its `expiresAt` from `now`; a fault sent back as
 * it was shown keeps its `expiresAt`.
 */
export function parseOverlayChange(body: unknown, now = new Date()): OverlayChange {
  const input = (typeof body === 'object' && body !== null ? body : {}) as { overlays?: unknown; dryRun?: unknown; confirmUnscopedFault?: unknown };
  for (const flag of ['dryRun', 'confirmUnscopedFault'] as const) {
    if (input[flag] !== undefined && typeof input[flag] !== 'boolean') throw invalidField(flag, 'must be true or false');
  }
  const parsed = overlaysSchema.safeParse(withFaultExpiry(input.overlays ?? {}, now));
  if (!parsed.success) {
    const error = issueErrors(parsed.error.issues as never)[0]!;
    throw invalidField(`overlays.${error.field || '(body)'}`, error.message);
  }
  return { overlays: parsed.data, dryRun: input.dryRun === true, confirmUnscopedFault: input.confirmUnscopedFault === true };
}

function withFaultExpiry(overlays: unknown, now: Date): unknown {
  const fault = (overlays as { fault?: unknown } | null)?.fault;
  if (typeof fault !== 'object' || fault === null || !('ttl' in fault)) return overlays;
  const { ttl, ...rest } = fault as { ttl: unknown; expiresAt?: unknown };
  if (rest.expiresAt !== undefined) throw invalidField('overlays.fault.ttl', 'give either ttl (a new fault) or expiresAt (a fault as stored), not both');
  const ttlMs = faultTtl.safeParse(ttl);
  if (!ttlMs.success) throw invalidField('overlays.fault.ttl', ttlMs.error.issues[0]!.message);
  return { ...(overlays as object), fault: { ...rest, expiresAt: new Date(now.getTime() + ttlMs.data).toISOString() } };
}

/** A route's overlays and the Services they may route to (for the editor's choices). */
export function overlaysAnswer(deps: OverlaysApiDeps, name: string) {
  const vs = deps.virtualServices.get(name);
  const route = vs && routeFromVirtualService(vs);
  if (!route) throw new ApiError(404, 'not-found', `no route with VirtualService ${JSON.stringify(name)}`);
  const defaults = deps.notebookDefaults();
  const inherited = Object.fromEntries(inheritedSections(route.overlays, route.data, defaults).map((key) => [key, defaults[key]]));
  return {
    path: route.path,
    overlays: route.overlays ?? NO_OVERLAYS,
    /** the sections this route takes from the notebook defaults (it leaves them unset) */
    inherited,
    notebook: isNotebookRoute(route.data),
    services: serviceChoices(deps.services),
  };
}

/**
 * Sets a route's overlays: validated, rendered into its VirtualService and run through the apiserver's dry
 * run, or applied and recorded as an Event with the admin as actor. Answers with the diff and the YAML.
 */
export async function changeOverlays(deps: OverlaysApiDeps, name: string, change: OverlayChange, actor: string) {
  const { dryRun, plan, after, diff, audit, warnings } = await deps.changes.run(setOverlays(deps), { ...change, name }, { actor, dryRun: change.dryRun });
  // a rate limit is enforced by the gateway's EnvoyFilter, which follows the route's new object
  const filter =
    canonicalJson(plan.overlays.rateLimit) === canonicalJson(plan.stored.rateLimit)
      ? undefined
      : await syncRateLimits({ ...deps.rateLimits, changes: deps.changes }, { actor, dryRun: change.dryRun, pending: after as VirtualService });
  const related = filter ? [{ kind: filter.after.kind, namespace: filter.after.metadata.namespace, name: filter.after.metadata.name, diff: filter.diff, preview: toYaml(filter.after), ...(filter.audit ? { audit: filter.audit } : {}) }] : [];
  return { dryRun, path: plan.path, overlays: plan.overlays, diff, preview: toYaml(after), warnings, related, ...(audit ? { audit } : {}) };
}

type OverlaysPlan = { path: string; overlays: Overlays; stored: Overlays; confirmUnscopedFault: boolean };

/** The field a refusal names when a fault would hit every request of the route and the admin has not said so. */
export const UNSCOPED_FAULT_REFUSAL: FieldError = {
  field: 'confirmUnscopedFault',
  message: 'this fault has no scope, so it hits every user of the route: confirm it (confirmUnscopedFault: true), or scope it by a header or cookie',
};

/**
 * A route's overlays as a change. RouteService validates them against each fresh read of its
 * read-modify-write (409s are retried with the change applied again) and runs a dry run through the apiserver.
 */
function setOverlays(deps: Pick<OverlaysApiDeps, 'routes' | 'virtualServices'>): ChangeKind<OverlayChange & { name: string }, OverlaysPlan, OverlaysWritten> {
  return {
    plan({ name, overlays, confirmUnscopedFault }) {
      const vs = deps.virtualServices.get(name);
      const route = vs && routeFromVirtualService(vs);
      if (!route) throw new ApiError(404, 'not-found', `no route with VirtualService ${JSON.stringify(name)}`);
      return { path: route.path, overlays, stored: route.overlays, confirmUnscopedFault };
    },
    validate({ overlays, stored, confirmUnscopedFault }) {
      const unchanged = canonicalJson(overlays.fault) === canonicalJson(stored.fault);
      if (isUnscoped(overlays.fault) && !unchanged && !confirmUnscopedFault) {
        throw new ApiError(409, 'confirmation-required', `${UNSCOPED_FAULT_REFUSAL.field}: ${UNSCOPED_FAULT_REFUSAL.message}`, { fields: [UNSCOPED_FAULT_REFUSAL] });
      }
    },
    write: ({ path, overlays }, { dryRun }) => deps.routes.setOverlays(path, overlays, { dryRun }),
    applied: ({ path, overlays }, { after }) => routeChangeRecord('SetRouteOverlays', after, `route ${path}: ${describeOverlays(overlays, 'overlays')}`),
  };
}
