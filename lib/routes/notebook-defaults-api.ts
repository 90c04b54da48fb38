import type { RouteApi, RouteObject } from './route-objects';
import { UNAVAILABLE_WITH_HTTPROUTE } from './httproute';
import { ApiError, invalidField } from '../api-error';
import { referenceTo, type ChangeKind, type ChangePipeline, type Written } from '../changes/pipeline';
import { configMapKind, type ConfigMap } from '../kube/configmaps';
import { isKubeError, isNotFound } from '../kube/errors';
import type { Informer } from '../kube/informer';
import { toYaml } from '../kube/object-diff';
import type { ResourceBackend } from '../kube/types';
import { describeDefaults, isNotebookRoute, notebookDefaults, type NotebookDefaults } from './notebook-defaults';
import { DEFAULTS_KEY, type NotebookDefaultsStore } from './notebook-defaults-store';
import { issueErrors } from './overlays';
import { canonicalJson, routeFromObject } from './virtualservice';

export type NotebookDefaultsApiDeps = {
  store: Pick<NotebookDefaultsStore, 'name' | 'namespace' | 'labels' | 'current'>;
  configMaps: ResourceBackend<ConfigMap>;
  /** the route objects, to say how many notebook routes the defaults reach */
  virtualServices: Pick<Informer<RouteObject>, 'list'>;
  changes: ChangePipeline;
  /** what routes are stored as (HUBMESH_ROUTE_API): an HTTPRoute has no retries, and rate limits need VirtualServices */
  routeApi: RouteApi;
};

/** The defaults a backend cannot apply, each with why; circuit breaking (DestinationRules) works with both. */
function unavailableDefaults(routeApi: RouteApi): Partial<Record<'retries' | 'rateLimit', string>> {
  return routeApi === 'httproute' ? { retries: UNAVAILABLE_WITH_HTTPROUTE.retries, rateLimit: UNAVAILABLE_WITH_HTTPROUTE.rateLimit } : {};
}

export type DefaultsChange = { defaults: NotebookDefaults; dryRun: boolean };

/** The body of PUT /api/v1/notebook-defaults: `{ defaults, dryRun }`, with errors that name the field. */
export function parseDefaultsChange(body: unknown): DefaultsChange {
  const input = (typeof body === 'object' && body !== null ? body : {}) as { defaults?: unknown; dryRun?: unknown };
  if (input.dryRun !== undefined && typeof input.dryRun !== 'boolean') throw invalidField('dryRun', 'must be true or false');
  const parsed = notebookDefaults.safeParse(input.defaults ?? {});
  if (!parsed.success) {
    const error = issueErrors(parsed.error.issues as never)[0]!;
    throw invalidField(`defaults.${error.field || '(body)'}`, error.message);
  }
  return { defaults: parsed.data, dryRun: input.dryRun === true };
}

/** How many notebook routes there are, and how many of them leave each section to the defaults. */
function reach(virtualServices: Iterable<RouteObject>) {
  let notebooks = 0;
  const own = { retries: 0, rateLimit: 0 };
  for (const vs of virtualServices) {
    const route = routeFromObject(vs);
    if (!route || !isNotebookRoute(route.data)) continue;
    notebooks++;
    if (route.overlays.retries !== undefined) own.retries++;
    if (route.overlays.rateLimit !== undefined) own.rateLimit++;
  }
  return { notebooks, ownRetries: own.retries, ownRateLimit: own.rateLimit };
}

export function defaultsAnswer(deps: NotebookDefaultsApiDeps) {
  const { defaults, error } = deps.store.current();
  return { defaults, ...(error ? { error } : {}), description: describeDefaults(defaults), routes: reach(deps.virtualServices.list()), unavailable: unavailableDefaults(deps.routeApi) };
}

type Plan = { current: ConfigMap | undefined; desired: ConfigMap; defaults: NotebookDefaults };

/** The defaults as a change of their ConfigMap (server-side apply, so a dry run is the apiserver's). */
function setDefaults(deps: NotebookDefaultsApiDeps): ChangeKind<NotebookDefaults, Plan> {
  const { name, namespace } = deps.store;
  return {
    async plan(defaults) {
      let current: ConfigMap | undefined;
      try {
        current = await deps.configMaps.get(namespace, name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const desired: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: deps.store.labels() }, data: { [DEFAULTS_KEY]: canonicalJson(defaults) } };
      return { current, desired, defaults };
    },
    // a default the backend cannot apply is refused when it is set or changed; one stored before a switch of backend may be sent back as it is
    validate({ defaults }) {
      const stored = deps.store.current().defaults;
      const unavailable = unavailableDefaults(deps.routeApi);
      const fields = (['retries', 'rateLimit'] as const).flatMap((key) =>
        defaults[key] !== undefined && unavailable[key] && canonicalJson(defaults[key]) !== canonicalJson(stored[key]) ? [{ field: `defaults.${key}`, message: unavailable[key] }] : [],
      );
      if (fields.length) throw new ApiError(400, 'invalid-input', fields.map((f) => `${f.field}: ${f.message}`).join('; '), { fields });
    },
    async write({ current, desired }, { dryRun }): Promise<Written> {
      try {
        return { before: current, after: await deps.configMaps.patch(namespace, name, desired, { type: 'apply', force: true, dryRun }) };
      } catch (error) {
        if (isKubeError(error) && (error.status === 400 || error.status === 422)) throw new ApiError(400, 'rejected', `the apiserver refused the ConfigMap: ${error.message}`);
        throw error;
      }
    },
    applied: ({ defaults }, { after }) => ({
      action: 'SetNotebookDefaults',
      regarding: referenceTo(configMapKind, { namespace, name, uid: after.metadata.uid }),
      reason: 'AppliedByHubmesh',
      type: 'Normal',
      note: describeDefaults(defaults),
    }),
  };
}

/**
 * Sets the notebook defaults. Every replica hears of the change from its watch and renders with them from
 * then on; the leader renders every route again, and the gateway's rate limits follow.
 */
export async function changeDefaults(deps: NotebookDefaultsApiDeps, change: DefaultsChange, actor: string) {
  const { dryRun, after, diff, audit } = await deps.changes.run(setDefaults(deps), change.defaults, { actor, dryRun: change.dryRun });
  return { dryRun, defaults: change.defaults, description: describeDefaults(change.defaults), routes: reach(deps.virtualServices.list()), unavailable: unavailableDefaults(deps.routeApi), diff, preview: toYaml(after), ...(audit ? { audit } : {}) };
}
