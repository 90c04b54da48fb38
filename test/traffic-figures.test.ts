import http from 'node:http';
import type net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { durationSeconds } from '@/lib/mesh/traffic';
import { PrometheusClient } from '@/lib/telemetry/prometheus';
import type { RouteTraffic, Sparklines, UserTraffic } from '@/lib/traffic/figures-api';
import { clients, eventually, HUB_NAMESPACE, notebookPod } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { startIstioExporter, type Flow, type IstioExporter, type RequestShape } from './prometheus/exporter';
import { startPrometheus, type PrometheusServer } from './prometheus/harness';

/*
 * Per-route and per-user traffic figures on the real control plane: hubmesh reads its routes' VirtualServices
 * and the notebook pods from the apiserver, and Debian's Prometheus scraping the test exporter, which publishes
 * Istio's metrics for a scripted scenario. Every figure is checked against the test's own PromQL, evaluated at
 * the same instant (so they agree to float rounding), and against the scripted rates (within RATE_TOLERANCE:
 * see test/telemetry.test.ts for why rates come out that close). Prometheus sits behind a counting proxy, so the
 * number of queries a call costs is counted as hubmesh makes them.
 */
const WINDOW = '20s';
const W = durationSeconds(WINDOW)!;
const SCRAPE_SECONDS = 1;
const RATE_TOLERANCE = 0.02;
const SAME = 1e-9;
const adminToken = 'traffic-figures-admin-token-0123456789';
const sessionSecret = 'traffic-figures-session-secret-0123456789ab';

const run = randomBytes(3).toString('hex');
const prefix = `tf${run}`;
const gateway = { namespace: 'istio-system', workload: 'istio-ingressgateway' };
const host = (service: string) => `${service}.${HUB_NAMESPACE}.svc.cluster.local`;

// label-safe names as KubeSpawner's labels carry them, and dave's real JupyterHub name (in the pod's annotation)
const users = { alice: `alice-${run}`, bob: `bob-${run}`, carol: `carol-${run}`, dave: `dåve.o+lab@example.org-${run}` };
const daveLabel = `dave-${run}`;
const crowd = Array.from({ length: 30 }, (_, i) => `crowd${String(i).padStart(2, '0')}-${run}`);
const services = {
  alice: `jupyter-alice-${run}`,
  bob: `jupyter-bob-${run}`,
  carol: `jupyter-carol-${run}`,
  carolGpu: `jupyter-carol-${run}-gpu`,
  dave: `jupyter-dave-${run}`,
};
const pods = { carol: `jupyter-carol-${run}`, dave: `jupyter-dave-${run}` };

const flow = (service: string, responseCode = 200, responseFlags = '-', reporter: Flow['reporter'] = 'destination'): Flow => ({
  source: gateway,
  destination: { namespace: HUB_NAMESPACE, service },
  policy: 'mutual_tls',
  reporter,
  responseCode,
  responseFlags,
});
const latency = (...pairs: Array<[number, number]>): RequestShape['latency'] => pairs.map(([ms, share]) => ({ ms, share }));

