import type { HTTPRouteObject } from '../kube/httproutes';
import type { HTTPRoute, VirtualService } from '../kube/virtualservices';
import { hostIntersection } from '../mesh/checkers/hosts';
import { hubRouteObjects, routeObjectWords } from '../mesh/checkers/destinations';
import { isHttpRoute, routeKindName, type RouteObject } from '../routes/route-objects';
import { quoteRoutePath } from '../routes/routespec';
import { isOwnRule, routeFromObject } from '../routes/virtualservice';
import { hopFrom, link, type Problem } from './hop-kit';
import { serverUrlPath } from './route-hops';
import { serverWords } from './server';
import type { Evidence, Hop, HopContext } from './types';

const TITLE = "The hub's base URL and Host agree with the routes";

/** The hub's own route: the one whose data the hub marks `hub: true`. */
export function hubRouteOf(ctx: Pick<HopContext, 'snapshot'>): { object: RouteObject; path: string } | undefined {
  for (const object of hubRouteObjects(ctx.snapshot)) {
    const record = routeFromObject(object)!;
    if (record.data.hub === true) return { object, path: record.path };
  }
  return undefined;
}

const ownRules = (vs: VirtualService): HTTPRoute[] => (vs.spec.http ?? []).filter((rule) => isOwnRule(vs, rule) && rule.route !== undefined);
const urlRewrites = (route: HTTPRouteObject) => (route.spec.rules ?? []).flatMap((rule) => rule.filters ?? []).flatMap((f) => (f.type === 'URLRewrite' ? [f.urlRewrite] : []));

/** Whether the route's own rules rewrite the request path (an HTTPRoute: a URLRewrite filter's path). */
function rewritesPath(object: RouteObject): boolean {
  if (isHttpRoute(object)) return urlRewrites(object).some((rewrite) => rewrite.path !== undefined);
  return ownRules(object).some((rule) => rule.rewrite?.uri !== undefined || rule.rewrite?.uriRegexRewrite !== undefined);
}

/** Whether the route's own rules rewrite the Host header, and the field that does, in the object's terms. */
function hostRewrite(object: RouteObject): string | undefined {
  if (isHttpRoute(object)) {
    // hubmesh never writes one; an edit by hand can (the standard channel's URLRewrite has a hostname)
    return urlRewrites(object).some((rewrite) => 'hostname' in rewrite) ? "a URLRewrite filter's hostname" : undefined;
  }
  return ownRules(object).some((rule) => rule.rewrite?.authority !== undefined) ? 'rewrite.authority' : undefined;
}

/** The base URL a server URL of the hub's API carries: what comes before `user/<name>/`. */
export function baseUrlOf(serverUrl: string, user: string): string | undefined {
  const at = serverUrl.indexOf(`user/${quoteRoutePath(user)}/`);
  return at >= 0 ? serverUrl.slice(0, at) : undefined;
}

/** What the routes themselves say about the base URL and the Host header, true whatever the hub answers. */
function routeProblems(ctx: HopContext, hub: { object: RouteObject; path: string } | undefined, evidence: Evidence[]): Problem[] {
  const problems: Problem[] = [];
  const { route } = ctx.objects;
  if (hub) {
    evidence.push({ label: 'Hub route', value: `${hub.path} (${routeObjectWords(hub.object)})`, ref: link(routeKindName(hub.object), hub.object) });
    if (rewritesPath(hub.object)) {
      problems.push({
        status: 'fail',
        summary: `The hub route ${hub.path} (${routeObjectWords(hub.object)}) rewrites the request path, so the hub sees another path than the browser asked for and redirects back to its base URL: a redirect loop.`,
        fix: "Give the hub's route a target without a path (JupyterHub's hub_connect_url, or the route POSTed by hand): the hub serves below its base URL and needs the path as the browser sent it.",
      });
    }
  } else {
    evidence.push({ label: 'Hub route', value: 'none (no route carries the hub\'s mark "hub": true)' });
  }
  for (const object of [hub?.object, route?.object]) {
    const field = object && hostRewrite(object);
    if (!object || !field) continue;
    problems.push({
      status: 'fail',
      summary: `${routeObjectWords(object)} rewrites the Host header (${field}): the hub and the notebook then see another host than the browser's Origin, and refuse its API requests ("Blocking Cross Origin API request").`,
      fix: `Remove ${field} from ${routeObjectWords(object)}: the gateway must pass the browser's Host on.`,
    });
  }
  if (ctx.settings.hubUrl && !ctx.settings.hostRouting) {
    const host = new URL(ctx.settings.hubUrl).hostname.toLowerCase();
    evidence.push({ label: 'Hub host', value: `${host} (HUBMESH_HUB_URL); routes written for ${ctx.settings.hosts.join(', ')} (HUBMESH_HOSTS)` });
    if (hostIntersection([host], ctx.settings.hosts).length === 0) {
      problems.push({
        status: 'fail',
        summary: `The hub's public host ${host} is not among the hosts the routes are written for (${ctx.settings.hosts.join(', ')}): the gateway answers browsers' requests for ${host} with 404, or with another host's routes.`,
        fix: `Add ${host} to HUBMESH_HOSTS (and to the Gateway's servers), or correct HUBMESH_HUB_URL.`,
      });
    }
  }
  if (hub && route) {
    const under = hub.path === '/' ? '/user/' : `${hub.path}/user/`;
    if (!route.record.path.startsWith(under)) {
      problems.push({
        status: 'fail',
        summary: `The server's route ${route.record.path} is not below the hub's route ${hub.path}: the hub's base URL and the server's path disagree.`,
        fix: "Restart the hub after changing its base_url, so that it adds its servers' routes again below it.",
      });
    }
  }
  return problems;
}

