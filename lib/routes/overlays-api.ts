import { routeKindOfApi, type RouteApi, type RouteObject } from './route-objects';
import { UNAVAILABLE_WITH_HTTPROUTE } from './httproute';
import { ApiError, invalidField } from '../api-error';
import type { Informer } from '../kube/informer';
import { serviceChoices, type Service } from '../kube/services';
import type { ChangeKind, ChangePipeline } from '../changes/pipeline';
import { routeChangeRecord } from './route-audit';
import { toYaml } from '../kube/object-diff';
import { describeOverlays, editableSections, editedOverlays, faultTtl, formatFieldErrors, issueErrors, isUnscoped, NO_OVERLAYS, overlays as overlaysSchema, parseOverlays, type FieldError, type Overlays } from './overlays';
import { canonicalJson } from './virtualservice';
import type { OverlaysWritten, RouteService } from './service';
import { syncRateLimits, type RateLimitSyncDeps } from './rate-limit-sync';
import { inheritedSections, isNotebookRoute, type NotebookDefaults } from './notebook-defaults';
import { routeFromObject } from './virtualservice';

export type OverlaysApiDeps = {
  routes: Pick<RouteService, 'updateOverlays'>;
  virtualServices: Pick<Informer<RouteObject>, 'get'>;
  /** the Services overlays may route to, offered as the editor's choices */
  services: Pick<Informer<Service>, 'list'>;
  /** applies and audits the changes (as Events too, in cluster mode) */
  changes: ChangePipeline;
  /** the gateway's EnvoyFilter that enforces the routes' rate limits */
  rateLimits: Omit<RateLimitSyncDeps, 'changes'>;
  /** the notebook defaults now: a notebook route shows what it takes from them */
  notebookDefaults: () => NotebookDefaults;
  /** what routes are stored as (HUBMESH_ROUTE_API): some settings have no field in an HTTPRoute */
  routeApi: RouteApi;
};

/** The overlay settings a backend cannot store, each with why: the editor shows them disabled before an admin tries. */
function unavailableSettings(routeApi: RouteApi): Partial<Record<keyof typeof UNAVAILABLE_WITH_HTTPROUTE, string>> {
  return routeApi === 'httproute' ? UNAVAILABLE_WITH_HTTPROUTE : {};
}

const noRoute = (routeApi: RouteApi, name: string) => new ApiError(404, 'not-found', `no route with ${routeKindOfApi(routeApi)} ${JSON.stringify(name)}`);

type EditFlags = { dryRun: boolean; confirmUnscopedFault: boolean };

export type OverlayChange = EditFlags & { overlays: Overlays };

/**
 * The body of PUT /api/v1/routes/<name>/overlays, with errors that name the field. A new fault gives its
 * time to live (`fault.ttl`, e.g. "30m"), which becomes its `expiresAt` from `now`; a fault sent back as
 * it was shown keeps its `expiresAt`.
 */
export function parseOverlayChange(body: unknown, now = new Date()): OverlayChange {
  const { overlays, ...flags } = readEditBody(body, now);
  const parsed = overlaysSchema.safeParse(overlays ?? {});
  if (!parsed.success) {
    const error = issueErrors(parsed.error.issues as never)[0]!;
    throw invalidField(`overlays.${error.field || '(body)'}`, error.message);
  }
  return { overlays: parsed.data, ...flags };
}

/** A PATCH of some sections: each key present is set, or removed with null; the other sections stay as stored. */
export type OverlayPatch = EditFlags & { sections: Record<string, unknown> };

/** The body of PATCH /api/v1/routes/<name>/overlays. Only the sections the overlays editor sets may be named. */
export function parseOverlayPatch(body: unknown, now = new Date()): OverlayPatch {
  const { overlays, ...flags } = readEditBody(body, now);
  if (typeof overlays !== 'object' || overlays === null || Array.isArray(overlays)) throw invalidField('overlays', 'must be an object of the sections to set (null removes one)');
  const editable = editableSections();
  for (const key of Object.keys(overlays)) {
    if (!editable.includes(key)) throw invalidField(`overlays.${key}`, `not a section this editor sets (they are ${editable.join(', ')})`);
  }
  return { sections: overlays as Record<string, unknown>, ...flags };
}

/** What every overlays edit sends: its flags, and its `overlays` with a new fault's ttl made its expiry. */
function readEditBody(body: unknown, now: Date): EditFlags & { overlays: unknown } {
  const input = (typeof body === 'object' && body !== null ? body : {}) as { overlays?: unknown; dryRun?: unknown; confirmUnscopedFault?: unknown };
  for (const flag of ['dryRun', 'confirmUnscopedFault'] as const) {
    if (input[flag] !== undefined && typeof input[flag] !== 'boolean') throw invalidField(flag, 'must be true or false');
  }
  return { overlays: withFaultExpiry(input.overlays, now), dryRun: input.dryRun === true, confirmUnscopedFault: input.confirmUnscopedFault === true };
}