/** The scenario, per second. Each user's expected figures follow from these numbers alone. */
function script(exporter: IstioExporter) {
  // alice: healthy, 4 req/s, 60% at 10 ms and 40% at 250 ms; the gateway's reports of the same requests must not count again
  exporter.requests(flow(services.alice), 4, { latency: latency([10, 0.6], [250, 0.4]), requestBytes: 300, responseBytes: 5000 });
  exporter.requests(flow(services.alice, 200, '-', 'source'), 4);
  // bob: 2 req/s served; 1 req/s the gateway answered 503 UF,URX itself (it could not connect)
  exporter.requests(flow(services.bob), 2, { latency: latency([50, 1]), requestBytes: 100, responseBytes: 2000 });
  exporter.requests(flow(services.bob, 200, '-', 'source'), 2);
  exporter.requests(flow(services.bob, 503, 'UF,URX', 'source'), 1);
  // carol's default server: 3 ok, 1 404, 0.5 500, 0.5 503 UF from her sidecar; the gateway rate-limited 0.5 (429 RL)
  // and gave up retrying 0.25 of the 503s (URX alone: her sidecar reported every try, they must not count again)
  exporter.requests(flow(services.carol), 3, { latency: latency([20, 1]), requestBytes: 200, responseBytes: 1000 });
  exporter.requests(flow(services.carol, 404), 1, { latency: latency([5, 1]), requestBytes: 200, responseBytes: 100 });
  exporter.requests(flow(services.carol, 500), 0.5, { latency: latency([1000, 1]), requestBytes: 200, responseBytes: 100 });
  exporter.requests(flow(services.carol, 503, 'UF'), 0.5, { latency: latency([1, 1]), requestBytes: 200, responseBytes: 100 });
  exporter.requests(flow(services.carol, 429, 'RL', 'source'), 0.5);
  exporter.requests(flow(services.carol, 503, 'URX', 'source'), 0.25);
  // carol's "gpu" server: 1 ok at 2 s, 0.5 403 at 5 ms
  exporter.requests(flow(services.carolGpu), 1, { latency: latency([2000, 1]), requestBytes: 400, responseBytes: 8000 });
  exporter.requests(flow(services.carolGpu, 403), 0.5, { latency: latency([5, 1]), requestBytes: 400, responseBytes: 100 });
  // dave: 1 req/s, and a TCP stream; 3 websockets open on his pod, 2 on carol's (an older Prometheus job's pod_name)
  exporter.requests(flow(services.dave), 1, { latency: latency([30, 1]), requestBytes: 50, responseBytes: 1000 });
  exporter.tcp(flow(services.dave), { received: 100, sent: 2000 });
  exporter.websockets({ namespace: HUB_NAMESPACE, name: pods.dave }, 3);
  exporter.websockets({ namespace: HUB_NAMESPACE, name: pods.carol, label: 'pod_name' }, 2);
  // a crowd of users with a little traffic each
  for (const user of crowd) exporter.requests(flow(`jupyter-${user}`), 0.2, { latency: latency([10, 1]) });
}

/** What the script says each route and user should show, per second (bytes: per second too, times the window below). */
const expected = {
  alice: { rps: 4, r5xx: 0, r4xx: 0, p50: [5, 10], p95: [100, 250], bytesIn: 4 * 300, bytesOut: 4 * 5000 },
  bob: { rps: 3, r5xx: 1 / 3, r4xx: 0, p50: [25, 50], p95: [25, 50], bytesIn: 2 * 100, bytesOut: 2 * 2000 },
  carol: { rps: 5.5, r5xx: 1 / 5.5, r4xx: 1.5 / 5.5, bytesIn: 5 * 200, bytesOut: 3 * 1000 + 1.5 * 100 },
  carolGpu: { rps: 1.5, r5xx: 0, r4xx: 0.5 / 1.5, bytesIn: 1.5 * 400, bytesOut: 8000 + 0.5 * 100 },
  dave: { rps: 1, r5xx: 0, r4xx: 0, bytesIn: 50 + 100, bytesOut: 1000 + 2000 },
};

type Counted = { path: string; query: string };

