import { z } from 'zod';
import { queryVectors, type InstantSample, type PrometheusClient, type QueryRange, type RangeSeries } from '../telemetry/prometheus';
import { promqlString, regexQuoteMeta } from '../telemetry/promql';

/**
 * mTLS as the mesh actually runs it, from Istio's standard metrics (see shared/mesh-facts.md, "mTLS from
 * runtime"): only the receiving proxy knows whether a connection was mutual TLS, so the queries read what it
 * reported, let Prometheus aggregate rates by policy, and the shares are computed here.
 *
 * The receiving proxy is a sidecar, or under ambient the destination node's ztunnel and the waypoint:
 * - sidecars report requests and TCP bytes with `reporter="destination"`;
 * - ztunnel reports only TCP (`istio_tcp_*`), inbound as `reporter="destination"`, with
 *   `connection_security_policy` `mutual_tls` for HBONE and `unknown` for plaintext it passed through (it never
 *   says `none`), and the destination_service_* labels of the Service it guessed for the pod (ztunnel
 *   src/proxy/metrics.rs, inbound.rs, inbound_passthrough.rs);
 * - a waypoint reports the requests it proxies as `reporter="waypoint"` (Istio's stats filter with
 *   Reporter SERVER_GATEWAY, pilot/pkg/model/telemetry.go); they reach no sidecar, so no request counts twice.
 *   Its TCP bytes are left out: the destination's ztunnel reports the same connection again.
 */

export type SecurityPolicy = 'mutual_tls' | 'none' | 'unknown';

/** Traffic split by connection_security_policy. */
export type PolicyBreakdown = {
  mutualTls: number;
  none: number;
  unknown: number;
  total: number;
  /** mutualTls / total, 0..1; null when there was no traffic in the window (neither 0% nor 100%) */
  share: number | null;
};

/** mtls: all traffic mutual TLS; partial: some; plaintext: none of it; no-traffic: nothing in the window. */
export type MtlsVerdict = 'mtls' | 'partial' | 'plaintext' | 'no-traffic';

export type ServiceTraffic = {
  namespace: string;
  service: string;
  /** HTTP/gRPC requests per second, averaged over the window */
  requests: PolicyBreakdown;
  /** TCP bytes sent plus received over the window */
  tcpBytes: PolicyBreakdown;
  verdict: MtlsVerdict;
};

export type NamespaceTraffic = {
  namespace: string;
  /** requests per second to the namespace's services, so the share is weighted by traffic */
  requests: PolicyBreakdown;
  tcpBytes: PolicyBreakdown;
  verdict: MtlsVerdict;
  /** services that reported any series in the window */
  services: number;
  /** services with some traffic that was not mutual TLS */
  servicesWithPlaintext: number;
};

/** A source workload sending traffic that was not mutual TLS to a destination service. */
export type OffendingPair = {
  source: { namespace: string; workload: string };
  destination: { namespace: string; service: string };
  policy: Exclude<SecurityPolicy, 'mutual_tls'>;
  requestsPerSecond: number;
  tcpBytes: number;
};

export type MeshTraffic = {
  window: string;
  namespaces: NamespaceTraffic[];
  services: ServiceTraffic[];
  offendingPairs: OffendingPair[];
};

/** One evaluation of a namespace's request share; both null where Prometheus had no data (a gap). */
export type SharePoint = {
  /** Unix seconds */
  time: number;
  /** null on a gap, or when there were no requests (then requestsPerSecond is 0) */
  share: number | null;
  requestsPerSecond: number | null;
};

export type NamespaceShareHistory = { namespace: string; points: SharePoint[] };

export type TrafficScope = {
  /** rate() window, a Prometheus duration such as 5m */
  window: string;
  /** destination namespaces to look at; all when absent or empty */
  namespaces?: readonly string[];
  /** evaluation time in Unix seconds, default now (e.g. a point picked on the history chart) */
  time?: number;
};

const durationPattern = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const unitSeconds = [365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001];

