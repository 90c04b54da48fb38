import { z } from 'zod';
import { ApiError, invalidField } from '../api-error';
import { fromPrometheus, historyQuery, podsByRole, type MeshApiDeps } from '../mesh/api';
import { podsBehind } from '../mesh/checkers/destinations';
import { serviceOfHost } from '../mesh/checkers/hosts';
import { hubServerOf, hubUserOf } from '../mesh/pod-status';
import { durationSeconds, historyRange, trafficWindow } from '../mesh/traffic';
import { routeFromObject } from '../routes/virtualservice';
import { routeObjectDestination, type RouteObject } from '../routes/route-objects';
import { parseQuery } from '../search-params';
import type { QueryRange } from '../telemetry/prometheus';
import {
  flagRows,
  loadFigureMatrices,
  loadFigures,
  requestRatesQuery,
  trafficFigures,
  trafficSeries,
  websocketsByPod,
  websocketsQuery,
  WEBSOCKETS_NOT_EXPORTED,
  type FiguresMatrices,
  type FiguresScope,
  type FiguresVectors,
  type FlagRow,
  type TrafficFigures,
  type TrafficPoint,
} from './figures';

/**
 * Per-route and per-user traffic for the console: the figures over a window, a chart of the same window, and the
 * response flags behind failures; sparklines for a page of routes or users. Every answer costs a fixed number of
 * Prometheus queries, whatever the number of routes, users or servers (see figures.ts).
 */

export type FiguresApiDeps = Pick<MeshApiDeps, 'namespace' | 'config' | 'virtualServices' | 'services' | 'pods' | 'prometheus' | 'log' | 'now'>;
type Prometheus = NonNullable<FiguresApiDeps['prometheus']>;

/** A VirtualService name (a DNS subdomain), as the route's URL segment carries it. */
export const routeName = z
  .string()
  .max(253, 'must be at most 253 characters')
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a route's VirtualService name: lower-case letters, digits, '-' and '.'");

// JupyterHub takes almost any printable name (e.g. alice@example.org, o'brien+lab, 秀樹), up to 255 characters
const printable = (what: string) =>
  z
    .string()
    .max(255, 'must be at most 255 characters')
    .regex(/^[^\p{Cc}]*$/u, `must be a JupyterHub ${what}: no control characters`);

/** A JupyterHub user name. */
export const hubUserName = printable('user name').min(1, 'must not be empty');
/** A JupyterHub server name; "" is the user's default server. */
export const hubServerName = printable('server name').regex(/^[^/]*$/, "must be a JupyterHub server name: no '/'");

/** `time`: evaluation time in Unix seconds, default now (a point picked on a chart). */
const evaluationTime = z.coerce.number().positive('must be Unix seconds').optional();

export const trafficQuery = z.object({
  /** the figures' window and the charts' span */
  window: historyQuery.shape.span,
  /** the rate() window of each chart point, at least the grid step: four of Istio's default 15 s scrapes by default */
  rate: trafficWindow.default('1m'),
  time: evaluationTime,
});

export const MAX_SPARKLINES = 100;

export const sparklinesQuery = trafficQuery.extend({
  kind: z.enum(['routes', 'users'], { error: 'must be routes or users' }),
  names: z
    .string({ error: 'must list routes or users, separated by commas' })
    .transform((text) => [...new Set(text.split(',').filter((name) => name !== ''))])
    .refine((names) => names.length <= MAX_SPARKLINES, `must list at most ${MAX_SPARKLINES} names`),
});

type TrafficOptions = z.infer<typeof trafficQuery>;

export type RouteRef = { name: string; path: string; user: string | null; serverName: string | null };

/** A chart: the grid's step and each point's rate() window, in seconds. */
export type TrafficChart = { step: number; rateWindowSeconds: number; points: TrafficPoint[] };

type Configured = { configured: true; window: string; time: number; websocketsNote?: string };

export type RouteTraffic = Configured & { route: RouteRef; service: string; figures: TrafficFigures; series: TrafficChart; flags: FlagRow[] };

export type ServerTraffic = { serverName: string; routes: RouteRef[]; services: string[]; pods: string[]; figures: TrafficFigures };

