import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { durationSeconds, loadMeshTraffic, loadShareHistory, type PolicyBreakdown } from '@/lib/mesh/traffic';
import { PrometheusClient, PrometheusError } from '@/lib/telemetry/prometheus';
import { freePort } from './hubmesh-process';
import { startIstioExporter, type Flow, type IstioExporter } from './prometheus/exporter';
import { startPrometheus, type PrometheusServer } from './prometheus/harness';

const WINDOW = '15s';
const SCRAPE_SECONDS = 1;
const ODD_NAMESPACE = 'odd"ns\\x';

/*
 * Tolerances. The exporter's counters are linear in the scrape time and Prometheus scrapes all series of
 * the target at one instant, so series' increases over any window are exactly proportional: shares are
 * exact up to float rounding. Absolute rates differ from the set ones only by the gap between Prometheus'
 * sample timestamp and the exporter's clock reading (a few ms of a 14 s sampled interval), because once a
 * series is older than the window, rate() extrapolates to both window ends over a linear counter exactly.
 * It stops short of an end more than 1.1 scrape intervals from the nearest sample; queries are therefore
 * evaluated at a scrape Prometheus has already stored (settledScrapeTime), not at "now", which a late
 * scrape could leave 1.1 s behind. 1% leaves room for a loaded machine.
 */
const SHARE_DIGITS = 9;
const RATE_TOLERANCE = 0.01;

