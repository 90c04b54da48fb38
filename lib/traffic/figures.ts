import { rangeGrid, sumOfEither, trafficWindow, type TrafficSource } from '../mesh/traffic';
import { queryRanges, queryVectors, type InstantSample, type QueryRange, type RangeSeries } from '../telemetry/prometheus';
import { promqlString, regexQuoteMeta } from '../telemetry/promql';
import { explainResponseFlags, NEVER_FORWARDED_MATCH, type ResponseFlag } from '../telemetry/response-flags';

/**
 * Traffic figures per destination service (the FQDN Istio puts in `destination_service`), from Istio's standard
 * metrics, for the routes and users pages: requests/s, 5xx and 4xx ratios, p50/p95 latency, bytes in and out,
 * the response flags that explain failures, and active websockets.
 *
 * A fixed number of queries whatever the number of routes or users: each is one `sum by (destination_service, ...)`
 * over every host in scope, and the figures of a route or a user are summed here from the per-service answers.
 * - Requests, latency and bytes as the destination's proxy reported them (`reporter="destination"`: the notebook's
 *   sidecar saw each of them once, whoever called), plus the requests only the caller's proxy knows of because it
 *   answered them itself (`reporter="source"` with a NEVER_FORWARDED flag, e.g. the gateway's 503 UF,URX).
 * - Latency is the notebook sidecar's: requests the caller answered itself have none. p50 and p95 are worked out
 *   here from the bucket rates summed over the services of a route or user, exactly as histogram_quantile() does
 *   over `sum by (le)`: quantiles of several services cannot be added or averaged, their buckets can.
 * - Bytes in are what the notebook received (request bodies and TCP bytes received), bytes out what it sent
 *   (response bodies and TCP bytes sent). The figures are totals over the window (increase), the charts rates.
 */

export type FiguresScope = {
  /** the hub namespace: the scope when `hosts` is absent or empty */
  namespace: string;
  /** rate() and increase() window, a Prometheus duration such as 1h */
  window: string;
  /** destination service FQDNs, e.g. jupyter-alice.jupyterhub.svc.cluster.local */
  hosts?: readonly string[];
  /** evaluation time in Unix seconds, default now */
  time?: number;
};

export const RESPONSE_CLASSES = ['2xx', '3xx', '4xx', '5xx', 'other'] as const;
/** `other`: Envoy's code 0 (no response was sent, e.g. the caller went away) and 1xx. */
export type ResponseClass = (typeof RESPONSE_CLASSES)[number];

export type TrafficFigures = {
  /** requests per second over the window, those the caller's proxy answered itself included */
  requestsPerSecond: number;
  /** requests per second by response class */
  byClass: Record<ResponseClass, number>;
  /** 5xx / all requests, 0..1; null without requests */
  errorRatio5xx: number | null;
  /** 4xx / all requests, 0..1; null without requests */
  errorRatio4xx: number | null;
  /** ms, as the notebook's sidecar measured them; null without measured requests */
  latencyMs: { p50: number | null; p95: number | null };
  /** bytes over the whole window: in = to the notebook, out = from it */
  bytes: { in: number; out: number };
  /** active websocket (upgraded) connections on the pods' sidecars now; null when Envoy's gauge is not exported */
  websockets: number | null;
};

/** One grid point of the charts; every field is null on a gap (Prometheus had no sample for it there). */
export type TrafficPoint = {
  /** Unix seconds */
  time: number;
  requestsPerSecond: number | null;
  /** null on a gap or without requests */
  errorRatio5xx: number | null;
  errorRatio4xx: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  bytesInPerSecond: number | null;
  bytesOutPerSecond: number | null;
};

/** Requests with Envoy response flags to one service over the window, as one proxy reported them. */
export type FlagRow = {
  service: string;
  /** destination: the notebook's sidecar; source: the caller's proxy (the gateway, for browsers), which answered itself */
  reporter: 'destination' | 'source';
  responseCode: string;
  /** as Envoy wrote them, e.g. UF,URX */
  flags: string;
  explanations: ResponseFlag[];
  count: number;
};

export const WEBSOCKET_GAUGE = 'envoy_http_downstream_cx_upgrades_active';
export const WEBSOCKETS_NOT_EXPORTED = `not exported (add ${WEBSOCKET_GAUGE} to proxyStatsMatcher)`;

