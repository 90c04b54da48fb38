import { describe, expect, it } from 'vitest';
import {
  figuresQueries,
  figuresRangeQueries,
  flagRows,
  histogramQuantile,
  requestRatesQuery,
  responseClass,
  trafficFigures,
  trafficSeries,
  websocketsByPod,
  websocketsQuery,
  type FiguresMatrices,
} from './figures';

const ALICE = 'jupyter-alice.jupyterhub.svc.cluster.local';
const BOB = 'jupyter-bob.jupyterhub.svc.cluster.local';
const scope = { namespace: 'jupyterhub', window: '1h', hosts: [ALICE] };
const LOCAL = '"(.*,)?(UH|UF|UO|NR|NC|UAEX|RL|RLSE|FI|IH|OM|DO|DF|NFCF)(,.*)?"';

const sample = (metric: Record<string, string>, value: number) => ({ metric, time: 0, value });
const requests = (service: string, code: string, value: number) => sample({ destination_service: service, response_code: code }, value);
const bucket = (service: string, le: string, value: number) => sample({ destination_service: service, le }, value);
/** cumulative bucket samples from [le, count] pairs */
const buckets = (service: string, counts: Array<[string, number]>) => counts.map(([le, count]) => bucket(service, le, count));
const noWebsockets = { byPod: null, pods: [] };

describe('figure queries', () => {
  it("ask once for every host in scope, by destination_service, the destination's reports plus what the caller answered itself", () => {
    const q = figuresQueries(scope);
    const alice = `destination_service="${ALICE}"`;
    expect(q.requests).toBe(
      `sum by (destination_service, response_code) (rate(istio_requests_total{reporter="destination",${alice}}[1h]) or rate(istio_requests_total{reporter="source",${alice},response_flags=~${LOCAL}}[1h]))`,
    );
    expect(q.latencyBuckets).toBe(`sum by (destination_service, le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination",${alice}}[1h]))`);
    const bodies = `sum by (destination_service) (increase(istio_request_bytes_sum{reporter="destination",${alice}}[1h]))`;
    const tcp = `sum by (destination_service) (increase(istio_tcp_received_bytes_total{reporter="destination",${alice}}[1h]))`;
    expect(q.bytesIn).toBe(`(${bodies} + ${tcp}) or ${bodies} or ${tcp}`);
    expect(q.bytesOut).toContain('istio_response_bytes_sum');
    expect(q.bytesOut).toContain('istio_tcp_sent_bytes_total');
    expect(q.flags).toBe(
      `sum by (destination_service, reporter, response_code, response_flags) (increase(istio_requests_total{reporter="destination",${alice},response_flags!="-"}[1h]) or increase(istio_requests_total{reporter="source",${alice},response_flags=~${LOCAL}}[1h])) > 0`,
    );
    expect(q.websockets).toBe('sum by (pod, pod_name) (envoy_http_downstream_cx_upgrades_active{namespace="jupyterhub"})');
  });

  it('stay the same number of queries for many hosts, matching them with one quoted regex', () => {
    const hosts = Array.from({ length: 30 }, (_, i) => `jupyter-u${i}.jupyterhub.svc.cluster.local`);
    const many = figuresQueries({ ...scope, hosts: [...hosts, 'jupyter-a+b".jupyterhub.svc.cluster.local'] });
    expect(Object.keys(many)).toHaveLength(6);
    expect(Object.keys(figuresRangeQueries(scope))).toHaveLength(4);
    expect(many.requests.match(/destination_service=~"[^"]*(\\"[^"]*)*"/g)).toHaveLength(2);
    expect(many.requests).toContain(`destination_service=~"${hosts.map((h) => h.replace(/\./g, '\\\\.')).join('|')}|jupyter-a\\\\+b\\"\\\\.jupyterhub\\\\.svc\\\\.cluster\\\\.local"`);
    // no hosts: the whole namespace
    expect(requestRatesQuery({ namespace: 'hub"ns', window: '5m' })).toContain('destination_service_namespace="hub\\"ns"');
  });

  it('chart rates, not totals, over the window given', () => {
    const range = figuresRangeQueries({ ...scope, window: '60000ms' });
    expect(range.requests).toBe(figuresQueries({ ...scope, window: '60000ms' }).requests);
    expect(range.bytesIn).toContain('sum by (destination_service) (rate(istio_request_bytes_sum{reporter="destination",');
    expect(range.bytesIn).not.toContain('increase(');
    expect(() => figuresQueries({ ...scope, window: '1 h' })).toThrow(/Prometheus duration/);
  });

  it('read the websocket gauge of a namespace', () => {
    expect(websocketsQuery('a"b')).toBe('sum by (pod, pod_name) (envoy_http_downstream_cx_upgrades_active{namespace="a\\"b"})');
  });
});