/** The stored overlays with a patch's sections set or removed. */
function patched(stored: Overlays, sections: Record<string, unknown>): unknown {
  const next: Record<string, unknown> = { ...stored };
  for (const [key, value] of Object.entries(sections)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
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

/** A route's overlays, the Services they may route to (the editor's choices), and the settings the backend cannot store. */
export function overlaysAnswer(deps: OverlaysApiDeps, name: string) {
  const vs = deps.virtualServices.get(name);
  const route = vs && routeFromObject(vs);
  if (!route) throw noRoute(deps.routeApi, name);
  const defaults = deps.notebookDefaults();
  const unavailable = unavailableSettings(deps.routeApi);
  const keys = inheritedSections(route.overlays, route.data, defaults).filter((key) => !(key in unavailable));
  const inherited: NotebookDefaults = {
    ...(keys.includes('retries') ? { retries: defaults.retries } : {}),
    ...(keys.includes('rateLimit') ? { rateLimit: defaults.rateLimit } : {}),
  };
  return {
    path: route.path,
    overlays: route.overlays ?? NO_OVERLAYS,
    /** the sections this route takes from the notebook defaults (it leaves them unset) */
    inherited,
    notebook: isNotebookRoute(route.data),
    services: serviceChoices(deps.services),
    routeApi: deps.routeApi,
    kind: routeKindOfApi(deps.routeApi),
    /** settings this backend cannot store (HTTPRoute: retries, fault, rateLimit, a destination's subset), with why */
    unavailable,
  };
}

/**
 * Sets a route's overlays: validated, rendered into its route object and run through the apiserver's dry
 * run, or applied and recorded as an Event with the admin as actor. Answers with the diff and the YAML.
 */
export function changeOverlays(deps: OverlaysApiDeps, name: string, change: OverlayChange, actor: string) {
  return runOverlayEdit(deps, name, { edit: (stored) => editedOverlays(change.overlays, stored, 'overlays'), dryRun: change.dryRun, confirmUnscopedFault: change.confirmUnscopedFault }, actor);
}

/** Sets or removes some sections, each read-modify-write keeping what others changed meanwhile in the rest. */
export function patchOverlays(deps: OverlaysApiDeps, name: string, change: OverlayPatch, actor: string) {
  return runOverlayEdit(deps, name, { edit: (stored) => patched(stored, change.sections), dryRun: change.dryRun, confirmUnscopedFault: change.confirmUnscopedFault }, actor);
}

type OverlayEdit = EditFlags & { edit: (stored: Overlays) => unknown };

async function runOverlayEdit(deps: OverlaysApiDeps, name: string, change: OverlayEdit, actor: string) {
  const { dryRun, plan, after, diff, audit, warnings } = await deps.changes.run(editOverlays(deps), { ...change, name }, { actor, dryRun: change.dryRun });
  // a rate limit is enforced by the gateway's EnvoyFilter, which follows the route's new object
  const filter =
    canonicalJson(plan.overlays.rateLimit) === canonicalJson(plan.stored.rateLimit)
      ? undefined
      : await syncRateLimits({ ...deps.rateLimits, changes: deps.changes }, { actor, dryRun: change.dryRun, pending: after });
  const related = filter ? [{ kind: filter.after.kind, namespace: filter.after.metadata.namespace, name: filter.after.metadata.name, diff: filter.diff, preview: toYaml(filter.after), ...(filter.audit ? { audit: filter.audit } : {}) }] : [];
  return { dryRun, path: plan.path, overlays: routeFromObject(after)?.overlays ?? plan.overlays, diff, preview: toYaml(after), warnings, related, ...(audit ? { audit } : {}) };
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
function editOverlays(deps: Pick<OverlaysApiDeps, 'routes' | 'virtualServices' | 'routeApi'>): ChangeKind<OverlayEdit & { name: string }, OverlaysPlan & { edit: OverlayEdit['edit'] }, OverlaysWritten> {
  return {
    plan({ name, edit, confirmUnscopedFault }) {
      const vs = deps.virtualServices.get(name);
      const route = vs && routeFromObject(vs);
      if (!route) throw noRoute(deps.routeApi, name);
      const parsed = parseOverlays(edit(route.overlays));
      if (!parsed.ok) throw new ApiError(400, 'invalid-input', formatFieldErrors(parsed.errors), { fields: parsed.errors });
      return { path: route.path, overlays: parsed.overlays, stored: route.overlays, confirmUnscopedFault, edit };
    },
    validate({ overlays, stored, confirmUnscopedFault }) {
      const unchanged = canonicalJson(overlays.fault) === canonicalJson(stored.fault);
      if (isUnscoped(overlays.fault) && !unchanged && !confirmUnscopedFault) {
        throw new ApiError(409, 'confirmation-required', `${UNSCOPED_FAULT_REFUSAL.field}: ${UNSCOPED_FAULT_REFUSAL.message}`, { fields: [UNSCOPED_FAULT_REFUSAL] });
      }
    },
    write: ({ path, edit }, { dryRun }) => deps.routes.updateOverlays(path, (stored) => edit(stored) as Overlays, { dryRun }),
    applied: ({ path, overlays }, { after }) => routeChangeRecord('SetRouteOverlays', after, `route ${path}: ${describeOverlays(overlays, 'overlays')}`),
  };
}
