import http from 'node:http';
import type net from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';

export type SecurityPolicy = 'mutual_tls' | 'none' | 'unknown';

/** Traffic from one source workload to one destination service, labelled the way Istio's proxies label it. */
export type Flow = {
  /** which proxy reports it; Istio's destination proxy is the one that knows the real policy (under ambient: ztunnel for TCP, the waypoint for requests) */
  reporter?: 'destination' | 'source' | 'waypoint';
  /** `principal`: the service account the source runs as (default: its workload's name) */
  source: { namespace: string; workload: string; serviceAccount?: string };
  /** `workload`: Istio's destination_workload, the pod's owner or, for a bare pod such as a notebook, the pod (default: the service's name) */
  destination: { namespace: string; service: string; workload?: string };
  policy: SecurityPolicy;
  /** HTTP flows only, default 200 */
  responseCode?: number;
  /** HTTP flows only: Envoy's response flags (e.g. "RL", "FI", "DI,FI"), default "-" */
  responseFlags?: string;
};

const COMMON_LABELS = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_principal',
  'destination_workload',
  'destination_workload_namespace',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'connection_security_policy',
  'request_protocol',
] as const;
const HTTP_LABELS = [...COMMON_LABELS, 'response_code', 'response_flags'] as const;

function flowLabels(flow: Flow, protocol: 'http' | 'tcp') {
  const { source, destination } = flow;
  return {
    reporter: flow.reporter ?? 'destination',
    source_workload: source.workload,
    source_workload_namespace: source.namespace,
    // the destination only learns the peer's identity from its client certificate
    source_principal: flow.policy === 'mutual_tls' ? `spiffe://cluster.local/ns/${source.namespace}/sa/${source.serviceAccount ?? source.workload}` : 'unknown',
    destination_workload: destination.workload ?? destination.service,
    destination_workload_namespace: destination.namespace,
    destination_service: `${destination.service}.${destination.namespace}.svc.cluster.local`,
    destination_service_name: destination.service,
    destination_service_namespace: destination.namespace,
    connection_security_policy: flow.policy,
    request_protocol: protocol,
  };
}

/**
 * A counter that grows at a set rate between changes, read when Prometheus scrapes: its value is a
 * linear function of the scrape time, so rate() over it is the set rate, not an approximation of timer ticks.
 */
class SteadyCounter {
  private base = 0;
  private rate = 0;
  private since: number;

  constructor(
    readonly labels: Record<string, string>,
    now: number,
  ) {
    this.since = now;
  }

  valueAt(seconds: number): number {
    return this.base + this.rate * (seconds - this.since);
  }

  setRate(perSecond: number, now: number) {
    this.base = this.valueAt(now);
    this.since = now;
    this.rate = perSecond;
  }
}

/** Istio's buckets (Envoy's defaults) of istio_request_duration_milliseconds. */
export const DURATION_BUCKETS_MS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];
/** Istio's buckets of istio_request_bytes and istio_response_bytes. */
export const SIZE_BUCKETS = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000];

/** What each request of a flow is like, for Istio's histograms; a histogram is published only for what is given. */
export type RequestShape = {
  /** each request's duration, as shares of the flow's requests adding up to 1, e.g. [{ ms: 10, share: 0.6 }, { ms: 200, share: 0.4 }] */
  latency?: Array<{ ms: number; share: number }>;
  /** every request's body size in bytes (istio_request_bytes) */
  requestBytes?: number;
  /** every response's body size in bytes (istio_response_bytes) */
  responseBytes?: number;
};

/**
 * A histogram of steady counters, published as Prometheus' text format writes a histogram: a cumulative
 * `_bucket` series per upper bound and +Inf, `_sum` and `_count`, each linear in the scrape time.
 */