describe('histogramQuantile, as Prometheus computes it', () => {
  const histogram = (pairs: Array<[number, number]>) => new Map(pairs);

  it('interpolates within the bucket the rank falls in, from 0 below the first bound', () => {
    // 60 at ≤10 ms (10 of them ≤5 ms), 100 in all: the median is in (5, 10]
    const h = histogram([[5, 10], [10, 60], [250, 100], [Infinity, 100]]);
    expect(histogramQuantile(0.5, h)).toBeCloseTo(5 + 5 * (40 / 50), 12);
    expect(histogramQuantile(0.95, h)).toBeCloseTo(10 + 240 * (35 / 40), 12);
    expect(histogramQuantile(0.05, h)).toBeCloseTo(5 * (5 / 10), 12);
  });

  it('answers the highest finite bound when the rank falls in +Inf', () => {
    expect(histogramQuantile(0.95, histogram([[10, 50], [100, 90], [Infinity, 100]]))).toBe(100);
  });

  it('has no answer without observations, without a +Inf bucket or with one bucket only', () => {
    expect(histogramQuantile(0.5, histogram([[10, 0], [Infinity, 0]]))).toBeNull();
    expect(histogramQuantile(0.5, histogram([[10, 5], [100, 9]]))).toBeNull();
    expect(histogramQuantile(0.5, histogram([[Infinity, 9]]))).toBeNull();
    expect(histogramQuantile(0.5, new Map())).toBeNull();
  });

  it('carries the running maximum over a bucket that dips, as Prometheus does', () => {
    expect(histogramQuantile(0.5, histogram([[10, 60], [100, 59], [Infinity, 100]]))).toBe(histogramQuantile(0.5, histogram([[10, 60], [100, 60], [Infinity, 100]])));
  });
});

describe('trafficFigures', () => {
  const vectors = {
    requests: [requests(ALICE, '200', 6), requests(ALICE, '404', 1), requests(ALICE, '503', 2), requests(ALICE, '0', 1), requests(BOB, '200', 3), requests(BOB, '500', 1)],
    // alice: 10 req/s, 9 of them ≤ 10 ms; bob: 4 req/s, all in (250, 1000]
    latencyBuckets: [...buckets(ALICE, [['5', 5], ['10', 9], ['250', 10], ['1000', 10], ['+Inf', 10]]), ...buckets(BOB, [['5', 0], ['10', 0], ['250', 0], ['1000', 4], ['+Inf', 4]])],
    bytesIn: [sample({ destination_service: ALICE }, 1000), sample({ destination_service: BOB }, 50)],
    bytesOut: [sample({ destination_service: ALICE }, 9000)],
  };

  it("sum one service's requests by class, with the 5xx and 4xx ratios apart, its latency and bytes", () => {
    expect(trafficFigures(vectors, [ALICE], noWebsockets)).toEqual({
      requestsPerSecond: 10,
      byClass: { '2xx': 6, '3xx': 0, '4xx': 1, '5xx': 2, other: 1 },
      errorRatio5xx: 0.2,
      errorRatio4xx: 0.1,
      // p50: rank 5 of 10 is the top of (0, 5]; p95: rank 9.5 is half way into (10, 250], which holds 1
      latencyMs: { p50: 5, p95: 130 },
      bytes: { in: 1000, out: 9000 },
      websockets: null,
    });
  });

  it("take a user's quantiles from the buckets of all their services summed, never an average of quantiles", () => {
    const both = trafficFigures(vectors, [ALICE, BOB], noWebsockets);
    expect(both.requestsPerSecond).toBe(14);
    expect(both.errorRatio5xx).toBeCloseTo(3 / 14, 12);
    // summed: ≤5: 5, ≤10: 9, ≤250: 10, ≤1000: 14 of 14; p50 rank 7 falls in (5, 10], p95 rank 13.3 in (250, 1000]
    expect(both.latencyMs.p50).toBeCloseTo(5 + 5 * (2 / 4), 12);
    expect(both.latencyMs.p95).toBeCloseTo(250 + 750 * (3.3 / 4), 9);
    const alone = [trafficFigures(vectors, [ALICE], noWebsockets).latencyMs.p95!, trafficFigures(vectors, [BOB], noWebsockets).latencyMs.p95!];
    expect(both.latencyMs.p95).not.toBeCloseTo((alone[0]! + alone[1]!) / 2, 3);
    expect(both.bytes).toEqual({ in: 1050, out: 9000 });
  });

  it('are zero, with no ratio and no latency, for a service without traffic; other services do not leak in', () => {
    expect(trafficFigures(vectors, ['jupyter-carol.jupyterhub.svc.cluster.local'], noWebsockets)).toEqual({
      requestsPerSecond: 0,
      byClass: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, other: 0 },
      errorRatio5xx: null,
      errorRatio4xx: null,
      latencyMs: { p50: null, p95: null },
      bytes: { in: 0, out: 0 },
      websockets: null,
    });
    expect(trafficFigures({ requests: [], latencyBuckets: [], bytesIn: [], bytesOut: [] }, [], noWebsockets).requestsPerSecond).toBe(0);
  });

  it("count the websockets of the route's or user's pods: null when not exported, 0 when its pods have none", () => {
    const byPod = websocketsByPod([sample({ pod: 'jupyter-alice' }, 3), sample({ pod_name: 'jupyter-bob' }, 2), sample({ pod: 'hub-1' }, 7)]);
    expect(byPod).toEqual(new Map([['jupyter-alice', 3], ['jupyter-bob', 2], ['hub-1', 7]]));
    expect(trafficFigures(vectors, [ALICE], { byPod, pods: ['jupyter-alice', 'jupyter-bob'] }).websockets).toBe(5);
    expect(trafficFigures(vectors, [ALICE], { byPod, pods: ['jupyter-carol'] }).websockets).toBe(0);
    expect(websocketsByPod([])).toBeNull();
  });
});

