import type { Logger } from 'pino';
import { ApiError } from '../api-error';
import { referenceTo, type ChangeKind, type ChangePipeline, type ChangeResult, type Written } from '../changes/pipeline';
import { DebouncedLeaderWork } from '../kube/debounced-leader-work';
import { envoyFilterKind, type EnvoyFilter } from '../kube/envoyfilters';
import { isKubeError, isNotFound } from '../kube/errors';
import type { Informer } from '../kube/informer';
import { LABELS } from '../kube/labels';
import type { ResourceBackend } from '../kube/types';
import type { VirtualService } from '../kube/virtualservices';
import { isHttpRoute, type RouteObject } from './route-objects';
import { rateLimitedRoutes, renderRateLimitFilter, type DefaultLimit, type RateLimitFilterContext } from './rate-limits';
import { canonicalJson } from './virtualservice';

export type RateLimitSyncDeps = {
  /** the route objects (the route cache): only VirtualServices hold rate limits */
  virtualServices: Pick<Informer<RouteObject>, 'list'>;
  /** EnvoyFilters in the gateway's namespace */
  filters: ResourceBackend<EnvoyFilter>;
  ctx: RateLimitFilterContext;
  /** the notebook defaults' limit now, and the name their routes' matches carry */
  defaults: () => DefaultLimit;
  changes: ChangePipeline;
};

type Plan = { current: EnvoyFilter | undefined; desired: EnvoyFilter; limited: string[] };

/** The routes as they will be: the cache, with `pending` (a route's object about to be written, or a dry run's answer) in place of its stored one. */
function routesWith(deps: RateLimitSyncDeps, pending: RouteObject | undefined): VirtualService[] {
  const list = deps.virtualServices.list().filter((vs) => vs.metadata.name !== pending?.metadata.name);
  return (pending ? [...list, pending] : list).filter((object): object is VirtualService => !isHttpRoute(object));
}

const isOurs = (filter: EnvoyFilter, prefix: string) => filter.metadata.labels?.[LABELS.managedBy] === 'hubmesh' && filter.metadata.labels?.[LABELS.prefix] === prefix;

/** What the stored filter says that we write: equal means there is nothing to apply. */
const samePatches = (a: EnvoyFilter, b: EnvoyFilter) => canonicalJson(a.spec) === canonicalJson(b.spec);

/**
 * The gateway's rate-limit EnvoyFilter as a change: rendered from every route, applied as hubmesh's (server-side
 * apply, so a dry run is the apiserver's). With no limit left the object stays, holding only the filter with no
 * limit of its own, which lets every request through.
 */
function rateLimitChange(deps: RateLimitSyncDeps): ChangeKind<{ pending?: RouteObject }, Plan> {
  return {
    async plan({ pending }) {
      let current: EnvoyFilter | undefined;
      try {
        current = await deps.filters.get(deps.ctx.namespace, deps.ctx.name);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      const routes = rateLimitedRoutes(routesWith(deps, pending), deps.defaults());
      const desired = renderRateLimitFilter(routes, deps.ctx);
      return { current, desired, limited: routes.map((r) => r.path) };
    },
    validate({ current }) {
      if (current && !isOurs(current, deps.ctx.prefix)) {
        throw new ApiError(409, 'conflict', `EnvoyFilter ${deps.ctx.namespace}/${deps.ctx.name} exists but is not hubmesh's (prefix ${deps.ctx.prefix}); refusing to overwrite it`);
      }
    },
    async write({ current, desired }, { dryRun }): Promise<Written> {
      try {
        const after = await deps.filters.patch(deps.ctx.namespace, deps.ctx.name, desired, { type: 'apply', force: true, dryRun });
        return { before: current, after };
      } catch (error) {
        if (isKubeError(error) && (error.status === 400 || error.status === 422)) throw new ApiError(400, 'rejected', `the apiserver refused the EnvoyFilter: ${error.message}`);
        throw error;
      }
    },
    applied: ({ limited }, { after }) => ({
      action: 'SyncRateLimits',
      regarding: referenceTo(envoyFilterKind, { namespace: deps.ctx.namespace, name: deps.ctx.name, uid: after.metadata.uid }),
      reason: 'AppliedByHubmesh',
      type: 'Normal',
      note: limited.length ? `rate limits at the gateway on ${limited.map((p) => (p === '*' ? 'every notebook (defaults)' : p)).slice(0, 20).join(', ')}${limited.length > 20 ? ', …' : ''}` : 'no rate limits at the gateway',
    }),
  };
}

/**
 * Brings the gateway's EnvoyFilter in line with the routes (with `pending` as about to be written); undefined
 * when it already is, or when no route ever had a limit (no object, none needed).
 */
export async function syncRateLimits(deps: RateLimitSyncDeps, options: { actor: string; dryRun?: boolean; pending?: RouteObject }): Promise<ChangeResult<Plan> | undefined> {
  const kind = rateLimitChange(deps);
  const plan = await kind.plan({ pending: options.pending });
  if (plan.current ? samePatches(plan.current, plan.desired) : plan.limited.length === 0) return undefined;
  return deps.changes.run(kind, { pending: options.pending }, { actor: options.actor, dryRun: options.dryRun });
}

export const RATE_LIMIT_ACTOR = 'hubmesh';
const SYNC_DELAY_MS = 500;

/**
 * Keeps the gateway's EnvoyFilter in line with the routes on the one replica that leads: once when it starts
 * leading, then after any change of a route that has or had a rate limit (the hub's DELETE of a limited route,
 * a re-POST that changes its rules, another replica's overlays change). Writes only what differs.
 */
export class RateLimitKeeper {
  private readonly work: DebouncedLeaderWork;

  constructor(
    private readonly deps: RateLimitSyncDeps & { virtualServices: Pick<Informer<RouteObject>, 'list' | 'subscribe' | 'waitForSync'>; log: Logger },
  ) {
    this.work = new DebouncedLeaderWork({
      delayMs: SYNC_DELAY_MS,
      waitForSync: (timeoutMs) => deps.virtualServices.waitForSync(timeoutMs),
      name: 'rate limits',
      waitingMessage: 'rate limits: waiting for the route cache to sync',
      log: deps.log,
      firstPass: () => this.sync(),
      pass: () => this.sync(),
    });
    deps.virtualServices.subscribe((_type, vs) => {
      if (mayBeLimited(vs)) this.work.changed();
    });
  }

  /** The notebook defaults' limit changed: their patches change with it. */
  defaultsChanged(): void {
    this.work.changed();
  }

  lead(signal: AbortSignal): void {
    this.work.lead(signal);
  }

  idle(): Promise<void> {
    return this.work.idle();
  }

  private async sync(): Promise<void> {
    try {
      const result = await syncRateLimits(this.deps, { actor: RATE_LIMIT_ACTOR });
      if (result) this.deps.log.info({ routes: result.plan.limited.length }, 'rate limits: the gateway EnvoyFilter follows the routes again');
    } catch (error) {
      this.deps.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'rate limits: cannot bring the gateway EnvoyFilter in line with the routes');
    }
  }
}

/** Whether a route's object may hold a rate limit (its own or the defaults'): a limited route's own matches are named. */
const mayBeLimited = (object: RouteObject) => !isHttpRoute(object) && object.spec.http?.some((rule) => rule.match?.some((m) => m.name !== undefined)) === true;