const hub = { namespace: 'lab', workload: 'hub' };
const flow = (source: Flow['source'], namespace: string, service: string, policy: Flow['policy'], reporter?: Flow['reporter']): Flow => ({
  source,
  destination: { namespace, service },
  policy,
  reporter,
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function present<T>(value: T | undefined, what: string): T {
  expect(value, what).toBeDefined();
  return value as T;
}

function expectNear(actual: number, expected: number, what: string) {
  expect(Math.abs(actual / expected - 1), `${what}: ${actual} vs ${expected}`).toBeLessThan(RATE_TOLERANCE);
}

function expectBreakdown(actual: PolicyBreakdown, expected: Omit<PolicyBreakdown, 'total' | 'share'>, share: number | null, what: string) {
  for (const policy of ['mutualTls', 'none', 'unknown'] as const) {
    if (expected[policy] === 0) expect(actual[policy], `${what} ${policy}`).toBe(0);
    else expectNear(actual[policy], expected[policy], `${what} ${policy}`);
  }
  if (share === null) expect(actual.share, `${what} share`).toBeNull();
  else expect(actual.share, `${what} share`).toBeCloseTo(share, SHARE_DIGITS);
}

describe('mTLS from runtime telemetry, on a real Prometheus', () => {
  let exporter: IstioExporter;
  let prometheus: PrometheusServer;
  let client: PrometheusClient;
  let startedAt: number;

  beforeAll(async () => {
    exporter = await startIstioExporter();
    // mesh-a/notebook: 3 req/s mutual TLS + 1 req/s plaintext → 75%; mesh-a/api: mutual TLS only → 100%
    exporter.requests(flow(hub, 'mesh-a', 'notebook', 'mutual_tls'), 3);
    exporter.requests(flow({ namespace: 'legacy', workload: 'cron' }, 'mesh-a', 'notebook', 'none'), 1);
    exporter.requests(flow(hub, 'mesh-a', 'api', 'mutual_tls'), 2);
    // the source proxy never knows the policy; its reports must not count
    exporter.requests(flow(hub, 'mesh-a', 'notebook', 'unknown', 'source'), 10);
    // mesh-a/db, TCP only: 1500 B/s mutual TLS + 500 B/s plaintext → 75% of bytes
    exporter.tcp(flow(hub, 'mesh-a', 'db', 'mutual_tls'), { sent: 1000, received: 500 });
    exporter.tcp(flow({ namespace: 'legacy', workload: 'etl' }, 'mesh-a', 'db', 'none'), { sent: 200, received: 300 });
    // mesh-b/kernel: half from outside the mesh → 50%; mesh-b/idle has series but no traffic
    exporter.requests(flow(hub, 'mesh-b', 'kernel', 'mutual_tls'), 0.5);
    exporter.requests(flow({ namespace: 'unknown', workload: 'unknown' }, 'mesh-b', 'kernel', 'unknown'), 0.5);
    // mesh-b/stream: each direction on one side only (queries must not drop one-sided groups) → 80% of bytes
    exporter.tcp(flow(hub, 'mesh-b', 'stream', 'mutual_tls'), { sent: 400 });
    exporter.tcp(flow({ namespace: 'legacy', workload: 'etl' }, 'mesh-b', 'stream', 'none'), { received: 100 });
    exporter.requests(flow(hub, 'mesh-b', 'idle', 'mutual_tls'), 0);
    exporter.requests(flow({ namespace: 'legacy', workload: 'cron' }, 'mesh-b', 'idle', 'none'), 0);
    // a label value that only survives correct PromQL quoting
    exporter.requests(flow(hub, ODD_NAMESPACE, 'quoted', 'mutual_tls'), 1);

    startedAt = Math.floor(Date.now() / 1000);
    prometheus = await startPrometheus({ targets: [exporter.target], scrapeIntervalSeconds: SCRAPE_SECONDS });
    client = new PrometheusClient({ url: prometheus.url, timeoutMs: 5_000 });
    // every series must be older than the window plus a scrape, so rate() sees it over the whole window
    const firstScrape = await exporter.firstScrape;
    const readyAt = (firstScrape + durationSeconds(WINDOW)! + 2 * SCRAPE_SECONDS) * 1000;
    await sleep(Math.max(0, readyAt - Date.now()));
  }, 90_000);

  /** The latest scrape's time (ms precision, as Prometheus keeps it), once Prometheus has had time to store it. */
  async function settledScrapeTime(): Promise<number> {
    const time = Math.floor(exporter.lastScrape() * 1000) / 1000;
    await sleep(300);
    return time;
  }

  afterAll(async () => {
    await prometheus?.stop();
    await exporter?.close();
  });

  it('computes per-service and per-namespace shares, weighted by traffic, from destination reports', async () => {
    const traffic = await loadMeshTraffic(client, { window: WINDOW, namespaces: ['mesh-a', 'mesh-b'], time: await settledScrapeTime() });
    const service = (namespace: string, name: string) =>
      present(traffic.services.find((s) => s.namespace === namespace && s.service === name), `${namespace}/${name}`);
    expect(traffic.services.map((s) => `${s.namespace}/${s.service}`)).toEqual(['mesh-a/api', 'mesh-a/db', 'mesh-a/notebook', 'mesh-b/idle', 'mesh-b/kernel', 'mesh-b/stream']);

    expectBreakdown(service('mesh-a', 'notebook').requests, { mutualTls: 3, none: 1, unknown: 0 }, 0.75, 'notebook requests');
    expect(service('mesh-a', 'notebook').verdict).toBe('partial');
    expectBreakdown(service('mesh-a', 'api').requests, { mutualTls: 2, none: 0, unknown: 0 }, 1, 'api requests');
    expect(service('mesh-a', 'api').verdict).toBe('mtls');

    const window = durationSeconds(WINDOW)!;
    const db = service('mesh-a', 'db');
    expectBreakdown(db.tcpBytes, { mutualTls: 1500 * window, none: 500 * window, unknown: 0 }, 0.75, 'db bytes');
    expect(db.requests.share).toBeNull();

    expectBreakdown(service('mesh-b', 'kernel').requests, { mutualTls: 0.5, none: 0, unknown: 0.5 }, 0.5, 'kernel requests');
    expectBreakdown(service('mesh-b', 'stream').tcpBytes, { mutualTls: 400 * window, none: 100 * window, unknown: 0 }, 0.8, 'stream bytes');
    const idle = service('mesh-b', 'idle');
    expect([idle.requests.total, idle.requests.share, idle.verdict]).toEqual([0, null, 'no-traffic']);

    expect(traffic.namespaces.map((n) => n.namespace)).toEqual(['mesh-a', 'mesh-b']);
    const [meshA, meshB] = [present(traffic.namespaces[0], 'mesh-a'), present(traffic.namespaces[1], 'mesh-b')];
    expectBreakdown(meshA.requests, { mutualTls: 5, none: 1, unknown: 0 }, 5 / 6, 'mesh-a requests');
    expectBreakdown(meshA.tcpBytes, { mutualTls: 1500 * window, none: 500 * window, unknown: 0 }, 0.75, 'mesh-a bytes');
    expect([meshA.services, meshA.servicesWithPlaintext, meshA.verdict]).toEqual([3, 2, 'partial']);
    expectBreakdown(meshB.requests, { mutualTls: 0.5, none: 0, unknown: 0.5 }, 0.5, 'mesh-b requests');
    expectBreakdown(meshB.tcpBytes, { mutualTls: 400 * window, none: 100 * window, unknown: 0 }, 0.8, 'mesh-b bytes');
    expect([meshB.services, meshB.servicesWithPlaintext]).toEqual([3, 2]);
  });

  it('lists the source→destination pairs that are not mutual TLS, with their rates and bytes', async () => {
    const { offendingPairs } = await loadMeshTraffic(client, { window: WINDOW, time: await settledScrapeTime() });
    expect(offendingPairs.map((p) => [`${p.source.namespace}/${p.source.workload}`, `${p.destination.namespace}/${p.destination.service}`, p.policy])).toEqual([
      ['legacy/cron', 'mesh-a/notebook', 'none'],
      ['unknown/unknown', 'mesh-b/kernel', 'unknown'],
      ['legacy/etl', 'mesh-a/db', 'none'],
      ['legacy/etl', 'mesh-b/stream', 'none'],
    ]);
    const pair = (i: number) => present(offendingPairs[i], `pair ${i}`);
    const [cron, outside, etl, etlStream] = [pair(0), pair(1), pair(2), pair(3)];
    expectNear(cron.requestsPerSecond, 1, 'cron requests');
    expect(cron.tcpBytes).toBe(0);
    expectNear(outside.requestsPerSecond, 0.5, 'outside requests');
    expect(etl.requestsPerSecond).toBe(0);
    expectNear(etl.tcpBytes, 500 * durationSeconds(WINDOW)!, 'etl bytes');
    expectNear(etlStream.tcpBytes, 100 * durationSeconds(WINDOW)!, 'etl stream bytes');
  });

  it('scopes queries to namespaces, quoting their names for PromQL', async () => {
    const time = await settledScrapeTime();
    const odd = await loadMeshTraffic(client, { window: WINDOW, namespaces: [ODD_NAMESPACE], time });
    expect(odd.services.map((s) => [s.namespace, s.service, s.verdict])).toEqual([[ODD_NAMESPACE, 'quoted', 'mtls']]);
    expectNear(present(odd.services[0], 'quoted').requests.mutualTls, 1, 'quoted requests');
    // two namespaces take the regex path: the backslash must be regex-quoted, then string-quoted
    const two = await loadMeshTraffic(client, { window: WINDOW, namespaces: [ODD_NAMESPACE, 'mesh-b'], time });
    expect(two.namespaces.map((n) => n.namespace)).toEqual(['mesh-b', ODD_NAMESPACE]);
    expect(two.services).toHaveLength(4);
  });

  it('charts the namespace share over a range, keeping the gaps before data existed', async () => {
    // from 10 s before Prometheus started, one point a second, ending at a stored scrape
    const end = await settledScrapeTime();
    const range = { start: end - Math.ceil(end - startedAt + 10), end, step: 1 };
    const history = await loadShareHistory(client, { window: WINDOW, namespaces: ['mesh-a', 'mesh-b'] }, range);
    expect(history.map((h) => h.namespace)).toEqual(['mesh-a', 'mesh-b']);
    const expectedPoints = (range.end - range.start) / range.step + 1;

    for (const { namespace, points } of history) {
      expect(points).toHaveLength(expectedPoints);
      points.forEach((point, i) => expect(point.time).toBeCloseTo(range.start + i * range.step, 3));
      // before Prometheus had two samples in the window there is no data; from then on, no gaps
      const firstData = points.findIndex((p) => p.requestsPerSecond !== null);
      expect(firstData, namespace).toBeGreaterThanOrEqual(10);
      expect(points.slice(0, firstData).every((p) => p.share === null && p.requestsPerSecond === null)).toBe(true);
      expect(points.length - firstData, namespace).toBeGreaterThan(durationSeconds(WINDOW)!);
      expect(points.slice(firstData).every((p) => p.requestsPerSecond !== null)).toBe(true);
    }
    const [meshA, meshB] = [present(history[0], 'mesh-a'), present(history[1], 'mesh-b')];
    for (const point of meshA.points.filter((p) => p.requestsPerSecond !== null)) expect(point.share).toBeCloseTo(5 / 6, SHARE_DIGITS);
    for (const point of meshB.points.filter((p) => p.requestsPerSecond !== null)) expect(point.share).toBeCloseTo(0.5, SHARE_DIGITS);
    // the last point's window lies wholly after the series began: its rate is the full rate
    expectNear(meshA.points.at(-1)!.requestsPerSecond!, 6, 'mesh-a requests at the end');
  });

  it("reports a bad query with Prometheus' own error", async () => {
    const parse = await client.queryVector('sum(rate(istio_requests_total[5m])').catch((error: unknown) => error);
    expect(parse).toBeInstanceOf(PrometheusError);
    expect(parse).toMatchObject({ kind: 'bad-query', unavailable: false, details: { status: 400, errorType: 'bad_data' } });
    expect((parse as Error).message).toMatch(/parse error: unclosed left parenthesis/);

    // a query that parses but cannot be evaluated: Prometheus answers 422 execution
    const execution = await client.queryVector('istio_requests_total / on() istio_requests_total').catch((error: unknown) => error);
    expect(execution).toMatchObject({ kind: 'bad-query', details: { status: 422, errorType: 'execution' } });
    expect((execution as Error).message).toMatch(/many-to-many matching not allowed/);

    await expect(loadMeshTraffic(client, { window: '15 s' })).rejects.toThrow(/Prometheus duration/);
    await expect(client.queryVector('scalar(vector(1))')).rejects.toMatchObject({ kind: 'bad-response' });
  });

  it("reads Prometheus' special sample values", async () => {
    const [infinite, notANumber] = await Promise.all([client.queryVector('vector(1) / 0'), client.queryVector('vector(0) / 0')]);
    expect(infinite.map((s) => s.value)).toEqual([Infinity]);
    expect(notANumber.map((s) => s.value)).toEqual([NaN]);
  });
});

describe('Prometheus down', () => {
  it('reports a closed port as unreachable, well within the timeout', async () => {
    const down = new PrometheusClient({ url: `http://127.0.0.1:${await freePort()}`, timeoutMs: 3_000 });
    const started = Date.now();
    const error = await loadMeshTraffic(down, { window: '5m' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PrometheusError);
    expect(error).toMatchObject({ kind: 'unreachable', unavailable: true });
    expect((error as Error).message).toMatch(/unreachable: ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('gives up on a Prometheus that accepts but never answers after its timeout', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as net.AddressInfo;
      const hanging = new PrometheusClient({ url: `http://127.0.0.1:${port}/prometheus`, timeoutMs: 400 });
      const started = Date.now();
      const error = await hanging.queryRange('up', { start: 0, end: 60, step: 15 }).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(error).toMatchObject({ kind: 'timeout', unavailable: true });
      expect((error as Error).message).toMatch(/did not answer within 400 ms/);
      expect(elapsed).toBeGreaterThanOrEqual(390);
      expect(elapsed).toBeLessThan(2_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