class SteadyHistogram {
  private readonly buckets: SteadyCounter[];
  private readonly sum: SteadyCounter;
  private readonly count: SteadyCounter;

  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
    now: number,
  ) {
    this.buckets = [...bounds, Infinity].map(() => new SteadyCounter(labels, now));
    this.sum = new SteadyCounter(labels, now);
    this.count = new SteadyCounter(labels, now);
  }

  /** From now on, perSecond observations a second, split between the values by share. */
  setRate(perSecond: number, observations: Array<{ value: number; share: number }>, now: number) {
    [...this.bounds, Infinity].forEach((bound, i) =>
      this.buckets[i]!.setRate(perSecond * observations.filter((o) => o.value <= bound).reduce((sum, o) => sum + o.share, 0), now),
    );
    this.sum.setRate(perSecond * observations.reduce((sum, o) => sum + o.share * o.value, 0), now);
    this.count.setRate(perSecond, now);
  }

  lines(name: string, seconds: number): string[] {
    const les = [...this.bounds.map(String), '+Inf'];
    return [
      ...this.buckets.map((bucket, i) => `${name}_bucket${labelText({ ...this.labels, le: les[i]! })} ${bucket.valueAt(seconds)}`),
      `${name}_sum${labelText(this.labels)} ${this.sum.valueAt(seconds)}`,
      `${name}_count${labelText(this.labels)} ${this.count.valueAt(seconds)}`,
    ];
  }
}

const labelText = (labels: Record<string, string>) =>
  `{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
    .join(',')}}`;

export type IstioExporter = {
  /** host:port for a scrape config */
  target: string;
  /**
   * Sets how many requests per second the flow adds to istio_requests_total from now on (0 keeps an idle series),
   * and with a shape, to Istio's duration and size histograms with the same labels.
   */
  requests: (flow: Flow, perSecond: number, shape?: RequestShape) => void;
  /** Sets Envoy's envoy_http_downstream_cx_upgrades_active gauge of a pod's sidecar, the pod named by `label` as Prometheus's job names it (default `pod`). */
  websockets: (pod: { namespace: string; name: string; label?: 'pod' | 'pod_name' }, active: number) => void;
  /** Sets how many retries per second Envoy's envoy_cluster_upstream_rq_retry counts for a cluster from now on. */
  retries: (cluster: string, perSecond: number) => void;
  /** Sets how many TCP connections per second the flow adds to istio_tcp_connections_opened_total from now on. */
  connections: (flow: Flow, perSecond: number) => void;
  /** Sets the growth of the flow's istio_tcp_sent_bytes_total and istio_tcp_received_bytes_total from now on; an omitted direction publishes no series. */
  tcp: (flow: Flow, bytesPerSecond: { sent?: number; received?: number }) => void;
  /** Unix seconds of the first scrape, once there has been one. */
  firstScrape: Promise<number>;
  /** Unix seconds of the latest scrape. */
  lastScrape: () => number;
  close: () => Promise<void>;
};