/** A user's figures: all their servers summed (or the one asked for), and each server's. */
export type UserTraffic = Configured & { user: string; server: string | null; services: string[]; figures: TrafficFigures; series: TrafficChart; flags: FlagRow[]; servers: ServerTraffic[] };

export type SparkPoint = Pick<TrafficPoint, 'time' | 'requestsPerSecond' | 'errorRatio5xx'>;
export type Sparkline = { name: string; points: SparkPoint[]; requestsPerSecond: number; errorRatio5xx: number | null };
/** Sparklines in the order asked; `unknown` lists the names that are no route or user. */
export type Sparklines = { configured: true; kind: 'routes' | 'users'; window: string; time: number; step: number; sparklines: Sparkline[]; unknown: string[] };

export type NotConfigured = { configured: false };

function parseParam<T>(schema: z.ZodType<T>, field: string, value: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalidField(field, parsed.error.issues[0]!.message);
  return parsed.data;
}

function routeRef(vs: RouteObject): RouteRef | undefined {
  const route = routeFromObject(vs);
  if (!route) return undefined;
  const { user, server_name: serverName } = route.data;
  return { name: vs.metadata.name, path: route.path, user: typeof user === 'string' ? user : null, serverName: typeof serverName === 'string' ? serverName : null };
}

/** A hub route and the Service host it sends to, or undefined for an object that is not one. */
function routeWithHost(vs: RouteObject, clusterDomain: string): { ref: RouteRef; host: string } | undefined {
  const ref = routeRef(vs);
  const host = routeObjectDestination(vs, clusterDomain)?.host;
  return ref && host !== undefined ? { ref, host } : undefined;
}

/** The pods behind a route's Service host, when it names a Service of the hub namespace. */
function podsOfHost(deps: FiguresApiDeps, host: string): string[] {
  const key = serviceOfHost(host, deps.namespace, deps.config.proxy.clusterDomain);
  const service = key && key.namespace === deps.namespace ? deps.services.list().find((s) => s.metadata.name === key.name) : undefined;
  return service ? podsBehind(service, deps.pods.list()).map((p) => p.metadata.name) : [];
}

type UserServer = { serverName: string; routes: Array<{ ref: RouteRef; host: string }>; pods: string[] };

/**
 * The servers of the users `wanted` accepts, by user, from their routes (the hub's route data) and their notebook
 * pods (KubeSpawner's labels and annotations); a user with neither is absent.
 */
function serversByUser(deps: FiguresApiDeps, wanted: (user: string) => boolean): Map<string, UserServer[]> {
  const byUser = new Map<string, Map<string, UserServer>>();
  const server = (user: string, serverName: string) => {
    let servers = byUser.get(user);
    if (!servers) byUser.set(user, (servers = new Map()));
    let found = servers.get(serverName);
    if (!found) servers.set(serverName, (found = { serverName, routes: [], pods: [] }));
    return found;
  };
  for (const vs of deps.virtualServices.list()) {
    const route = routeWithHost(vs, deps.config.proxy.clusterDomain);
    const user = route?.ref.user;
    if (route && typeof user === 'string' && wanted(user)) server(user, route.ref.serverName ?? '').routes.push(route);
  }
  for (const pod of podsByRole(deps).notebook) {
    const user = hubUserOf(pod);
    if (user !== undefined && wanted(user)) server(user, hubServerOf(pod) ?? '').pods.push(pod.metadata.name);
  }
  return new Map([...byUser].map(([user, servers]) => [user, [...servers.values()].sort((a, b) => (a.serverName < b.serverName ? -1 : 1))]));
}

const unique = (values: Iterable<string>) => [...new Set(values)].sort();
const hostsOf = (servers: readonly UserServer[]) => unique(servers.flatMap((s) => s.routes.map((r) => r.host)));

type Loaded = { time: number; range: QueryRange; rateWindowSeconds: number; vectors: FiguresVectors; matrices: FiguresMatrices };