const REQUESTS = 'istio_requests_total';
const DURATION_BUCKETS = 'istio_request_duration_milliseconds_bucket';
const SERVICE = 'destination_service';

function hostMatcher(scope: FiguresScope): string {
  const [first, ...others] = scope.hosts ?? [];
  if (first === undefined) return `destination_service_namespace=${promqlString(scope.namespace)}`;
  if (others.length === 0) return `${SERVICE}=${promqlString(first)}`;
  return `${SERVICE}=~${promqlString([first, ...others].map(regexQuoteMeta).join('|'))}`;
}

/** fn(metric) over the destination's reports in scope */
function reported(fn: 'rate' | 'increase', metric: string, scope: FiguresScope, extraMatchers = ''): string {
  return `${fn}(${metric}{reporter="destination",${hostMatcher(scope)}${extraMatchers}}[${trafficWindow.parse(scope.window)}])`;
}

// the two selectors differ in `reporter`, so `or` keeps every series of both
function requestsAnswered(fn: 'rate' | 'increase', scope: FiguresScope, extraMatchers = ''): string {
  const callerAnswered = `${fn}(${REQUESTS}{reporter="source",${hostMatcher(scope)},response_flags=~${NEVER_FORWARDED_MATCH}}[${trafficWindow.parse(scope.window)}])`;
  return `${reported(fn, REQUESTS, scope, extraMatchers)} or ${callerAnswered}`;
}

function bytes(fn: 'rate' | 'increase', direction: 'in' | 'out', scope: FiguresScope): string {
  const [body, tcp] = direction === 'in' ? ['istio_request_bytes_sum', 'istio_tcp_received_bytes_total'] : ['istio_response_bytes_sum', 'istio_tcp_sent_bytes_total'];
  const perService = (metric: string) => `sum by (${SERVICE}) (${reported(fn, metric, scope)})`;
  return sumOfEither(perService(body), perService(tcp));
}

/** Requests/s by service and response code: the figures' first query, the charts' and the sparklines'. */
export const requestRatesQuery = (scope: FiguresScope) => `sum by (${SERVICE}, response_code) (${requestsAnswered('rate', scope)})`;
const latencyBuckets = (scope: FiguresScope) => `sum by (${SERVICE}, le) (${reported('rate', DURATION_BUCKETS, scope)})`;

/**
 * Envoy's gauge of upgraded connections on every pod of the namespace, by pod: Prometheus's kubernetes-pods job
 * names the pod `pod`, Istio's older envoy-stats job `pod_name`. It counts every HTTP connection manager of a
 * sidecar; on a notebook's, those are the browser's kernel and terminal websockets.
 */
export const websocketsQuery = (namespace: string) => `sum by (pod, pod_name) (${WEBSOCKET_GAUGE}{namespace=${promqlString(namespace)}})`;

/** The six instant queries behind a page's figures and flags. */
export function figuresQueries(scope: FiguresScope) {
  return {
    requests: requestRatesQuery(scope),
    latencyBuckets: latencyBuckets(scope),
    bytesIn: bytes('increase', 'in', scope),
    bytesOut: bytes('increase', 'out', scope),
    flags: `sum by (${SERVICE}, reporter, response_code, response_flags) (${requestsAnswered('increase', scope, ',response_flags!="-"')}) > 0`,
    websockets: websocketsQuery(scope.namespace),
  };
}

/** The four range queries behind the charts; `scope.window` is the rate() window of each point. */
export function figuresRangeQueries(scope: FiguresScope) {
  return { requests: requestRatesQuery(scope), latencyBuckets: latencyBuckets(scope), bytesIn: bytes('rate', 'in', scope), bytesOut: bytes('rate', 'out', scope) };
}

export type FiguresVectors = Record<keyof ReturnType<typeof figuresQueries>, InstantSample[]>;
export type FiguresMatrices = Record<keyof ReturnType<typeof figuresRangeQueries>, RangeSeries[]>;

export function responseClass(code: string | undefined): ResponseClass {
  const match = /^([2345])\d\d$/.exec(code ?? '');
  return match ? (`${match[1]}xx` as ResponseClass) : 'other';
}

/** The `le` label as a number: Prometheus writes the last bucket +Inf. */
function upperBound(le: string | undefined): number {
  if (le === '+Inf' || le === 'Inf') return Infinity;
  return le === undefined || le === '' ? NaN : Number(le);
}