/** Seconds in a Prometheus duration (units y, w, d, h, m, s, ms in that order, e.g. 1h30m); undefined if it is not one. */
export function durationSeconds(text: string): number | undefined {
  const match = text === '' ? null : durationPattern.exec(text);
  if (!match) return undefined;
  return unitSeconds.reduce((sum, unit, i) => sum + Number(match[i + 1] ?? 0) * unit, 0);
}

/** A rate() window: a Prometheus duration longer than zero. */
export const trafficWindow = z
  .string()
  .refine((text) => (durationSeconds(text) ?? 0) > 0, 'must be a Prometheus duration such as 30s, 5m or 1h');

function namespaceMatcher(namespaces: readonly string[] | undefined): string {
  const [first, ...others] = namespaces ?? [];
  if (first === undefined) return '';
  if (others.length === 0) return `,destination_service_namespace=${promqlString(first)}`;
  return `,destination_service_namespace=~${promqlString([first, ...others].map(regexQuoteMeta).join('|'))}`;
}

const SERVICE = ['destination_service_namespace', 'destination_service_name'];
const POLICY = 'connection_security_policy';
const PAIR = ['source_workload_namespace', 'source_workload', ...SERVICE, POLICY];
const NOT_MTLS = `,${POLICY}!="mutual_tls"`;

/** Requests as the receiving side reports them: a sidecar (destination) or a waypoint. */
const REQUEST_REPORTERS = 'reporter=~"destination|waypoint"';
/** TCP bytes as the receiving side reports them: a sidecar, or the destination node's ztunnel. */
const TCP_REPORTER = 'reporter="destination"';

/** `sum by (by) (fn(metric{reporter, in scope}[window]))` */
function receiverSum(fn: 'rate' | 'increase', metric: string, reporter: string, by: string[], scope: TrafficScope, extraMatchers: string): string {
  const window = trafficWindow.parse(scope.window);
  const selector = `{${reporter}${namespaceMatcher(scope.namespaces)}${extraMatchers}}`;
  return `sum by (${by.join(', ')}) (${fn}(${metric}${selector}[${window}]))`;
}

function requestRate(by: string[], scope: TrafficScope, extraMatchers = ''): string {
  return receiverSum('rate', 'istio_requests_total', REQUEST_REPORTERS, by, scope, extraMatchers);
}

/** `a + b` of two aggregations with the same groups, where a group only one side has counts as that side's value. */
export function sumOfEither(a: string, b: string): string {
  // "+" keeps only groups present on both sides; "or" adds the groups only one side has
  return `(${a} + ${b}) or ${a} or ${b}`;
}

// Sent and received are summed per group before they are added: a selector matching both names (__name__=~)
// fails once increase() drops the names, as each sent series then has the labels of a received one.
function tcpBytes(by: string[], scope: TrafficScope, extraMatchers = ''): string {
  const bytes = (metric: string) => receiverSum('increase', metric, TCP_REPORTER, by, scope, extraMatchers);
  return sumOfEither(bytes('istio_tcp_sent_bytes_total'), bytes('istio_tcp_received_bytes_total'));
}

/** The four instant queries behind the traffic page. */
export function trafficQueries(scope: TrafficScope) {
  return {
    requests: requestRate([...SERVICE, POLICY], scope),
    tcpBytes: tcpBytes([...SERVICE, POLICY], scope),
    offendingRequests: `${requestRate(PAIR, scope, NOT_MTLS)} > 0`,
    offendingTcpBytes: `(${tcpBytes(PAIR, scope, NOT_MTLS)}) > 0`,
  };
}

/** The range query behind the share history: request rates per destination namespace and policy. */
export function shareHistoryQuery(scope: TrafficScope): string {
  return requestRate(['destination_service_namespace', POLICY], scope);
}