/** The six instant and four range queries for the hosts (without hosts only the websockets one), at `time`. */
async function loadTraffic(deps: FiguresApiDeps, prometheus: Prometheus, q: TrafficOptions, hosts: readonly string[]): Promise<Loaded> {
  const time = q.time ?? deps.now() / 1000;
  const range = historyRange(time, durationSeconds(q.window)!);
  const rateWindowSeconds = Math.max(range.step, durationSeconds(q.rate)!);
  const scope: FiguresScope = { namespace: deps.namespace, window: q.window, hosts, time };
  return fromPrometheus(deps.log, async () => {
    if (hosts.length === 0) {
      // no route, so no service: only the pods' websockets can be known
      const websockets = await prometheus.queryVector(websocketsQuery(deps.namespace), { time });
      return { time, range, rateWindowSeconds, vectors: { ...NO_SAMPLES, flags: [], websockets }, matrices: NO_SAMPLES };
    }
    const [vectors, matrices] = await Promise.all([
      loadFigures(prometheus, scope),
      loadFigureMatrices(prometheus, { ...scope, window: `${Math.round(rateWindowSeconds * 1000)}ms` }, range),
    ]);
    return { time, range, rateWindowSeconds, vectors, matrices };
  });
}

const NO_SAMPLES = { requests: [], latencyBuckets: [], bytesIn: [], bytesOut: [] };

/** The answer's parts every traffic answer has, for the hosts and pods of a route, a server or a user. */
function trafficOf(loaded: Loaded, window: string, hosts: readonly string[], pods: readonly string[]) {
  const byPod = websocketsByPod(loaded.vectors.websockets);
  return {
    base: { configured: true as const, window, time: loaded.time, ...(byPod ? {} : { websocketsNote: WEBSOCKETS_NOT_EXPORTED }) },
    byPod,
    figures: trafficFigures(loaded.vectors, hosts, { byPod, pods }),
    series: { step: loaded.range.step, rateWindowSeconds: loaded.rateWindowSeconds, points: trafficSeries(loaded.matrices, loaded.range, hosts) },
    flags: flagRows(loaded.vectors.flags, hosts),
  };
}

/** One route's traffic over `window`, by its VirtualService name. */
export async function routeTrafficAnswer(deps: FiguresApiDeps, name: string, params: URLSearchParams): Promise<RouteTraffic | NotConfigured> {
  const q = parseQuery(trafficQuery, params);
  const vsName = parseParam(routeName, 'name', name);
  const vs = deps.virtualServices.list().find((v) => v.metadata.name === vsName);
  const route = vs && routeWithHost(vs, deps.config.proxy.clusterDomain);
  if (!route) throw new ApiError(404, 'not-found', `no route with VirtualService ${JSON.stringify(vsName)}`);
  if (!deps.prometheus) return { configured: false };
  const hosts = [route.host];
  const loaded = await loadTraffic(deps, deps.prometheus, q, hosts);
  const { base, figures, series, flags } = trafficOf(loaded, q.window, hosts, podsOfHost(deps, route.host));
  return { ...base, route: route.ref, service: route.host, figures, series, flags };
}

/**
 * A user's traffic over `window`: all their servers summed, or the one `server` names ("" is the default server),
 * with each server's figures. Quantiles over several servers come from their summed latency buckets.
 */
export async function userTrafficAnswer(deps: FiguresApiDeps, user: string, params: URLSearchParams): Promise<UserTraffic | NotConfigured> {
  const q = parseQuery(trafficQuery, params);
  const name = parseParam(hubUserName, 'user', user);
  // parseQuery drops empty values, and server= (the default server) is one
  const server = params.has('server') ? parseParam(hubServerName, 'server', params.get('server')!) : null;
  const all = serversByUser(deps, (u) => u === name).get(name);
  if (!all) throw new ApiError(404, 'not-found', `no route or notebook pod of user ${JSON.stringify(name)}`);
  const servers = server === null ? all : all.filter((s) => s.serverName === server);
  if (servers.length === 0) throw new ApiError(404, 'not-found', `user ${JSON.stringify(name)} has no server ${JSON.stringify(server)}`);
  if (!deps.prometheus) return { configured: false };
  const hosts = hostsOf(servers);
  const loaded = await loadTraffic(deps, deps.prometheus, q, hosts);
  const { base, byPod, figures, series, flags } = trafficOf(loaded, q.window, hosts, servers.flatMap((s) => s.pods));
  return {
    ...base,
    user: name,
    server,
    services: hosts,
    figures,
    series,
    flags,
    servers: servers.map((s) => ({
      serverName: s.serverName,
      routes: s.routes.map((r) => r.ref),
      services: hostsOf([s]),
      pods: s.pods,
      figures: trafficFigures(loaded.vectors, hostsOf([s]), { byPod, pods: s.pods }),
    })),
  };
}