describe('responseClass', () => {
  it('classes codes by their first digit; 0, 1xx and anything odd are other', () => {
    expect(['200', '204', '302', '404', '429', '500', '503', '0', '101', '', 'abc', '2000'].map(responseClass)).toEqual(['2xx', '2xx', '3xx', '4xx', '4xx', '5xx', '5xx', 'other', 'other', 'other', 'other', 'other']);
    expect(responseClass(undefined)).toBe('other');
  });
});

describe('flagRows', () => {
  it("list flag → count with code and reporter for the hosts, explained, most first", () => {
    const rows = flagRows(
      [
        sample({ destination_service: BOB, reporter: 'source', response_code: '503', response_flags: 'UF,URX' }, 30),
        sample({ destination_service: ALICE, reporter: 'destination', response_code: '503', response_flags: 'UC' }, 2),
        sample({ destination_service: BOB, reporter: 'destination', response_code: '504', response_flags: 'UT' }, 5),
        sample({ destination_service: BOB, reporter: 'destination', response_code: '200', response_flags: 'DI' }, 0),
      ],
      [BOB],
    );
    expect(rows.map(({ service, reporter, responseCode, flags, count }) => [service, reporter, responseCode, flags, count])).toEqual([
      [BOB, 'source', '503', 'UF,URX', 30],
      [BOB, 'destination', '504', 'UT', 5],
    ]);
    expect(rows[0]!.explanations.map((e) => [e.code, e.meaning])).toEqual([
      ['UF', 'the gateway could not connect to the notebook (503)'],
      ['URX', 'the request failed after every retry'],
    ]);
  });
});

describe('trafficSeries', () => {
  const range = { start: 1000, end: 1040, step: 10 };
  const series = (metric: Record<string, string>, points: Array<[number, number]>) => ({ metric, points: points.map(([time, value]) => ({ time, value })) });
  const matrices: FiguresMatrices = {
    // no data at 1000 (before the first scrapes) nor at 1030 (a gap); an off-grid point is ignored
    requests: [
      series({ destination_service: ALICE, response_code: '200' }, [[1010, 3], [1020, 0], [1040, 4], [1041, 99]]),
      series({ destination_service: ALICE, response_code: '503' }, [[1010, 1], [1020, 0], [1040, 0]]),
      series({ destination_service: BOB, response_code: '500' }, [[1000, 5], [1010, 5], [1020, 5], [1030, 5], [1040, 5]]),
    ],
    latencyBuckets: [series({ destination_service: ALICE, le: '10' }, [[1010, 2], [1040, 4]]), series({ destination_service: ALICE, le: '+Inf' }, [[1010, 4], [1040, 4]])],
    bytesIn: [series({ destination_service: ALICE }, [[1010, 100]])],
    bytesOut: [],
  };

  it('keep every grid point, gaps as null, and ratios only where there were requests', () => {
    expect(trafficSeries(matrices, range, [ALICE])).toEqual([
      { time: 1000, requestsPerSecond: null, errorRatio5xx: null, errorRatio4xx: null, p50Ms: null, p95Ms: null, bytesInPerSecond: null, bytesOutPerSecond: null },
      { time: 1010, requestsPerSecond: 4, errorRatio5xx: 0.25, errorRatio4xx: 0, p50Ms: 10, p95Ms: 10, bytesInPerSecond: 100, bytesOutPerSecond: null },
      { time: 1020, requestsPerSecond: 0, errorRatio5xx: null, errorRatio4xx: null, p50Ms: null, p95Ms: null, bytesInPerSecond: null, bytesOutPerSecond: null },
      { time: 1030, requestsPerSecond: null, errorRatio5xx: null, errorRatio4xx: null, p50Ms: null, p95Ms: null, bytesInPerSecond: null, bytesOutPerSecond: null },
      { time: 1040, requestsPerSecond: 4, errorRatio5xx: 0, errorRatio4xx: 0, p50Ms: 5, p95Ms: 9.5, bytesInPerSecond: null, bytesOutPerSecond: null },
    ]);
  });

  it("sum a user's services at each point", () => {
    const points = trafficSeries(matrices, range, [ALICE, BOB]);
    expect(points.map((p) => p.requestsPerSecond)).toEqual([5, 9, 5, 5, 9]);
    expect(points.map((p) => p.errorRatio5xx)).toEqual([1, 6 / 9, 1, 1, 5 / 9]);
  });

  it('are all gaps without any series', () => {
    const empty = trafficSeries({ requests: [], latencyBuckets: [], bytesIn: [], bytesOut: [] }, range, [ALICE]);
    expect(empty).toHaveLength(5);
    expect(empty.every((p) => p.requestsPerSecond === null && p.p95Ms === null)).toBe(true);
  });
});