/** A query_range grid of at most maxPoints + 1 points covering the last spanSeconds up to end, aligned to the step so charts do not shift. */
export function historyRange(endSeconds: number, spanSeconds: number, maxPoints = 120): QueryRange {
  const step = Math.max(1, Math.ceil(spanSeconds / maxPoints));
  const end = Math.floor(endSeconds / step) * step;
  return { start: end - Math.floor(spanSeconds / step) * step, end, step };
}

/** The points of a range's grid: how many, the time of each, and the point a sample's time falls on (undefined off the grid). */
export function rangeGrid(range: QueryRange) {
  // in whole milliseconds, as Prometheus keeps times, so float steps do not drift off the grid
  const stepMs = Math.round(range.step * 1000);
  const startMs = Math.round(range.start * 1000);
  const length = Math.floor((Math.round(range.end * 1000) - startMs) / stepMs) + 1;
  return {
    length,
    timeAt: (index: number) => (startMs + index * stepMs) / 1000,
    indexOf: (time: number): number | undefined => {
      const index = (Math.round(time * 1000) - startMs) / stepMs;
      return Number.isInteger(index) && index >= 0 && index < length ? index : undefined;
    },
  };
}

function policyOf(metric: Record<string, string>): SecurityPolicy {
  const value = metric[POLICY];
  return value === 'mutual_tls' || value === 'none' ? value : 'unknown';
}

const emptyBreakdown = (): PolicyBreakdown => ({ mutualTls: 0, none: 0, unknown: 0, total: 0, share: null });

function add(breakdown: PolicyBreakdown, policy: SecurityPolicy, value: number) {
  if (policy === 'mutual_tls') breakdown.mutualTls += value;
  else breakdown[policy] += value;
  breakdown.total += value;
  breakdown.share = breakdown.total > 0 ? breakdown.mutualTls / breakdown.total : null;
}

