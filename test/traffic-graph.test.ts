import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { durationSeconds } from '@/lib/mesh/traffic';
import { graphQueries } from '@/lib/traffic/graph';
import type { trafficGraphAnswer } from '@/lib/traffic/graph-api';
import { PrometheusClient } from '@/lib/telemetry/prometheus';
import { clients, eventually, HUB_NAMESPACE, notebookPod, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { startIstioExporter, type Flow, type IstioExporter } from './prometheus/exporter';
import { startPrometheus, type PrometheusServer } from './prometheus/harness';

type Answer = Extract<Awaited<ReturnType<typeof trafficGraphAnswer>>, { configured: true }>;

/*
 * The traffic graph on the real control plane and Debian's Prometheus, scraping the test exporter's scripted
 * scenario. Rates are checked twice: against the scripted rates (within RATE_TOLERANCE: the API evaluates at
 * "now", up to a scrape after the latest sample, where rate() extrapolates a little short), and against the
 * test's own PromQL evaluated at the instant the API reports (the same samples, so equal up to float rounding).
 */
const WINDOW = '15s';
const SCRAPE_SECONDS = 1;
const RATE_TOLERANCE = 0.05;
const SAME_DIGITS = 9;
const ROOT = 'istio-system';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Pods the mesh injected, on the kwok node (as test/isolation.test.ts makes them). */
function meshPod(name: string, labels: Record<string, string>): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels, annotations: { 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'] }) } },
    spec: {
      containers: [{ name: 'main', image: 'app' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1' }],
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
}

/**
 * A stand-in in front of Prometheus that keeps the queries it passes on (hubmesh's leader work queries Prometheus
 * too, on its own schedule), and can play a Prometheus that went away.
 */
async function recordingProxy(target: string) {
  let queries: string[] = [];
  let down = false;
  const server = http.createServer((request, response) => {
    if (down) {
      request.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (request.url?.startsWith('/api/v1/query')) queries.push(new URLSearchParams(body.toString()).get('query') ?? '');
      const answer = await fetch(`${target}${request.url}`, { method: request.method, headers: { 'content-type': request.headers['content-type'] ?? 'application/x-www-form-urlencoded' }, body: request.method === 'POST' ? body : undefined });
      response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    /** the queries passed on since the last call */
    take: () => {
      const taken = queries;
      queries = [];
      return taken;
    },
    setDown: (value: boolean) => (down = value),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the traffic graph of the hub namespace, on a real Prometheus', () => {
  const { adminCore } = clients();
  const run = uniqueName('g').slice(2);
  const runLabel = 'hubmesh-test-graph';
  const [alice, bob, carol, mallory, dave] = ['alice', 'bob', 'carol', 'mallory', 'dave'].map((u) => `${u}-${run}`) as [string, string, string, string, string];
  const notebook = (user: string) => `jupyter-${user}`;
  const notebooks = [alice, bob, carol, mallory, dave].map((user) => {
    const pod = notebookPod(notebook(user), user);
    pod.metadata!.labels![runLabel] = run;
    return pod;
  });
  const hubPod = meshPod(`hub-${run}`, { component: 'hub' });
  const hubmeshPod = meshPod(`hubmesh-${run}`, { 'app.kubernetes.io/name': 'hubmesh' });
  const pods = [...notebooks, hubPod, hubmeshPod];

  const gateway = { namespace: ROOT, workload: 'istio-ingressgateway', serviceAccount: 'istio-ingressgateway-service-account' };
  const hub = { namespace: HUB_NAMESPACE, workload: 'hub' };
  const inHub = (service: string) => ({ namespace: HUB_NAMESPACE, service });
  // per second; each flow as Istio's proxies would report it
  const flows: Array<{ flow: Flow; rate: number }> = [
    { flow: { source: gateway, destination: inHub(notebook(alice)), policy: 'mutual_tls' }, rate: 3 },
    // the gateway's own report of the same requests: never counted twice
    { flow: { source: gateway, destination: inHub(notebook(alice)), policy: 'unknown', reporter: 'source' }, rate: 3 },
    { flow: { source: gateway, destination: inHub(notebook(carol)), policy: 'mutual_tls' }, rate: 2 },
    { flow: { source: gateway, destination: inHub('hub'), policy: 'mutual_tls' }, rate: 1 },
    { flow: { source: hub, destination: inHub(notebook(alice)), policy: 'mutual_tls' }, rate: 0.5 },
    { flow: { source: hub, destination: inHub(notebook(carol)), policy: 'mutual_tls' }, rate: 0.5 },
    { flow: { source: hub, destination: inHub('hubmesh'), policy: 'mutual_tls' }, rate: 0.25 },
    // bob: the gateway could not connect to his notebook, which therefore reported nothing; with no connection the
    // gateway knows the Service it aimed at, not the workload behind it
    { flow: { source: gateway, destination: { ...inHub(notebook(bob)), workload: 'unknown' }, policy: 'unknown', reporter: 'source', responseCode: 503, responseFlags: 'UF,URX' }, rate: 2 },
    { flow: { source: { namespace: HUB_NAMESPACE, workload: notebook(mallory), serviceAccount: 'default' }, destination: inHub(notebook(alice)), policy: 'mutual_tls' }, rate: 1 },
    { flow: { source: { namespace: 'unknown', workload: 'unknown' }, destination: inHub(notebook(carol)), policy: 'none' }, rate: 0.5 },
    // another namespace's traffic is not the hub's
    { flow: { source: { namespace: 'shop', workload: 'web' }, destination: { namespace: 'shop', service: 'cart' }, policy: 'mutual_tls' }, rate: 5 },
  ];
  const postgres = { source: { namespace: HUB_NAMESPACE, workload: notebook(mallory), serviceAccount: 'default' }, destination: { namespace: 'data', service: 'postgres' }, policy: 'mutual_tls' } satisfies Flow;
  const tcp = { sent: 1000, received: 500 };

  let exporter: IstioExporter;
  let prometheus: PrometheusServer;
  let proxy: Awaited<ReturnType<typeof recordingProxy>>;
  let client: PrometheusClient;
  let hm: HubmeshProcess;
  let cookie: string;
  /** The graph's queries among those hubmesh sent since the last call: whatever the users, the same four texts. */
  const graphQueriesSent = () => {
    const mine = Object.values(graphQueries({ namespace: HUB_NAMESPACE, window: WINDOW }));
    return proxy
      .take()
      .filter((query) => mine.includes(query))
      .sort();
  };
  const fourQueries = () => Object.values(graphQueries({ namespace: HUB_NAMESPACE, window: WINDOW })).sort();
  const graph = async (query: string) => {
    const response = await fetch(`${hm.url}/api/v1/mesh/graph?${query}`, { headers: { cookie } });
    return { status: response.status, body: await response.json() };
  };

  beforeAll(async () => {
    await adminCore.createNamespacedServiceAccount({ namespace: HUB_NAMESPACE, body: { metadata: { name: 'default' } } }).catch(() => undefined);
    for (const pod of pods) await adminCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: pod });
    exporter = await startIstioExporter();
    for (const { flow, rate } of flows) exporter.requests(flow, rate);
    exporter.tcp(postgres, tcp);
    prometheus = await startPrometheus({ targets: [exporter.target], scrapeIntervalSeconds: SCRAPE_SECONDS });
    client = new PrometheusClient({ url: prometheus.url, timeoutMs: 5_000 });
    proxy = await recordingProxy(prometheus.url);
    hm = await startHubmesh({
      kubeconfig: inject('appKubeconfig'),
      prefix: `graph${run}`,
      env: { HUBMESH_ADMIN_TOKEN: 'graph-admin-token-0123456789', HUBMESH_SESSION_SECRET: 'graph-session-secret-0123456789abcdef', HUBMESH_PROMETHEUS_URL: proxy.url, HUBMESH_NOTEBOOK_SELECTOR: `component=singleuser-server,${runLabel}=${run}` },
    });
    const session = await fetch(`${hm.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: 'graph-admin-token-0123456789' }) });
    cookie = session.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    // every series must be older than the window plus a scrape, so rate() sees it over the whole window
    const readyAt = ((await exporter.firstScrape) + durationSeconds(WINDOW)! + 2 * SCRAPE_SECONDS) * 1000;
    await sleep(Math.max(0, readyAt - Date.now()));
    // and hubmesh's pods cache must hold the five notebooks
    await eventually(async () => {
      const { body } = await graph(`window=${WINDOW}`);
      return body.users?.length === 5 ? body : undefined;
    }, 'the five notebooks in the graph answer');
    proxy.take();
  }, 120_000);

  afterAll(async () => {
    for (const pod of pods) await adminCore.deleteNamespacedPod({ namespace: HUB_NAMESPACE, name: pod.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
    await hm?.stop();
    await proxy?.close();
    await prometheus?.stop();
    await exporter?.close();
  });

  /** The test's own PromQL, at the answer's instant. */
  const promql = async (query: string, time: number) => (await client.queryVector(query, { time })).reduce((sum, s) => sum + s.value, 0);
  const near = (actual: number, expected: number, what: string) => expect(Math.abs(actual / expected - 1), `${what}: ${actual} vs ${expected}`).toBeLessThan(RATE_TOLERANCE);

  it('draws the scenario: the gateway, the hub, hubmesh, each notebook by its user, outside sources, idle notebooks; rates as scripted and as PromQL reads them', async () => {
    const { status, body } = await graph(`window=${WINDOW}`);
    expect(status).toBe(200);
    const answer = body as Answer;
    expect(graphQueriesSent()).toEqual(fourQueries());
    console.info(`traffic graph over ${WINDOW}: ${answer.nodes.length} nodes, ${answer.edges.length} edges, findings:\n${answer.findings.map((f) => `  ${f.kind}: ${f.message}`).join('\n')}`);
    expect(answer).toMatchObject({ configured: true, namespace: HUB_NAMESPACE, window: WINDOW, user: null, idle: { count: 1 }, users: [alice, bob, carol, dave, mallory].sort() });

    const nb = (user: string) => `notebook:${notebook(user)}`;
    expect(answer.nodes.map((n) => [n.id, n.kind, n.label])).toEqual([
      ['gateway', 'gateway', 'ingress gateway'],
      ['hub', 'hub', 'hub'],
      ['hubmesh', 'hubmesh', 'hubmesh'],
      ...[alice, bob, carol, mallory].map((user) => [nb(user), 'notebook', user]),
      ['workload:data/postgres', 'workload', 'data/postgres'],
      ['unknown', 'unknown', 'unknown / outside the mesh'],
      ['idle-notebooks', 'idle', '1 idle notebook'],
    ]);
    expect(answer.nodes.find((n) => n.id === nb(alice))).toMatchObject({ user: alice, server: '', pod: notebook(alice), namespace: HUB_NAMESPACE });

    const edge = (id: string) => {
      const found = answer.edges.find((e) => e.id === id);
      expect(found, `edge ${id} in ${answer.edges.map((e) => e.id).join(', ')}`).toBeDefined();
      return found!;
    };
    const requestsOf = (selector: string) => `sum(rate(istio_requests_total{${selector}}[${WINDOW}]))`;
    const expected: Array<{ id: string; rate: number; selector: string; errorRatio: number; mtlsShare: number | null }> = [
      { id: `gateway->${nb(alice)}`, rate: 3, selector: `reporter="destination",source_workload="istio-ingressgateway",destination_workload="${notebook(alice)}"`, errorRatio: 0, mtlsShare: 1 },
      { id: `gateway->${nb(carol)}`, rate: 2, selector: `reporter="destination",source_workload="istio-ingressgateway",destination_workload="${notebook(carol)}"`, errorRatio: 0, mtlsShare: 1 },
      { id: `gateway->${nb(bob)}`, rate: 2, selector: `reporter="source",destination_service_name="${notebook(bob)}",response_flags="UF,URX"`, errorRatio: 1, mtlsShare: null },
      { id: 'gateway->hub', rate: 1, selector: 'reporter="destination",source_workload="istio-ingressgateway",destination_workload="hub"', errorRatio: 0, mtlsShare: 1 },
      { id: `${nb(mallory)}->${nb(alice)}`, rate: 1, selector: `reporter="destination",source_workload="${notebook(mallory)}",destination_workload="${notebook(alice)}"`, errorRatio: 0, mtlsShare: 1 },
      { id: `hub->${nb(alice)}`, rate: 0.5, selector: `reporter="destination",source_workload="hub",destination_workload="${notebook(alice)}"`, errorRatio: 0, mtlsShare: 1 },
      { id: `hub->${nb(carol)}`, rate: 0.5, selector: `reporter="destination",source_workload="hub",destination_workload="${notebook(carol)}"`, errorRatio: 0, mtlsShare: 1 },
      { id: `unknown->${nb(carol)}`, rate: 0.5, selector: `reporter="destination",source_workload="unknown",destination_workload="${notebook(carol)}"`, errorRatio: 0, mtlsShare: 0 },
      { id: 'hub->hubmesh', rate: 0.25, selector: 'reporter="destination",source_workload="hub",destination_workload="hubmesh"', errorRatio: 0, mtlsShare: 1 },
    ];
    for (const e of expected) {
      const got = edge(e.id);
      near(got.requestsPerSecond, e.rate, `${e.id} scripted`);
      expect(got.requestsPerSecond, `${e.id} vs PromQL`).toBeCloseTo(await promql(requestsOf(e.selector), answer.time), SAME_DIGITS);
      expect(got.errorRatio, `${e.id} 5xx ratio`).toBe(e.errorRatio);
      expect(got.mtlsShare, `${e.id} mTLS share`).toBe(e.mtlsShare);
    }
    expect(edge(`gateway->${nb(bob)}`)).toMatchObject({ unforwarded: { flags: ['UF,URX'] }, responses: { '5xx': expect.any(Number) } });

    const bytes = edge(`${nb(mallory)}->workload:data/postgres`);
    const window = durationSeconds(WINDOW)!;
    near(bytes.tcp.sentBytes, tcp.sent * window, 'TCP sent');
    near(bytes.tcp.receivedBytes, tcp.received * window, 'TCP received');
    expect(bytes.tcp.sentBytes).toBeCloseTo(await promql(`sum(increase(istio_tcp_sent_bytes_total{reporter="destination",source_workload="${notebook(mallory)}"}[${WINDOW}]))`, answer.time), 6);
    expect(bytes.tcp.receivedBytes).toBeCloseTo(await promql(`sum(increase(istio_tcp_received_bytes_total{reporter="destination",source_workload="${notebook(mallory)}"}[${WINDOW}]))`, answer.time), 6);
    expect(bytes).toMatchObject({ requestsPerSecond: 0, mtlsShare: 1 });

    // every edge is one of the scenario's: nothing of the shop namespace, no double-counted gateway report
    expect(answer.edges.map((e) => e.id).sort()).toEqual([...expected.map((e) => e.id), bytes.id].sort());
    expect(answer.findings.map((f) => `${f.kind} ${f.edge}`).sort()).toEqual(
      [`failing gateway->${nb(bob)}`, `notebook-to-notebook ${nb(mallory)}->${nb(alice)}`, `plaintext unknown->${nb(carol)}`].sort(),
    );
    expect(answer.findings.find((f) => f.kind === 'failing')?.message).toMatch(new RegExp(`^the ingress gateway → ${bob}'s notebook: 100% of 2 req/s failed with 5xx; 2 req/s never reached it \\(UF,URX\\)$`));
  });

  it('filters by user: the user’s notebooks, every edge touching them and their neighbours, in the same four queries', async () => {
    const { status, body } = await graph(`window=${WINDOW}&user=${encodeURIComponent(alice)}`);
    expect(status).toBe(200);
    expect(graphQueriesSent()).toEqual(fourQueries());
    const answer = body as Answer;
    expect(answer.user).toBe(alice);
    expect(answer.nodes.map((n) => n.id)).toEqual(['gateway', 'hub', `notebook:${notebook(alice)}`, `notebook:${notebook(mallory)}`]);
    expect(answer.edges.map((e) => e.id).sort()).toEqual([`gateway->notebook:${notebook(alice)}`, `hub->notebook:${notebook(alice)}`, `notebook:${notebook(mallory)}->notebook:${notebook(alice)}`].sort());
    expect(answer.idle).toEqual({ count: 0 });
    const idle = (await graph(`window=${WINDOW}&user=${encodeURIComponent(dave)}`)).body as Answer;
    expect(idle.nodes).toEqual([expect.objectContaining({ id: 'idle-notebooks', count: 1 })]);
    expect(graphQueriesSent()).toEqual(fourQueries());
  });

  it('costs the same four queries with thirty more users', async () => {
    for (let k = 0; k < 30; k++) exporter.requests({ source: gateway, destination: inHub(`jupyter-extra${k}-${run}`), policy: 'mutual_tls' }, 1);
    // two scrapes later Prometheus has them
    await sleep(2500);
    const { body } = await graph(`window=${WINDOW}`);
    expect(graphQueriesSent()).toEqual(fourQueries());
    expect((body as Answer).edges.filter((e) => e.target.includes('jupyter-extra')).length).toBe(30);
  });

  it('refuses a bad window or user with a 400 that names it, and answers 503 while Prometheus is down', async () => {
    for (const [query, field] of [
      ['window=5x', 'window'],
      ['window=2d', 'window'],
      ['window=0s', 'window'],
      [`user=${encodeURIComponent('a\u0000b')}`, 'user'],
      [`user=${'u'.repeat(256)}`, 'user'],
    ] as const) {
      const { status, body } = await graph(query);
      expect(status, query).toBe(400);
      expect(body, query).toMatchObject({ code: 'invalid-input', field });
    }
    expect(graphQueriesSent()).toEqual([]);
    proxy.setDown(true);
    try {
      const { status, body } = await graph(`window=${WINDOW}`);
      expect(status).toBe(503);
      expect(body).toMatchObject({ code: 'prometheus-unavailable' });
      expect(body.error).toMatch(/unreachable/);
      // the answer can arrive before the server's log line has come through its stdout pipe
      await expect.poll(() => hm.output()).toContain('Prometheus query failed');
    } finally {
      proxy.setDown(false);
    }
    expect((await graph(`window=${WINDOW}`)).status).toBe(200);
  });
});
