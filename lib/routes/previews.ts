import type { RouteObject } from './route-objects';
import pino, { type Logger } from 'pino';
import { ApiError, invalidField, isApiError } from '../api-error';
import type { ResourceStore } from '../kube/resource-store';
import { formatFieldErrors, PREVIEW_TTL_MAX_MS, PREVIEW_TTL_MIN_MS, type FieldError, type Overlays, type Preview, type PreviewInput } from './overlays';
import { coversPath, quoteRoutePath, splitHostRoute } from './routespec';
import type { RouteService } from './service';
import { HUB_API_PATH, routeFromObject, type StoredRoute } from './virtualservice';

/**
 * A preview as listed: where it lives, whether its time is up (it stays until the janitor removes it), and
 * `coveredBy`, a more specific route created after it that now covers its path: then it is not rendered
 * (a preview never takes a more specific route's requests) and takes nothing until that route goes.
 */
export type PreviewView = Preview & { route: string; virtualService: string; expired: boolean; coveredBy?: string };

/** A preview change: the preview as it is after it, and the route's VirtualService before and after (with dryRun: as it would be). */
export type PreviewChange = { preview: PreviewView; before: RouteObject; after: RouteObject };

export type PreviewServiceDeps = {
  routes: RouteService;
  /** The route VirtualServices' cache RouteService writes through. */
  store: ResourceStore<RouteObject>;
  /** As the routes are rendered: the first segment of a route path is its host. */
  hostRouting: boolean;
  log?: Logger;
  now?: () => Date;
};

type RouteEntry = StoredRoute & { virtualService: string };

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The route a preview on `pathPrefix` belongs in: the one with the longest path that covers it. */
export function attachPoint<T extends { path: string }>(routes: readonly T[], pathPrefix: string): T | undefined {
  return routes.filter((r) => coversPath(r.path, pathPrefix)).reduce<T | undefined>((best, r) => (!best || r.path.length > best.path.length ? r : best), undefined);
}

/**
 * Why a preview on `pathPrefix` (in `route`) would shadow what is not its owner's: the hub's API, or
 * another user's server (the route's user, or for paths under /user/<name>/ that no route of that user
 * holds yet, the name in the path). Undefined when it shadows nothing.
 */
export function shadowReason(
  pathPrefix: string,
  route: { path: string; data: Record<string, unknown> },
  owner: string,
  hostRouting: boolean,
  hubApi: string = HUB_API_PATH,
): string | undefined {
  const { path } = splitHostRoute(pathPrefix, hostRouting);
  if (coversPath(hubApi, path)) return `${pathPrefix} is the hub's API (${hubApi})`;
  const routeUser = typeof route.data.user === 'string' ? route.data.user : undefined;
  if (routeUser !== undefined && routeUser !== owner) return `${pathPrefix} is on route ${route.path} of user ${JSON.stringify(routeUser)}`;
  // users' paths are below the hub's base URL, as its API is
  const base = hubApi.slice(0, -HUB_API_PATH.length);
  const pathUser = path.startsWith(`${base}/user/`) ? /^\/user\/([^/]+)/.exec(path.slice(base.length))?.[1] : undefined;
  if (pathUser !== undefined && pathUser !== owner) return `${pathPrefix} is under user ${JSON.stringify(pathUser)}'s path ${base}/user/${pathUser}`;
  return undefined;
}

/**
 * Where a preview's share link sends the browser: its path (quoted as browsers send it, with a trailing
 * "/") below `base`, the hub's public URL or the origin the link was opened on. Whatever the stored path
 * holds (an annotation can be written by hand), the answer stays on that origin: "\\" and all else that
 * a browser would not keep in a path segment is percent-encoded, dot segments are dropped, and slashes
 * never repeat, so the path never starts with "//".
 */
export function shareLinkLocation(base: string, pathPrefix: string): string {
  const segments = pathPrefix.split('/').filter((s) => s !== '' && s !== '.' && s !== '..');
  const url = new URL(base);
  const path = segments.length ? `${quoteRoutePath(`/${segments.join('/')}`)}/` : '/';
  // the pathname setter never changes the host; a base's own path stays in front
  url.pathname = `${url.pathname}${path}`.replace(/\/{2,}/g, '/');
  return url.href;
}

/** The link a stakeholder opens: hubmesh sets the preview cookie there and sends them on to the preview's path. */
export const shareUrl = (origin: string, name: string) => `${origin}/preview/${encodeURIComponent(name)}`;

/**
 * Preview routes: each lives in the overlays of the route that covers its path (so it is tried before that
 * route's catch-all rule, see shared/mesh-facts.md), and is changed by read-modify-write of those overlays.
 * Reads come from the VirtualService cache. Names are unique across all routes (the share link names
 * the preview alone); two replicas creating the same name on two routes at once is not prevented.
 */