function verdictOf(...breakdowns: PolicyBreakdown[]): MtlsVerdict {
  const mutual = breakdowns.some((b) => b.mutualTls > 0);
  const plain = breakdowns.some((b) => b.none + b.unknown > 0);
  if (mutual) return plain ? 'partial' : 'mtls';
  return plain ? 'plaintext' : 'no-traffic';
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Results of the queries from trafficQueries(), by the same names. */
export type TrafficVectors = Record<keyof ReturnType<typeof trafficQueries>, InstantSample[]>;

/** Per-service and per-namespace shares, and the offending pairs, from the vectors of trafficQueries(scope). */
export function summarizeTraffic(vectors: TrafficVectors, scope: TrafficScope): MeshTraffic {
  const services = new Map<string, ServiceTraffic>();
  const serviceRow = (metric: Record<string, string>) => {
    const namespace = metric.destination_service_namespace ?? 'unknown';
    const service = metric.destination_service_name ?? 'unknown';
    const key = `${namespace}/${service}`;
    let row = services.get(key);
    if (!row) services.set(key, (row = { namespace, service, requests: emptyBreakdown(), tcpBytes: emptyBreakdown(), verdict: 'no-traffic' }));
    return row;
  };
  for (const sample of vectors.requests) add(serviceRow(sample.metric).requests, policyOf(sample.metric), sample.value);
  for (const sample of vectors.tcpBytes) add(serviceRow(sample.metric).tcpBytes, policyOf(sample.metric), sample.value);

  const namespaces = new Map<string, NamespaceTraffic>();
  const namespaceRow = (namespace: string) => {
    let row = namespaces.get(namespace);
    if (!row) {
      row = { namespace, requests: emptyBreakdown(), tcpBytes: emptyBreakdown(), verdict: 'no-traffic', services: 0, servicesWithPlaintext: 0 };
      namespaces.set(namespace, row);
    }
    return row;
  };
  for (const namespace of scope.namespaces ?? []) namespaceRow(namespace);
  for (const service of services.values()) {
    service.verdict = verdictOf(service.requests, service.tcpBytes);
    const row = namespaceRow(service.namespace);
    row.services += 1;
    if (service.verdict === 'partial' || service.verdict === 'plaintext') row.servicesWithPlaintext += 1;
    for (const policy of ['mutual_tls', 'none', 'unknown'] as const) {
      const field = policy === 'mutual_tls' ? 'mutualTls' : policy;
      add(row.requests, policy, service.requests[field]);
      add(row.tcpBytes, policy, service.tcpBytes[field]);
    }
  }
  for (const row of namespaces.values()) row.verdict = verdictOf(row.requests, row.tcpBytes);

  const pairs = new Map<string, OffendingPair>();
  const pairRow = (metric: Record<string, string>) => {
    const source = { namespace: metric.source_workload_namespace ?? 'unknown', workload: metric.source_workload ?? 'unknown' };
    const destination = { namespace: metric.destination_service_namespace ?? 'unknown', service: metric.destination_service_name ?? 'unknown' };
    const policy = policyOf(metric) === 'none' ? 'none' : 'unknown';
    const key = JSON.stringify([source, destination, policy]);
    let row = pairs.get(key);
    if (!row) pairs.set(key, (row = { source, destination, policy, requestsPerSecond: 0, tcpBytes: 0 }));
    return row;
  };
  for (const sample of vectors.offendingRequests) pairRow(sample.metric).requestsPerSecond += sample.value;
  for (const sample of vectors.offendingTcpBytes) pairRow(sample.metric).tcpBytes += sample.value;

  return {
    window: scope.window,
    namespaces: [...namespaces.values()].sort((a, b) => byName(a.namespace, b.namespace)),
    services: [...services.values()].sort((a, b) => byName(a.namespace, b.namespace) || byName(a.service, b.service)),
    offendingPairs: [...pairs.values()].sort(
      (a, b) =>
        b.requestsPerSecond - a.requestsPerSecond ||
        b.tcpBytes - a.tcpBytes ||
        byName(JSON.stringify([a.source, a.destination]), JSON.stringify([b.source, b.destination])),
    ),
  };
}

/**
 * Each namespace's request share at every point of the range's grid, from shareHistoryQuery()'s matrix.
 * Every grid point is kept: where Prometheus had no sample the point is a gap (share and rate null).
 */
export function shareHistory(series: RangeSeries[], range: QueryRange): NamespaceShareHistory[] {
  const grid = rangeGrid(range);
  const byNamespace = new Map<string, Array<{ mutualTls: number; total: number } | undefined>>();
  for (const { metric, points } of series) {
    const namespace = metric.destination_service_namespace ?? 'unknown';
    let slots = byNamespace.get(namespace);
    if (!slots) byNamespace.set(namespace, (slots = new Array(grid.length).fill(undefined)));
    for (const { time, value } of points) {
      const index = grid.indexOf(time);
      if (index === undefined) continue;
      const slot = (slots[index] ??= { mutualTls: 0, total: 0 });
      if (policyOf(metric) === 'mutual_tls') slot.mutualTls += value;
      slot.total += value;
    }
  }
  return [...byNamespace.entries()]
    .sort(([a], [b]) => byName(a, b))
    .map(([namespace, slots]) => ({
      namespace,
      points: slots.map((slot, i) => ({
        time: grid.timeAt(i),
        share: slot && slot.total > 0 ? slot.mutualTls / slot.total : null,
        requestsPerSecond: slot ? slot.total : null,
      })),
    }));
}

/** What the loaders need of a PrometheusClient. */
export type TrafficSource = Pick<PrometheusClient, 'queryVector' | 'queryRange'>;

/** Runs trafficQueries(scope) concurrently and summarizes them; rejects with the client's PrometheusError. */
export async function loadMeshTraffic(prometheus: TrafficSource, scope: TrafficScope): Promise<MeshTraffic> {
  return summarizeTraffic(await queryVectors(prometheus, trafficQueries(scope), { time: scope.time }), scope);
}

export async function loadShareHistory(prometheus: TrafficSource, scope: TrafficScope, range: QueryRange): Promise<NamespaceShareHistory[]> {
  return shareHistory(await prometheus.queryRange(shareHistoryQuery(scope), range), range);
}