/**
 * Hop 8: the hub's settings, as its REST API tells them (the server's URL, which carries its base_url, and whether
 * it is ready), checked against the routes: the server's URL is its route's path, the hub's route is the base URL
 * and is not rewritten (a rewrite loops redirects), no route rewrites the Host, and the hub's public host is among
 * the routes' hosts. Without an answer from the hub, the hop is unknown and says what the routes tell.
 */
export function hubHop(ctx: HopContext): Hop {
  const base = { id: 'hub' as const, title: TITLE };
  const { user, server, route } = ctx.objects;
  const evidence: Evidence[] = [];
  const hub = hubRouteOf(ctx);
  const fromRoutes = routeProblems(ctx, hub, evidence);
  if (ctx.hub.state !== 'ok') {
    const why = ctx.hub.state === 'unconfigured' ? 'the hub API is not configured (it is read with the settings of JupyterHub sign-in: HUBMESH_HUB_URL, JUPYTERHUB_API_URL, HUBMESH_HUB_CLIENT_SECRET and HUBMESH_HUB_REDIRECT_URI)' : `the hub did not answer: ${ctx.hub.message}`;
    const known = fromRoutes.length ? fromRoutes.map((p) => p.summary).join(' ') : `The hub route ${hub ? `is ${hub.path}, not rewritten` : 'is missing'}, and no route rewrites the Host.`;
    return { ...base, status: 'unknown', summary: `hubmesh cannot check the hub's settings: ${why}. From the routes: ${known}`, evidence, ...(fromRoutes.length ? { fix: fromRoutes.map((p) => p.fix).join(' ') } : {}) };
  }
  const hubUser = ctx.hub.user;
  if (!hubUser) {
    return hopFrom(base, [...fromRoutes, { status: 'fail', summary: `The hub does not know a user ${user}.`, fix: "Check the name on the hub's admin page: hubmesh looked for the name the routes and pods carry." }], evidence, '');
  }
  if (!hubUser.servers) {
    evidence.push({ label: 'Hub API', value: `user ${hubUser.name} without servers (the token lacks the read:servers scope)` });
    if (fromRoutes.length) return hopFrom(base, fromRoutes, evidence, '');
    return { ...base, status: 'unknown', summary: "The hub answered without the user's servers: hubmesh's token needs the read:servers scope.", evidence, fix: 'Give the hubmesh service the scopes read:users and read:servers (hub.loadRoles in z2jh).' };
  }
  const problems = [...fromRoutes];
  const hubServer = hubUser.servers[server];
  if (!hubServer) {
    problems.push({ status: 'fail', summary: `The hub lists no running server for ${serverWords(user, server)}${route ? `: route ${route.record.path} is left over, and the hub removes it on its next check` : ''}.`, fix: "Start the server from the hub's home page." });
    return hopFrom(base, problems, evidence, '');
  }
  evidence.push({ label: 'Hub says', value: `${hubServer.url}, ${hubServer.ready ? 'ready' : 'not ready'}${hubServer.pending ? `, pending ${hubServer.pending}` : ''}` });
  const baseUrl = baseUrlOf(hubServer.url, user);
  if (baseUrl !== undefined) evidence.push({ label: 'Base URL', value: baseUrl });
  if (hubServer.pending) problems.push({ status: 'warn', summary: `The hub reports ${serverWords(user, server)} as pending (${hubServer.pending}).`, fix: `Wait until the ${hubServer.pending} is over, then check again.` });
  else if (!hubServer.ready) problems.push({ status: 'warn', summary: `The hub reports ${serverWords(user, server)} as not ready.`, fix: "Look at the server's progress on the hub's home page." });
  if (route) {
    const expected = serverUrlPath(route.record.path, ctx.settings.hostRouting);
    if (new URL(hubServer.url, 'http://hub').pathname !== expected) {
      problems.push({
        status: 'fail',
        summary: `The hub sends ${user} to ${hubServer.url}, but the route serves ${expected}: the hub and the routes disagree on the server's URL.`,
        fix: "Restart the hub so that it adds the server's route for its current base_url, and remove the old route.",
      });
    }
  }
  if (hub && baseUrl !== undefined) {
    const wanted = baseUrl === '/' ? '/' : baseUrl.replace(/\/$/, '');
    if (hub.path !== wanted && hub.path !== '/') {
      problems.push({
        status: 'fail',
        summary: `The hub's base_url is ${baseUrl}, but its route is ${hub.path}: requests below ${baseUrl} do not reach the hub.`,
        fix: "Restart the hub so that it adds its route at its base_url, and delete the route at the old path.",
      });
    }
  }
  return hopFrom(base, problems, evidence, `The hub sends ${user} to ${hubServer.url}, which the route serves; ${hub ? `the hub route ${hub.path} is not rewritten` : ''}${hub ? ' and ' : ''}no route rewrites the Host.`);
}