/**
 * histogram_quantile() of Prometheus (promql/quantile.go, bucketQuantile) over cumulative bucket counts or rates by
 * upper bound: linear interpolation within the bucket the rank falls in, 0 as the first bucket's lower bound, the
 * highest finite bound when the rank falls in +Inf. Null where Prometheus gives NaN: no +Inf bucket, fewer than two
 * buckets, no observations.
 */
export function histogramQuantile(q: number, buckets: ReadonlyMap<number, number>): number | null {
  const sorted = [...buckets.entries()].filter(([bound]) => !Number.isNaN(bound)).sort(([a], [b]) => a - b);
  if (sorted.length < 2 || sorted.at(-1)![0] !== Infinity) return null;
  // rates of counters scraped at slightly different times can dip; Prometheus carries the running maximum
  let max = -Infinity;
  const counts = sorted.map(([, count]) => (max = Math.max(max, count)));
  const observations = counts.at(-1)!;
  if (!(observations > 0)) return null;
  let rank = q * observations;
  const b = counts.findIndex((count) => count >= rank);
  if (b === sorted.length - 1) return sorted[b - 1]![0];
  if (b === 0 && sorted[0]![0] <= 0) return sorted[0]![0];
  let start = 0;
  let count = counts[b]!;
  if (b > 0) {
    start = sorted[b - 1]![0];
    count -= counts[b - 1]!;
    rank -= counts[b - 1]!;
  }
  return start + (sorted[b]![0] - start) * (rank / count);
}

/** What adds up across the services of a route or a user: request rates by class, bucket rates, bytes. */
type Totals = { requests: Record<ResponseClass, number>; buckets: Map<number, number>; bytesIn: number; bytesOut: number };

const emptyTotals = (): Totals => ({ requests: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0 }, buckets: new Map(), bytesIn: 0, bytesOut: 0 });

/** Whether a sample is of one of the hosts. */
type HostFilter = (metric: Record<string, string>) => boolean;
const ofHosts = (hosts: Iterable<string>): HostFilter => {
  const set = new Set(hosts);
  return (metric) => set.has(metric[SERVICE] ?? '');
};

function totalsOf(samples: Pick<FiguresVectors, 'requests' | 'latencyBuckets' | 'bytesIn' | 'bytesOut'>, wanted: HostFilter): Totals {
  const totals = emptyTotals();
  for (const { metric, value } of samples.requests) if (wanted(metric)) totals.requests[responseClass(metric.response_code)] += value;
  for (const { metric, value } of samples.latencyBuckets) {
    if (!wanted(metric)) continue;
    const bound = upperBound(metric.le);
    totals.buckets.set(bound, (totals.buckets.get(bound) ?? 0) + value);
  }
  for (const { metric, value } of samples.bytesIn) if (wanted(metric)) totals.bytesIn += value;
  for (const { metric, value } of samples.bytesOut) if (wanted(metric)) totals.bytesOut += value;
  return totals;
}

const sumOf = (requests: Record<ResponseClass, number>) => RESPONSE_CLASSES.reduce((sum, c) => sum + requests[c], 0);
const ratio = (part: number, total: number) => (total > 0 ? part / total : null);

/**
 * The figures of a route or a user: the services' figures summed (the hosts of its routes), and the websockets of
 * its pods. `websocketsByPod` is null when the gauge is not exported (see websocketsByPod()).
 */
export function trafficFigures(vectors: Omit<FiguresVectors, 'flags' | 'websockets'>, hosts: Iterable<string>, websockets: { byPod: ReadonlyMap<string, number> | null; pods: readonly string[] }): TrafficFigures {
  const totals = totalsOf(vectors, ofHosts(hosts));
  const requestsPerSecond = sumOf(totals.requests);
  const { byPod, pods } = websockets;
  return {
    requestsPerSecond,
    byClass: totals.requests,
    errorRatio5xx: ratio(totals.requests['5xx'], requestsPerSecond),
    errorRatio4xx: ratio(totals.requests['4xx'], requestsPerSecond),
    latencyMs: { p50: histogramQuantile(0.5, totals.buckets), p95: histogramQuantile(0.95, totals.buckets) },
    bytes: { in: totals.bytesIn, out: totals.bytesOut },
    websockets: byPod && pods.reduce((sum, pod) => sum + (byPod.get(pod) ?? 0), 0),
  };
}