/**
 * Sparklines for a page of routes (by VirtualService name) or users: requests/s and the 5xx ratio over `window`,
 * and their points. Two queries for the whole list, an instant one and a range one, each over all their hosts.
 */
export async function sparklinesAnswer(deps: FiguresApiDeps, params: URLSearchParams): Promise<Sparklines | NotConfigured> {
  const q = parseQuery(sparklinesQuery, params);
  const nameSchema = q.kind === 'routes' ? routeName : hubUserName;
  for (const name of q.names) {
    const parsed = nameSchema.safeParse(name);
    if (!parsed.success) throw invalidField('names', `${JSON.stringify(name.slice(0, 80))} ${parsed.error.issues[0]!.message}`);
  }
  const hostsByName = q.kind === 'routes' ? routeHosts(deps, q.names) : userHosts(deps, q.names);
  if (!deps.prometheus) return { configured: false };
  const prometheus = deps.prometheus;
  const time = q.time ?? deps.now() / 1000;
  const range = historyRange(time, durationSeconds(q.window)!, SPARKLINE_POINTS);
  const rateWindow = `${Math.round(Math.max(range.step, durationSeconds(q.rate)!) * 1000)}ms`;
  const hosts = unique([...hostsByName.values()].flat());
  const scope: FiguresScope = { namespace: deps.namespace, window: q.window, hosts, time };
  const [instant, matrix] =
    hosts.length === 0
      ? [[], []]
      : await fromPrometheus(deps.log, () => Promise.all([prometheus.queryVector(requestRatesQuery(scope), { time }), prometheus.queryRange(requestRatesQuery({ ...scope, window: rateWindow }), range)]));
  const sparklines = [...hostsByName].map(([name, nameHosts]): Sparkline => {
    const figures = trafficFigures({ ...NO_SAMPLES, requests: instant }, nameHosts, { byPod: null, pods: [] });
    const points = trafficSeries({ ...NO_SAMPLES, requests: matrix }, range, nameHosts);
    return {
      name,
      points: points.map(({ time: t, requestsPerSecond, errorRatio5xx }) => ({ time: t, requestsPerSecond, errorRatio5xx })),
      requestsPerSecond: figures.requestsPerSecond,
      errorRatio5xx: figures.errorRatio5xx,
    };
  });
  return { configured: true, kind: q.kind, window: q.window, time, step: range.step, sparklines, unknown: q.names.filter((name) => !hostsByName.has(name)) };
}

const SPARKLINE_POINTS = 60;

/** Each known route's Service host, by VirtualService name, in the order asked. */
function routeHosts(deps: FiguresApiDeps, names: readonly string[]): Map<string, string[]> {
  const wanted = new Set(names);
  const found = new Map<string, string[]>();
  for (const vs of deps.virtualServices.list()) {
    const route = wanted.has(vs.metadata.name) ? routeWithHost(vs, deps.config.proxy.clusterDomain) : undefined;
    if (route) found.set(vs.metadata.name, [route.host]);
  }
  return new Map(names.flatMap((name) => (found.has(name) ? [[name, found.get(name)!] as const] : [])));
}

/** Each known user's route hosts (none for a user with only pods), by user name, in the order asked. */
function userHosts(deps: FiguresApiDeps, names: readonly string[]): Map<string, string[]> {
  const wanted = new Set(names);
  const found = serversByUser(deps, (user) => wanted.has(user));
  return new Map(names.flatMap((name) => (found.has(name) ? [[name, hostsOf(found.get(name)!)] as const] : [])));
}