/** An HTTP server publishing Istio's standard request and TCP counters for flows the test sets, in a registry of its own. */
export async function startIstioExporter(): Promise<IstioExporter> {
  const nowSeconds = () => Date.now() / 1000;
  const series = new Map<string, Map<string, SteadyCounter>>();
  // each scrape reads every counter at one instant, so series scraped together have exactly proportional increases
  let scrapeTime = nowSeconds();

  const counterFor = (metric: string, labels: Record<string, string>) => {
    const key = JSON.stringify(labels);
    const counters = series.get(metric)!;
    let counter = counters.get(key);
    if (!counter) counters.set(key, (counter = new SteadyCounter(labels, nowSeconds())));
    return counter;
  };
  const registry = new Registry();
  const publish = (name: string, help: string, labelNames: readonly string[]) => {
    const counters = new Map<string, SteadyCounter>();
    series.set(name, counters);
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const counter of counters.values()) this.inc(counter.labels, counter.valueAt(scrapeTime));
      },
    });
  };
  publish('istio_requests_total', 'Requests handled by an Istio proxy', HTTP_LABELS);
  publish('istio_tcp_sent_bytes_total', 'Bytes sent during TCP connections, by an Istio proxy', COMMON_LABELS);
  publish('istio_tcp_received_bytes_total', 'Bytes received during TCP connections, by an Istio proxy', COMMON_LABELS);
  publish('istio_tcp_connections_opened_total', 'TCP connections opened, by an Istio proxy', COMMON_LABELS);
  publish('envoy_cluster_upstream_rq_retry', "Retries of an Envoy cluster's requests (exported when proxyStatsMatcher includes it)", ['cluster_name']);
  const websockets = new Gauge({
    name: 'envoy_http_downstream_cx_upgrades_active',
    help: 'Upgraded (websocket) connections open on an Envoy HTTP connection manager (exported when proxyStatsMatcher includes it)',
    labelNames: ['namespace', 'pod', 'pod_name'],
    registers: [registry],
  });

  const histograms = new Map<string, { help: string; series: Map<string, SteadyHistogram> }>([
    ['istio_request_duration_milliseconds', { help: 'Duration of requests, as an Istio proxy measured them', series: new Map() }],
    ['istio_request_bytes', { help: 'Sizes of request bodies, by an Istio proxy', series: new Map() }],
    ['istio_response_bytes', { help: 'Sizes of response bodies, by an Istio proxy', series: new Map() }],
  ]);
  const observe = (metric: string, labels: Record<string, string>, bounds: readonly number[], perSecond: number, observations: Array<{ value: number; share: number }>) => {
    const key = JSON.stringify(labels);
    const { series: all } = histograms.get(metric)!;
    let histogram = all.get(key);
    if (!histogram) all.set(key, (histogram = new SteadyHistogram(labels, bounds, nowSeconds())));
    histogram.setRate(perSecond, observations, nowSeconds());
  };
  const histogramText = () =>
    [...histograms]
      .filter(([, { series: all }]) => all.size > 0)
      .map(([name, { help, series: all }]) => [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`, ...[...all.values()].flatMap((h) => h.lines(name, scrapeTime))].join('\n'))
      .join('\n');

  let resolveFirstScrape: (time: number) => void = () => {};
  const firstScrape = new Promise<number>((resolve) => (resolveFirstScrape = resolve));
  const server = http.createServer((request, response) => {
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    scrapeTime = nowSeconds();
    resolveFirstScrape(scrapeTime);
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(`${text.trimEnd()}\n${histogramText()}\n`),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;

  return {
    target: `127.0.0.1:${port}`,
    requests: (flow, perSecond, shape = {}) => {
      const labels = { ...flowLabels(flow, 'http'), response_code: String(flow.responseCode ?? 200), response_flags: flow.responseFlags ?? '-' };
      counterFor('istio_requests_total', labels).setRate(perSecond, nowSeconds());
      if (shape.latency) observe('istio_request_duration_milliseconds', labels, DURATION_BUCKETS_MS, perSecond, shape.latency.map(({ ms, share }) => ({ value: ms, share })));
      if (shape.requestBytes !== undefined) observe('istio_request_bytes', labels, SIZE_BUCKETS, perSecond, [{ value: shape.requestBytes, share: 1 }]);
      if (shape.responseBytes !== undefined) observe('istio_response_bytes', labels, SIZE_BUCKETS, perSecond, [{ value: shape.responseBytes, share: 1 }]);
    },
    websockets: ({ namespace, name, label = 'pod' }, active) => websockets.set({ namespace, [label]: name }, active),
    connections: (flow, perSecond) => counterFor('istio_tcp_connections_opened_total', flowLabels(flow, 'tcp')).setRate(perSecond, nowSeconds()),
    retries: (cluster, perSecond) => counterFor('envoy_cluster_upstream_rq_retry', { cluster_name: cluster }).setRate(perSecond, nowSeconds()),
    tcp: (flow, { sent, received }) => {
      const now = nowSeconds();
      if (sent !== undefined) counterFor('istio_tcp_sent_bytes_total', flowLabels(flow, 'tcp')).setRate(sent, now);
      if (received !== undefined) counterFor('istio_tcp_received_bytes_total', flowLabels(flow, 'tcp')).setRate(received, now);
    },
    firstScrape,
    lastScrape: () => scrapeTime,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