export class PreviewService {
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly deps: PreviewServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.log ?? pino({ level: 'silent' });
  }

  /** Every preview on every route, by name. */
  list(): PreviewView[] {
    const nowMs = this.now().getTime();
    const routes = this.routeEntries();
    return routes
      .flatMap((route) =>
        (route.overlays.previews ?? []).map((p) => {
          const cover = attachPoint(routes, p.pathPrefix);
          const view = this.view(p, route, nowMs);
          return cover && cover.path !== route.path ? { ...view, coveredBy: cover.path } : view;
        }),
      )
      .sort(byName);
  }

  get(name: string): PreviewView | undefined {
    return this.list().find((p) => p.name === name);
  }

  /**
   * A new preview from an engineer (`owner`). Refuses with the field to fix: 409 when no route covers the
   * path or the name is taken, 403 when it would shadow the hub's API or another user's route and an
   * admin has not allowed that (allowShadow), 400 when the Service or port is not there.
   */
  async create(input: PreviewInput, options: { owner: string; isAdmin: boolean; dryRun?: boolean }): Promise<PreviewChange> {
    const { name, pathPrefix } = input;
    const routes = this.routeEntries();
    const route = attachPoint(routes, pathPrefix);
    if (!route) throw new ApiError(409, 'conflict', `pathPrefix: no route covers ${pathPrefix}; a preview goes into the route with the longest path above it (the hub route "/" covers every path)`);
    const taken = this.list().find((p) => p.name === name);
    if (taken) throw new ApiError(409, 'conflict', `name: a preview named ${name} exists on route ${taken.route}`);
    if (input.allowShadow && !options.isAdmin) throw new ApiError(403, 'forbidden', 'allowShadow: only an admin may let a preview shadow the hub API or another user’s route');
    const shadow = shadowReason(pathPrefix, route, options.owner, this.deps.hostRouting, this.deps.routes.hubApiPath());
    if (shadow && !input.allowShadow) throw new ApiError(403, 'forbidden', `pathPrefix: ${shadow}; only an admin can allow that (allowShadow: true)`);

    const now = this.now();
    const preview: Preview = {
      name,
      pathPrefix,
      destination: { service: input.service, ...(input.port === undefined ? {} : { port: input.port }), ...(input.subset === undefined ? {} : { subset: input.subset }) },
      match: input.match,
      owner: options.owner,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + input.ttl).toISOString(),
      ...(input.allowShadow ? { allowShadow: true } : {}),
    };
    let index = 0;
    const change = await this.update(route.path, options.dryRun, (previews) => {
      if (previews.some((p) => p.name === name)) throw new ApiError(409, 'conflict', `name: a preview named ${name} exists on route ${route.path}`);
      index = previews.length;
      return [...previews, preview];
    }).catch((error: unknown) => {
      throw asInputError(error, index);
    });
    return { ...change, preview: this.view(preview, route, now.getTime()) };
  }

  /** Moves a preview's expiry to now + ttl (milliseconds, 5 minutes to 7 days). */
  async extend(name: string, ttlMs: number, options: { dryRun?: boolean } = {}): Promise<PreviewChange> {
    if (!(ttlMs >= PREVIEW_TTL_MIN_MS && ttlMs <= PREVIEW_TTL_MAX_MS)) throw invalidField('ttl', 'must be from 5m to 7d');
    const found = this.locate(name);
    const now = this.now();
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    const change = await this.update(found.route, options.dryRun, (previews) => previews.map((p) => (p.name === name ? { ...p, expiresAt } : p)), name);
    return { ...change, preview: { ...found, expiresAt, expired: false } };
  }

  /** Removes a preview; its route is then as it was without it (exactly the plain route when nothing else is set). */
  async remove(name: string, options: { dryRun?: boolean } = {}): Promise<PreviewChange> {
    const found = this.locate(name);
    const change = await this.update(found.route, options.dryRun, (previews) => previews.filter((p) => p.name !== name), name);
    return { ...change, preview: found };
  }

  /**
   * Removes every expired preview, checking `signal` (the janitor's leadership) before each. Answers with
   * those this call removed: one another replica removed first is not among them.
   */
  async removeExpired(signal?: AbortSignal): Promise<PreviewView[]> {
    const removed: PreviewView[] = [];
    for (const expired of this.list().filter((p) => p.expired)) {
      if (signal?.aborted) break;
      try {
        const { preview } = await this.remove(expired.name);
        removed.push(preview);
      } catch (error) {
        if (isApiError(error) && error.code === 'not-found') continue;
        this.log.warn({ preview: expired.name, route: expired.route, err: error instanceof Error ? error.message : String(error) }, 'previews: cannot remove an expired preview');
      }
    }
    return removed;
  }

  private routeEntries(): RouteEntry[] {
    return this.deps.store.cache.list().flatMap((vs) => {
      const route = routeFromObject(vs);
      return route ? [{ ...route, virtualService: vs.metadata.name }] : [];
    });
  }

  private view(preview: Preview, route: RouteEntry, nowMs: number): PreviewView {
    return { ...preview, route: route.path, virtualService: route.virtualService, expired: Date.parse(preview.expiresAt) <= nowMs };
  }

  private locate(name: string): PreviewView {
    const found = this.get(name);
    if (!found) throw new ApiError(404, 'not-found', `no preview named ${JSON.stringify(name)}`);
    return found;
  }

  /**
   * Changes the previews of the route at `path` from each fresh read. With `existing`, that preview must
   * still be there: another replica may have removed it meanwhile (404).
   */
  private update(path: string, dryRun: boolean | undefined, change: (previews: Preview[]) => Preview[], existing?: string) {
    return this.deps.routes.updateOverlays(
      path,
      (stored) => {
        const previews = stored.previews ?? [];
        if (existing !== undefined && !previews.some((p) => p.name === existing)) throw new ApiError(404, 'not-found', `no preview named ${JSON.stringify(existing)}`);
        const next = change(previews);
        const overlays: Overlays = { ...stored, previews: next };
        if (!next.length) delete overlays.previews;
        return overlays;
      },
      { dryRun },
    );
  }
}

/** A refusal of the new preview at `previews[index]`, with its fields named as the input names them. */
function asInputError(error: unknown, index: number): unknown {
  if (!isApiError(error) || error.fields.length === 0) return error;
  const own = `previews[${index}].`;
  const fields: FieldError[] = error.fields.map((e) => {
    if (!e.field.startsWith(own) && e.field !== `previews[${index}]`) return e;
    const field = e.field.slice(own.length);
    return { ...e, field: field === 'destination' ? 'service' : field.replace(/^destination\./, '') };
  });
  return new ApiError(error.status, error.code, formatFieldErrors(fields), { fields });
}
