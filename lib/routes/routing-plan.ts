import type { HTTPRoute } from '../kube/virtualservices';
import type { RouteTree } from './route-tree';
import { ISTIO_MAX_REGEX_LENGTH } from './path-regex';
import { coversPath, quoteRoutePath, splitHostRoute } from './routespec';
import type { GatewayPlacement } from './httproute';
import { HUB_API_SUBPATH, ownRules, ROUTE_RULE, type Destination, type Placement, type RenderContext, type StoredRoute } from './virtualservice';

/** What the tree keeps per route: its VirtualService's name, and whether the hub registered it as its own route. */
export type TreeValue = { name: string; hub: boolean };

/** A stored route and where it sends its path, as its VirtualService says; undefined for an unknown path. */
export type RouteLookup = (path: string) => { route: StoredRoute; destination: Destination } | undefined;

export type PlanInput = {
  tree: RouteTree<TreeValue>;
  /** paths of the routes the hub registered as its own (data.hub): usually one */
  hubPaths: ReadonlySet<string>;
  lookup: RouteLookup;
  ctx: RenderContext;
};

/**
 * The hub route rendered as the catch-all although it is not "/": the hub's route under a base URL
 * ("/jupyter"), when no route is above it and there is no "/" (JupyterHub registers its route at the base
 * URL, and at "/" with host routing). The shortest such path wins, so there is never more than one.
 */
export function rootRoutePath({ tree, hubPaths, ctx }: Pick<PlanInput, 'tree' | 'hubPaths' | 'ctx'>): string | undefined {
  if (ctx.hostRouting || tree.get('/') !== undefined) return undefined;
  let best: string | undefined;
  for (const path of hubPaths) {
    // its 404 rule is a regex as long as its path: a path Istio's regex limit cannot hold stays a plain route
    if (tree.ancestors(path).length || quoteRoutePath(path).length * 4 > ISTIO_MAX_REGEX_LENGTH) continue;
    if (best === undefined || path.length < best.length || (path.length === best.length && path < best)) best = path;
  }
  return best;
}

/** The hub's API path: below the hub's own route ("/hub/api", or "/jupyter/hub/api" under a base URL). */
export function hubApiPath(input: Pick<PlanInput, 'tree' | 'hubPaths' | 'ctx'>, root = rootRoutePath(input)): string {
  const hub = root ?? (input.hubPaths.has('/') || input.hubPaths.size === 0 ? '/' : [...input.hubPaths].sort((a, b) => a.length - b.length)[0]!);
  return hub === '/' ? `/${HUB_API_SUBPATH}` : `${hub}/${HUB_API_SUBPATH}`;
}

/** Where the route at `path` stands among the others (see Placement). */
export function placementFor(path: string, input: PlanInput): Placement {
  const { tree, lookup, ctx } = input;
  const root = rootRoutePath(input);
  const hubApi = hubApiPath(input, root);
  const carry = (paths: Array<{ path: string }>): HTTPRoute[] =>
    paths.flatMap(({ path: p }) => {
      const found = lookup(p);
      return found ? ownRules(found.route, found.destination, ctx, found.route.overlays, { mode: 'path', hubApiPath: hubApi }) : [];
    });
  const wide = (mode: 'catch-all' | 'root', carried: HTTPRoute[]): Placement => ({
    mode,
    carried,
    hubApiPath: hubApi,
    occupied: (p) => tree.occupiedChildSegments(p),
    claimed: claimedBelow(path, tree),
  });
  if (path === '/') return wide('catch-all', []);
  if (path === root) return wide('root', carry(tree.descendants('/', root)));
  const placement: Placement = { mode: 'path', carried: carry(tree.descendants(path)), hubApiPath: hubApi };
  const fallback = hostFallback(path, input, hubApi);
  if (fallback) placement.fallback = fallback;
  return placement;
}

/**
 * Where the route at `path` stands for a Gateway API route: only the hub API's path (for the previews' guard)
 * and the host fallback matter, since the Gateway API itself tries longer paths first across routes.
 */
export function gatewayPlacementFor(path: string, input: PlanInput): GatewayPlacement {
  const hubApi = hubApiPath(input);
  const fallback = hostFallback(path, input, hubApi, true);
  const placement: GatewayPlacement = { hubApiPath: hubApi, claimed: claimedBelow(path, input.tree) };
  return fallback ? { ...placement, fallback } : placement;
}

/** Whether a path below the route at `path` is another route's, which covers it: the route's overlays keep off it. */
function claimedBelow(path: string, tree: RouteTree<TreeValue>): (p: string) => boolean {
  return (p) => (tree.get(p) !== undefined && p !== path) || tree.ancestors(p).some((a) => a.path !== path && coversPath(path, a.path));
}

/**
 * With host routing, a host's routes that have nothing above them end with the hub route's rule: CHP
 * sends what a host's routes do not match to "/", but Envoy picks a virtual host by Host first.
 */
function hostFallback(path: string, { tree, lookup, ctx }: PlanInput, hubApi: string, pathPrefixes?: true): HTTPRoute | undefined {
  if (!ctx.hostRouting || splitHostRoute(path, true).host === undefined || tree.ancestors(path).length) return undefined;
  const hub = lookup('/');
  if (!hub) return undefined;
  return ownRules(hub.route, hub.destination, ctx, hub.route.overlays, { mode: 'catch-all', hubApiPath: hubApi, ...(pathPrefixes ? { pathPrefixes } : {}) }).find((r) => r.name === ROUTE_RULE);
}

/**
 * The routes whose VirtualService may change when the route at `path` is added, changed or removed: itself,
 * every route above it (they carry its rules, or keep their overlays off it), the hub's routes (one of them
 * may be the root, which carries the routes outside it), and with host routing, what depends on host
 * fallbacks. Each may then be rendered again; an unchanged one writes nothing.
 */
export function dependents(path: string, input: Pick<PlanInput, 'tree' | 'hubPaths' | 'ctx'>): string[] {
  return withHostDependents(path, new Set<string>([path, ...input.tree.ancestors(path).map((a) => a.path), ...input.hubPaths]), input);
}

/**
 * The same for Gateway API routes, which carry no other route's rules: the route itself, the hub's routes
 * (their previews' guard follows the hub API's path) and the host fallbacks. A route's write touches no other.
 */
export function gatewayDependents(path: string, input: Pick<PlanInput, 'tree' | 'hubPaths' | 'ctx'>): string[] {
  return withHostDependents(path, new Set<string>([path, ...input.hubPaths]), input);
}

function withHostDependents(path: string, paths: Set<string>, { tree, ctx }: Pick<PlanInput, 'tree' | 'ctx'>): string[] {
  if (ctx.hostRouting) {
    if (path === '/') for (const host of tree.hosts()) if (host !== '') for (const top of tree.tops(host)) paths.add(top.path);
    if (splitHostRoute(path, true).host !== undefined) for (const below of tree.nearestBelow(path)) paths.add(below.path);
  }
  return [...paths];
}