/** A pass-through proxy in front of Prometheus that records each query, and can play Prometheus being down. */
async function countingProxy(target: string) {
  const queries: Counted[] = [];
  let down = false;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (down) {
        response.writeHead(503, { 'content-type': 'text/plain' }).end('Prometheus is down (test)');
        return;
      }
      const body = Buffer.concat(chunks);
      const url = new URL(request.url ?? '/', target);
      queries.push({ path: url.pathname, query: new URLSearchParams(body.toString()).get('query') ?? url.searchParams.get('query') ?? '' });
      fetch(url, { method: request.method, headers: { 'content-type': request.headers['content-type'] ?? 'application/x-www-form-urlencoded' }, body: request.method === 'POST' ? body : undefined })
        .then(async (answer) => response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer())))
        .catch((error: unknown) => response.writeHead(502).end(String(error)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    queries,
    setDown: (value: boolean) => (down = value),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// hubmesh's leader asks Prometheus for recently active Services every minute on its own: not part of any call
const ownPass = (q: Counted) => q.query.startsWith('sum by (destination_service_namespace, destination_service_name)');

describe('per-route and per-user traffic figures', () => {
  const { adminCore } = clients();
  let exporter: IstioExporter;
  let prometheus: PrometheusServer;
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let client: PrometheusClient;
  let hm: HubmeshProcess;
  let time: number;
  const vsNames = new Map<string, string>();
  const cleanups: Array<() => Promise<unknown>> = [];
  const api = (path: string) => fetch(`${hm.url}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
  async function json<T>(path: string, status = 200): Promise<T> {
    const response = await api(path);
    const body = (await response.json()) as T;
    expect(response.status, `${path}: ${JSON.stringify(body).slice(0, 300)}`).toBe(status);
    return body;
  }

  async function createService(name: string, selector?: Record<string, string>) {
    await adminCore.createNamespacedService({ namespace: HUB_NAMESPACE, body: { metadata: { name }, spec: { ...(selector ? { selector } : {}), ports: [{ name: 'http', port: 8888 }] } } });
    cleanups.push(() => adminCore.deleteNamespacedService({ namespace: HUB_NAMESPACE, name }));
  }
  async function createRoute(user: string, server: string, service: string) {
    const path = `/user/${encodeURIComponent(user)}${server ? `/${server}` : ''}`;
    const created = await hm.api(`/api/routes${path}`, { method: 'POST', body: JSON.stringify({ target: `http://${service}:8888`, user, server_name: server }) });
    expect(created.status, await created.text()).toBe(201);
    cleanups.push(() => hm.api(`/api/routes${path}`, { method: 'DELETE' }));
    return path;
  }

  beforeAll(async () => {
    exporter = await startIstioExporter();
    script(exporter);
    prometheus = await startPrometheus({ targets: [exporter.target], scrapeIntervalSeconds: SCRAPE_SECONDS });
    client = new PrometheusClient({ url: prometheus.url, timeoutMs: 5_000 });
    proxy = await countingProxy(prometheus.url);
    hm = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, env: { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_SESSION_SECRET: sessionSecret, HUBMESH_PROMETHEUS_URL: proxy.url } });

    const carolPod = notebookPod(pods.carol, users.carol);
    const davePod = notebookPod(pods.dave, daveLabel);
    davePod.metadata!.annotations = { ...davePod.metadata!.annotations, 'hub.jupyter.org/username': users.dave };
    for (const pod of [carolPod, davePod]) {
      await adminCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: pod });
      cleanups.push(() => adminCore.deleteNamespacedPod({ namespace: HUB_NAMESPACE, name: pod.metadata!.name!, gracePeriodSeconds: 0 }));
    }
    const selector = (label: string) => ({ 'hub.jupyter.org/username': label, 'hub.jupyter.org/servername': '' });
    await createService(services.alice);
    await createService(services.bob);
    await createService(services.carol, selector(users.carol));
    await createService(services.carolGpu);
    await createService(services.dave, selector(daveLabel));
    for (const user of crowd) await createService(`jupyter-${user}`);
    const paths = {
      alice: await createRoute(users.alice, '', services.alice),
      bob: await createRoute(users.bob, '', services.bob),
      carol: await createRoute(users.carol, '', services.carol),
      carolGpu: await createRoute(users.carol, 'gpu', services.carolGpu),
      dave: await createRoute(users.dave, '', services.dave),
    };
    for (const user of crowd) await createRoute(user, '', `jupyter-${user}`);
    // the VirtualServices' names, from the console's route list once hubmesh's caches hold every route
    await eventually(async () => {
      const listed = (await json<{ items: Array<{ path: string; virtualService: string }> }>(`/api/v1/routes?q=${run}&pageSize=500`)).items;
      for (const [key, path] of Object.entries(paths)) {
        const row = listed.find((r) => decodeURIComponent(r.path) === decodeURIComponent(path));
        if (row) vsNames.set(key, row.virtualService);
      }
      return listed.length === 5 + crowd.length && vsNames.size === 5 ? true : undefined;
    }, 'every route in the console');

    // every series must be older than the window plus a scrape, so rate() sees it over the whole window
    const readyAt = ((await exporter.firstScrape) + W + 2 * SCRAPE_SECONDS) * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, readyAt - Date.now())));
    time = Math.floor(exporter.lastScrape() * 1000) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }, 120_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await hm?.stop();
    await proxy?.close();
    await prometheus?.stop();
    await exporter?.close();
  });

  const at = () => `window=${WINDOW}&rate=5s&time=${time}`;

  /** The test's own PromQL at the same instant: the sum of what the query returns, 0 when it returns nothing. */
  async function own(query: string): Promise<number> {
    return (await client.queryVector(query, { time })).reduce((sum, s) => sum + s.value, 0);
  }
  const hostRegex = (hosts: string[]) => `destination_service=~"${hosts.map((h) => h.replace(/[.+]/g, '\\\\$&')).join('|')}"`;
  const dest = (hosts: string[], extra = '') => `{reporter="destination",${hostRegex(hosts)}${extra}}`;
  // the requests the scenario's gateway answered itself
  const gatewayAnswered = (hosts: string[], extra = '') => `{reporter="source",${hostRegex(hosts)},response_flags=~"UF,URX|RL"${extra}}`;
  /** Requests/s, as the test counts them: the destination's reports and what the gateway answered itself. */
  const requestRate = (hosts: string[], window: string, extra = '') =>
    `(sum(rate(istio_requests_total${dest(hosts, extra)}[${window}])) or vector(0)) + (sum(rate(istio_requests_total${gatewayAnswered(hosts, extra)}[${window}])) or vector(0))`;

  /** The figures as the test computes them with its own queries. */
  async function ownFigures(hosts: string[]) {
    const rps = await own(requestRate(hosts, WINDOW));
    const byClass = (regex: string) => own(requestRate(hosts, WINDOW, `,response_code=~"${regex}"`));
    const quantile = async (q: number) => (await client.queryVector(`histogram_quantile(${q}, sum by (le) (rate(istio_request_duration_milliseconds_bucket${dest(hosts)}[${WINDOW}])))`, { time }))[0]?.value;
    const increase = (metric: string) => own(`sum(increase(${metric}${dest(hosts)}[${WINDOW}]))`);
    return {
      rps,
      r5xx: (await byClass('5..')) / rps,
      r4xx: (await byClass('4..')) / rps,
      p50: await quantile(0.5),
      p95: await quantile(0.95),
      bytesIn: (await increase('istio_request_bytes_sum')) + (await increase('istio_tcp_received_bytes_total')),
      bytesOut: (await increase('istio_response_bytes_sum')) + (await increase('istio_tcp_sent_bytes_total')),
    };
  }

  const same = (actual: number | null | undefined, wanted: number | undefined, what: string) => {
    expect(actual, what).not.toBeNull();
    expect(wanted, what).toBeDefined();
    expect(Math.abs(actual! - wanted!), `${what}: ${actual} vs the test's PromQL ${wanted}`).toBeLessThanOrEqual(SAME * Math.max(1, Math.abs(wanted!)));
  };
  const near = (actual: number | null, wanted: number, what: string) => {
    expect(actual, what).not.toBeNull();
    if (wanted === 0) expect(actual, what).toBe(0);
    else expect(Math.abs(actual! / wanted - 1), `${what}: ${actual} vs the script's ${wanted}`).toBeLessThan(RATE_TOLERANCE);
  };

  async function expectFigures(figures: RouteTraffic['figures'], hosts: string[], script: (typeof expected)[keyof typeof expected], what: string) {
    const mine = await ownFigures(hosts);
    same(figures.requestsPerSecond, mine.rps, `${what} requests/s`);
    same(figures.errorRatio5xx, mine.r5xx, `${what} 5xx ratio`);
    same(figures.errorRatio4xx, mine.r4xx, `${what} 4xx ratio`);
    same(figures.latencyMs.p50, mine.p50, `${what} p50`);
    same(figures.latencyMs.p95, mine.p95, `${what} p95`);
    same(figures.bytes.in, mine.bytesIn, `${what} bytes in`);
    same(figures.bytes.out, mine.bytesOut, `${what} bytes out`);
    near(figures.requestsPerSecond, script.rps, `${what} requests/s`);
    near(figures.errorRatio5xx, script.r5xx, `${what} 5xx ratio`);
    near(figures.errorRatio4xx, script.r4xx, `${what} 4xx ratio`);
    near(figures.bytes.in, script.bytesIn * W, `${what} bytes in`);
    near(figures.bytes.out, script.bytesOut * W, `${what} bytes out`);
  }

  it("shows a route's figures as the destination reported them, without counting the gateway's reports of the same requests twice", async () => {
    const answer = await json<RouteTraffic>(`/api/v1/routes/${vsNames.get('alice')}/traffic?${at()}`);
    expect(answer).toMatchObject({ configured: true, window: WINDOW, service: host(services.alice), route: { name: vsNames.get('alice'), user: users.alice, serverName: '' } });
    console.info(`alice's route over ${WINDOW}: ${JSON.stringify(answer.figures)}`);
    await expectFigures(answer.figures, [host(services.alice)], expected.alice, 'alice');
    // a histogram places a quantile within its bucket: 60% at 10 ms puts p50 in (5, 10], 40% at 250 ms p95 in (100, 250]
    expect(answer.figures.latencyMs.p50).toBeGreaterThan(expected.alice.p50[0]!);
    expect(answer.figures.latencyMs.p50).toBeLessThanOrEqual(expected.alice.p50[1]!);
    expect(answer.figures.latencyMs.p95).toBeGreaterThan(expected.alice.p95[0]!);
    expect(answer.figures.latencyMs.p95).toBeLessThanOrEqual(expected.alice.p95[1]!);
    expect(answer.flags).toEqual([]);
    // the exporter publishes the gauge, for other pods: alice's Service selects none, so none are open
    expect(answer.figures.websockets).toBe(0);
    expect(answer.websocketsNote).toBeUndefined();
  });

  it("adds the gateway's own 503 UF,URX to a route's requests and 5xx, and explains the flags", async () => {
    const answer = await json<RouteTraffic>(`/api/v1/routes/${vsNames.get('bob')}/traffic?${at()}`);
    await expectFigures(answer.figures, [host(services.bob)], expected.bob, 'bob');
    const ownFlags = await client.queryVector(`sum by (response_code, response_flags) (increase(istio_requests_total${gatewayAnswered([host(services.bob)])}[${WINDOW}]))`, { time });
    expect(answer.flags).toHaveLength(1);
    const [row] = answer.flags;
    expect(row).toMatchObject({ service: host(services.bob), reporter: 'source', responseCode: '503', flags: 'UF,URX' });
    same(row!.count, ownFlags[0]?.value, 'bob UF,URX count');
    near(row!.count, 1 * W, 'bob UF,URX count');
    expect(row!.explanations.map((e) => e.meaning)).toEqual(['the gateway could not connect to the notebook (503)', 'the request failed after every retry']);
    expect(row!.explanations[0]!.hint).toMatch(/sidecar.*port.*NetworkPolicy/);
  });

  it("sums a user's servers, with quantiles from their summed buckets, and shows each server's figures", async () => {
    const answer = await json<UserTraffic>(`/api/v1/users/${encodeURIComponent(users.carol)}/traffic?${at()}`);
    const hosts = [host(services.carol), host(services.carolGpu)];
    expect(answer).toMatchObject({ configured: true, user: users.carol, server: null, services: [...hosts].sort() });
    const total = { rps: 7, r5xx: 1 / 7, r4xx: 2 / 7, bytesIn: expected.carol.bytesIn + expected.carolGpu.bytesIn, bytesOut: expected.carol.bytesOut + expected.carolGpu.bytesOut };
    await expectFigures(answer.figures, hosts, total, 'carol');
    expect(answer.servers.map((s) => [s.serverName, s.services, s.pods])).toEqual([
      ['', [host(services.carol)], [pods.carol]],
      ['gpu', [host(services.carolGpu)], []],
    ]);
    await expectFigures(answer.servers[0]!.figures, [host(services.carol)], expected.carol, "carol's default server");
    await expectFigures(answer.servers[1]!.figures, [host(services.carolGpu)], expected.carolGpu, "carol's gpu server");
    // the 2 s requests of the gpu server make the user's p95, which neither server's p95 averaged with the other's gives
    expect(answer.figures.latencyMs.p95).toBeGreaterThan(1000);
    expect(answer.figures.websockets).toBe(2);
    // her sidecar's 503 UF and the gateway's 429 RL; the gateway's URX alone is in her sidecar's reports already
    // (as many of each: their order is the float noise's)
    expect(answer.flags.map((f) => [f.service, f.reporter, f.responseCode, f.flags]).sort()).toEqual([
      [host(services.carol), 'destination', '503', 'UF'],
      [host(services.carol), 'source', '429', 'RL'],
    ]);
    for (const row of answer.flags) near(row.count, 0.5 * W, `carol ${row.flags}`);

    const gpu = await json<UserTraffic>(`/api/v1/users/${encodeURIComponent(users.carol)}/traffic?${at()}&server=gpu`);
    expect(gpu.server).toBe('gpu');
    await expectFigures(gpu.figures, [host(services.carolGpu)], expected.carolGpu, 'carol gpu alone');
    const defaultServer = await json<UserTraffic>(`/api/v1/users/${encodeURIComponent(users.carol)}/traffic?${at()}&server=`);
    expect(defaultServer.servers.map((s) => s.serverName)).toEqual(['']);
    await expectFigures(defaultServer.figures, [host(services.carol)], expected.carol, 'carol default alone');
  });

  it('reads a JupyterHub name with @, +, . and unicode, and counts TCP bytes and websockets', async () => {
    const answer = await json<UserTraffic>(`/api/v1/users/${encodeURIComponent(users.dave)}/traffic?${at()}`);
    expect(answer.user).toBe(users.dave);
    await expectFigures(answer.figures, [host(services.dave)], expected.dave, 'dave');
    same(answer.figures.websockets, await own(`sum(envoy_http_downstream_cx_upgrades_active{pod="${pods.dave}"})`), 'dave websockets');
    expect(answer.figures.websockets).toBe(3);
    const route = await json<RouteTraffic>(`/api/v1/routes/${vsNames.get('dave')}/traffic?${at()}`);
    expect(route.figures.websockets).toBe(3);
  });

  it('charts the window on a fixed grid, each point as the PromQL of that instant, with gaps before the data', async () => {
    const answer = await json<RouteTraffic>(`/api/v1/routes/${vsNames.get('carol')}/traffic?window=2m&rate=5s&time=${time}`);
    const { step, rateWindowSeconds, points } = answer.series;
    expect([step, rateWindowSeconds]).toEqual([1, 5]);
    expect(points).toHaveLength(121);
    points.forEach((p, i) => expect(p.time).toBe(Math.floor(time) - 120 + i));
    const firstData = points.findIndex((p) => p.requestsPerSecond !== null);
    // the exporter's series began less than two minutes ago: the first points are gaps
    expect(firstData).toBeGreaterThan(0);
    expect(points.slice(0, firstData).every((p) => p.errorRatio5xx === null && p.p95Ms === null && p.bytesInPerSecond === null)).toBe(true);
    const hosts = [host(services.carol)];
    const range = { start: points[0]!.time, end: points.at(-1)!.time, step };
    const ownByTime = async (extra: string) => new Map((await client.queryRange(requestRate(hosts, '5s', extra), range))[0]?.points.map((p) => [p.time, p.value]));
    const [ownRequests, ownFiveXx] = await Promise.all([ownByTime(''), ownByTime(',response_code=~"5.."')]);
    const compared = points.filter((p) => p.requestsPerSecond !== null && ownRequests.has(p.time));
    expect(compared.length).toBeGreaterThan(W);
    for (const p of compared) {
      same(p.requestsPerSecond, ownRequests.get(p.time), `requests/s at ${p.time}`);
      same(p.errorRatio5xx, ownFiveXx.get(p.time)! / ownRequests.get(p.time)!, `5xx ratio at ${p.time}`);
    }
    const last = points.at(-1)!;
    near(last.requestsPerSecond, expected.carol.rps, 'requests/s at the end');
    near(last.errorRatio5xx, expected.carol.r5xx, '5xx ratio at the end');
    near(last.errorRatio4xx, expected.carol.r4xx, '4xx ratio at the end');
    near(last.bytesInPerSecond, expected.carol.bytesIn, 'bytes in/s at the end');
    near(last.bytesOutPerSecond, expected.carol.bytesOut, 'bytes out/s at the end');
    // carol's latencies: 3 at 20 ms, 1 at 5, 0.5 at 1 s, 0.5 at 1 ms (the 429s the gateway answered have none)
    expect(last.p50Ms).toBeGreaterThan(10);
    expect(last.p50Ms).toBeLessThanOrEqual(25);
    expect(last.p95Ms).toBeGreaterThan(500);
    expect(last.p95Ms).toBeLessThanOrEqual(1000);
  });

  it('draws sparklines for a list of users or routes in two queries, whatever the list’s length', async () => {
    const names = (list: string[]) => list.map(encodeURIComponent).join(',');
    const cost = async (path: string) => {
      const before = proxy.queries.length;
      const body = await json<Sparklines>(path);
      return { body, queries: proxy.queries.slice(before).filter((q) => !ownPass(q)) };
    };
    const few = await cost(`/api/v1/traffic/sparklines?kind=users&names=${names([users.alice, users.bob, users.carol])}&${at()}`);
    const many = await cost(`/api/v1/traffic/sparklines?kind=users&names=${names(crowd)}&${at()}`);
    expect(few.queries.map((q) => q.path).sort()).toEqual(['/api/v1/query', '/api/v1/query_range']);
    expect(many.queries.map((q) => q.path).sort()).toEqual(few.queries.map((q) => q.path).sort());
    expect(few.body.sparklines.map((s) => s.name)).toEqual([users.alice, users.bob, users.carol]);
    const [alice, bob, carol] = few.body.sparklines;
    same(alice!.requestsPerSecond, (await ownFigures([host(services.alice)])).rps, 'alice sparkline requests/s');
    same(bob!.errorRatio5xx, (await ownFigures([host(services.bob)])).r5xx, 'bob sparkline 5xx ratio');
    near(carol!.requestsPerSecond, 7, "carol's sparkline: both servers");
    near(bob!.points.at(-1)!.errorRatio5xx, 1 / 3, "bob's last point");
    expect(many.body.sparklines).toHaveLength(30);
    for (const line of many.body.sparklines) near(line.requestsPerSecond, 0.2, `${line.name} sparkline`);

    const routes = await cost(`/api/v1/traffic/sparklines?kind=routes&names=${[vsNames.get('bob'), 'no-such-route'].join(',')}&${at()}`);
    expect(routes.queries).toHaveLength(2);
    expect(routes.body.unknown).toEqual(['no-such-route']);
    expect(routes.body.sparklines.map((s) => s.name)).toEqual([vsNames.get('bob')]);
  });

  it('costs the same number of queries for a user with one server as with two, and for a route', async () => {
    const cost = async (path: string) => {
      const before = proxy.queries.length;
      await json(path);
      return proxy.queries.slice(before).filter((q) => !ownPass(q));
    };
    const alice = await cost(`/api/v1/users/${encodeURIComponent(users.alice)}/traffic?${at()}`);
    const carol = await cost(`/api/v1/users/${encodeURIComponent(users.carol)}/traffic?${at()}`);
    const route = await cost(`/api/v1/routes/${vsNames.get('bob')}/traffic?${at()}`);
    console.info(`queries per call: user with one server ${alice.length}, with two ${carol.length}, route ${route.length}`);
    expect(alice.filter((q) => q.path === '/api/v1/query')).toHaveLength(6);
    expect(alice.filter((q) => q.path === '/api/v1/query_range')).toHaveLength(4);
    expect(carol).toHaveLength(alice.length);
    expect(route).toHaveLength(alice.length);
  });

  it('answers bad input with a clear 400 and unknown names with a 404', async () => {
    const error = async (path: string, status: number) => json<{ code: string; error: string; field?: string }>(path, status);
    expect(await error(`/api/v1/routes/Not_A_Name/traffic`, 400)).toMatchObject({ code: 'invalid-input', field: 'name' });
    expect(await error(`/api/v1/routes/${prefix}-no-such-route/traffic`, 404)).toMatchObject({ code: 'not-found' });
    expect(await error(`/api/v1/routes/${vsNames.get('alice')}/traffic?window=1%20h`, 400)).toMatchObject({ field: 'window' });
    expect(await error(`/api/v1/routes/${vsNames.get('alice')}/traffic?window=8d`, 400)).toMatchObject({ field: 'window', error: 'query parameter window: must be at most 7d' });
    expect(await error(`/api/v1/users/nobody-${run}/traffic`, 404)).toMatchObject({ code: 'not-found' });
    expect(await error(`/api/v1/users/${encodeURIComponent(users.carol)}/traffic?server=nope`, 404)).toMatchObject({ code: 'not-found' });
    expect(await error(`/api/v1/users/${encodeURIComponent(users.carol)}/traffic?server=a%2Fb`, 400)).toMatchObject({ field: 'server' });
    expect(await error(`/api/v1/users/bell%07/traffic`, 400)).toMatchObject({ field: 'user' });
    expect(await error(`/api/v1/traffic/sparklines?kind=pods&names=a`, 400)).toMatchObject({ field: 'kind' });
    expect(await error(`/api/v1/traffic/sparklines?kind=users`, 400)).toMatchObject({ field: 'names' });
    const tooMany = Array.from({ length: 101 }, (_, i) => `u${i}`).join(',');
    expect(await error(`/api/v1/traffic/sparklines?kind=users&names=${tooMany}`, 400)).toMatchObject({ field: 'names', error: 'query parameter names: must list at most 100 names' });
    expect(await error(`/api/v1/traffic/sparklines?kind=routes&names=ok,Bad_Name`, 400)).toMatchObject({ field: 'names' });
  });

  it('answers 503 prometheus-unavailable, and logs it, while Prometheus is down', async () => {
    proxy.setDown(true);
    try {
      for (const path of [`/api/v1/routes/${vsNames.get('alice')}/traffic`, `/api/v1/users/${encodeURIComponent(users.alice)}/traffic`, `/api/v1/traffic/sparklines?kind=users&names=${encodeURIComponent(users.alice)}`]) {
        const body = await json<{ code: string; error: string }>(path, 503);
        expect(body.code, path).toBe('prometheus-unavailable');
        expect(body.error, path).toMatch(/Prometheus at .* is unavailable \(HTTP 503\)/);
      }
      // the answer can arrive before the server's log line has come through its stdout pipe
      await expect.poll(() => hm.output()).toContain('Prometheus query failed');
    } finally {
      proxy.setDown(false);
    }
    await json(`/api/v1/routes/${vsNames.get('alice')}/traffic`);
  });
});