/** Active websockets by pod name from websocketsQuery(); null when no pod exports the gauge at all. */
export function websocketsByPod(samples: readonly InstantSample[]): Map<string, number> | null {
  if (samples.length === 0) return null;
  const byPod = new Map<string, number>();
  for (const { metric, value } of samples) {
    const pod = metric.pod ?? metric.pod_name;
    if (pod !== undefined) byPod.set(pod, (byPod.get(pod) ?? 0) + value);
  }
  return byPod;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The flags query's rows for the hosts, most requests first. */
export function flagRows(samples: readonly InstantSample[], hosts: Iterable<string>): FlagRow[] {
  const wanted = ofHosts(hosts);
  return samples
    .filter(({ metric, value }) => wanted(metric) && value > 0)
    .map(({ metric, value }) => ({
      service: metric[SERVICE] ?? '',
      reporter: metric.reporter === 'source' ? ('source' as const) : ('destination' as const),
      responseCode: metric.response_code ?? '',
      flags: metric.response_flags ?? '',
      explanations: explainResponseFlags(metric.response_flags),
      count: value,
    }))
    .sort((a, b) => b.count - a.count || byText(a.service, b.service) || byText(a.flags, b.flags) || byText(a.responseCode, b.responseCode));
}

/** Each range series' points by grid index, as the samples of an instant query at that point. */
function slotted(series: readonly RangeSeries[], range: QueryRange): InstantSample[][] {
  const grid = rangeGrid(range);
  const slots: InstantSample[][] = Array.from({ length: grid.length }, () => []);
  for (const { metric, points } of series) {
    for (const { time, value } of points) {
      const index = grid.indexOf(time);
      if (index !== undefined) slots[index]!.push({ metric, time, value });
    }
  }
  return slots;
}

/**
 * The chart of a route or a user (the hosts of its routes) over the range's grid, from figuresRangeQueries()'
 * matrices: every grid point is kept, a field is null where its query had no sample for these hosts.
 */
export function trafficSeries(matrices: FiguresMatrices, range: QueryRange, hosts: Iterable<string>): TrafficPoint[] {
  const wanted = ofHosts(hosts);
  const [requests, latencyBuckets, bytesIn, bytesOut] = [matrices.requests, matrices.latencyBuckets, matrices.bytesIn, matrices.bytesOut].map((series) =>
    slotted(series.filter((s) => wanted(s.metric)), range),
  ) as [InstantSample[][], InstantSample[][], InstantSample[][], InstantSample[][]];
  const grid = rangeGrid(range);
  return requests.map((requestSamples, i) => {
    const totals = totalsOf({ requests: requestSamples, latencyBuckets: latencyBuckets[i]!, bytesIn: bytesIn[i]!, bytesOut: bytesOut[i]! }, wanted);
    const total = requestSamples.length > 0 ? sumOf(totals.requests) : null;
    const measured = latencyBuckets[i]!.length > 0;
    return {
      time: grid.timeAt(i),
      requestsPerSecond: total,
      errorRatio5xx: total === null ? null : ratio(totals.requests['5xx'], total),
      errorRatio4xx: total === null ? null : ratio(totals.requests['4xx'], total),
      p50Ms: measured ? histogramQuantile(0.5, totals.buckets) : null,
      p95Ms: measured ? histogramQuantile(0.95, totals.buckets) : null,
      bytesInPerSecond: bytesIn[i]!.length > 0 ? totals.bytesIn : null,
      bytesOutPerSecond: bytesOut[i]!.length > 0 ? totals.bytesOut : null,
    };
  });
}

/** Runs figuresQueries(scope) concurrently at scope.time; rejects with the client's PrometheusError. */
export async function loadFigures(prometheus: Pick<TrafficSource, 'queryVector'>, scope: FiguresScope): Promise<FiguresVectors> {
  return queryVectors(prometheus, figuresQueries(scope), { time: scope.time });
}

/** Runs figuresRangeQueries(scope) concurrently over the range. */
export async function loadFigureMatrices(prometheus: Pick<TrafficSource, 'queryRange'>, scope: FiguresScope, range: QueryRange): Promise<FiguresMatrices> {
  return queryRanges(prometheus, figuresRangeQueries(scope), range);
}
