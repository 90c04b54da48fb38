/**
 * The traffic graph's cost per refresh at 100 and 1,000 notebooks, on Debian's Prometheus scraping the test
 * exporter, vs. the mTLS traffic queries of the Mesh security page (lib/mesh/traffic.ts trafficQueries) on the same
 * Prometheus as the anchor: the other per-refresh read of Istio's request and TCP metrics over the hub namespace.
 *
 * Per refresh: the number of PromQL queries (fixed, whatever the number of users), the series they return,
 * Prometheus's own cost of them (each query POSTed again with stats=all: samples read, data.stats.samples.
 * totalQueryableSamples, and evaluation time, data.stats.timings.evalTotalTime), the wall time of the whole read as
 * the API does it (the queries, concurrently, and the build), and the wall time of the pure build alone
 * (buildTrafficGraph, the part that grows with the pods cache).
 *
 * The scene, per size N: the gateway calling every notebook but the last tenth (idle), with a 5xx share on every
 * seventh, the hub calling every third, a thousandth of notebooks calling another, plaintext from outside the mesh
 * into every fiftieth, the gateway's own reports of its requests (reporter="source") and gateway-side 503 UF,URX
 * on every hundredth, TCP from every twentieth to a database; and traffic of another namespace, which neither
 * read may return. Scraped every second over a BENCH_TRAFFIC_WINDOW window (default 30s: as many samples per
 * series as Istio's usual 5m window at a 10 s scrape interval).
 *
 * In Chromium, at the largest size (BENCH_TRAFFIC_BROWSER=0 leaves it out): the time from navigation to the graph
 * being interactive (data-state="ready": laid out and painted) on /traffic, and from navigation to one user's
 * troubleshooting page showing its eight hops and the user's figures, anchored against the time from
 * navigation to the /routes page showing its data, loaded the same way in the same run. That needs the test
 * control plane (the notebook pods are created on it, in batches) and the built server.
 *
 * Environment: BENCH_TRAFFIC_NOTEBOOKS (default 100,1000), BENCH_TRAFFIC_RUNS (measured runs per measure, 20;
 * three more warm up first), BENCH_TRAFFIC_WINDOW (30s), BENCH_TRAFFIC_PAGE_RUNS (page loads per page, 10, after
 * one cold load), BENCH_TRAFFIC_BROWSER (1).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { chromium, type Browser } from '@playwright/test';
import playwrightConfig from '../../playwright.config';
import type { Pod } from '../../lib/kube/pods';
import { durationSeconds, loadMeshTraffic, trafficQueries } from '../../lib/mesh/traffic';
import { buildTrafficGraph, graphQueries, loadTrafficGraph, type GraphPods, type GraphVectors } from '../../lib/traffic/graph';
import { PrometheusClient } from '../../lib/telemetry/prometheus';
import { ensureCluster, repoRoot } from '../../test/cluster/harness';
import { startHubmesh, type HubmeshProcess } from '../../test/hubmesh-process';
import { startIstioExporter, type Flow, type IstioExporter } from '../../test/prometheus/exporter';
import { startPrometheus } from '../../test/prometheus/harness';
import { signIn } from './dashboard-visit';
import { ensureBuiltForBench } from './load';
import { formatTable, intList, intOf, percentile, rotatedSamples, type Row } from './stats';

const namespace = 'jupyterhub';
const gatewayNamespace = 'istio-system';
const SCRAPE_SECONDS = 1;

function pod(name: string, labels: Record<string, string>, annotations: Record<string, string> = {}): Pod {
  return {
    metadata: { name, namespace, labels, annotations },
    spec: { containers: [{ name: 'main' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: {} } }] },
  };
}

const user = (k: number) => `u${k}`;
const notebookName = (k: number) => `jupyter-${user(k)}`;

function scenePods(n: number): GraphPods {
  return {
    notebooks: Array.from({ length: n }, (_, k) => pod(notebookName(k), { component: 'singleuser-server' }, { 'hub.jupyter.org/username': user(k), 'hub.jupyter.org/servername': '' })),
    hub: [pod('hub-7d9f8c6b5-x2k9p', { component: 'hub' })],
    hubmesh: [pod('hubmesh-6c7d8e9f0-abcde', { 'app.kubernetes.io/name': 'hubmesh' })],
    gateway: [],
  };
}

function publishScene(exporter: IstioExporter, n: number) {
  const gateway = { namespace: gatewayNamespace, workload: 'istio-ingressgateway', serviceAccount: 'istio-ingressgateway-service-account' };
  const hub = { namespace, workload: 'hub' };
  const to = (k: number) => ({ namespace, service: notebookName(k) });
  const flow = (source: Flow['source'], k: number, fields: Partial<Flow> = {}): Flow => ({ source, destination: to(k), policy: 'mutual_tls', ...fields });
  for (let k = 0; k < Math.floor(n * 0.9); k++) {
    exporter.requests(flow(gateway, k), 1 + (k % 5));
    exporter.requests(flow(gateway, k, { policy: 'unknown', reporter: 'source' }), 1 + (k % 5));
    if (k % 7 === 0) exporter.requests(flow(gateway, k, { responseCode: 500 }), 0.2);
    if (k % 3 === 0) exporter.requests(flow(hub, k), 0.1);
    if (k % 50 === 0) exporter.requests(flow({ namespace: 'unknown', workload: 'unknown' }, k, { policy: 'none' }), 0.05);
    if (k % 100 === 0) exporter.requests(flow(gateway, k, { destination: { ...to(k), workload: 'unknown' }, policy: 'unknown', reporter: 'source', responseCode: 503, responseFlags: 'UF,URX' }), 0.5);
    if (k % 20 === 0) exporter.tcp({ source: { namespace, workload: notebookName(k), serviceAccount: 'default' }, destination: { namespace: 'data', service: 'postgres' }, policy: 'mutual_tls' }, { sent: 2000, received: 500 });
    if (k % 1000 === 1) exporter.requests(flow({ namespace, workload: notebookName(k), serviceAccount: 'default' }, k + 1), 0.3);
  }
  exporter.requests({ source: gateway, destination: { namespace, service: 'hub' }, policy: 'mutual_tls' }, 3);
  exporter.requests({ source: hub, destination: { namespace, service: 'hubmesh' }, policy: 'mutual_tls' }, 0.5);
  for (let k = 0; k < n; k++) exporter.requests({ source: { namespace: 'shop', workload: 'web' }, destination: { namespace: 'shop', service: `item-${k}` }, policy: 'mutual_tls' }, 1);
}

type QueryStats = { series: number; samples: number; evalMs: number };

/** Prometheus's own account of a query at `time`: the series it returns, the samples it read and its evaluation time. */
async function queryStats(url: string, query: string, time: number): Promise<QueryStats> {
  const response = await fetch(`${url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query, time: String(time), stats: 'all' }) });
  const body = (await response.json()) as { status: string; error?: string; data: { result: unknown[]; stats?: { timings?: { evalTotalTime?: number }; samples?: { totalQueryableSamples?: number } } } };
  if (body.status !== 'success') throw new Error(`bench: Prometheus refused ${query}: ${body.error}`);
  const { samples, timings } = body.data.stats ?? {};
  if (samples?.totalQueryableSamples === undefined || timings?.evalTotalTime === undefined) throw new Error('bench: this Prometheus gives no query stats (stats=all)');
  return { series: body.data.result.length, samples: samples.totalQueryableSamples, evalMs: timings.evalTotalTime * 1000 };
}

async function statsOf(url: string, queries: Record<string, string>, time: number): Promise<QueryStats & { queries: number }> {
  const each = await Promise.all(Object.values(queries).map((q) => queryStats(url, q, time)));
  return { queries: each.length, series: each.reduce((s, q) => s + q.series, 0), samples: each.reduce((s, q) => s + q.samples, 0), evalMs: each.reduce((s, q) => s + q.evalMs, 0) };
}

/** A notebook pod of the bench's scene on the kwok node, labelled with its run. */
function clusterNotebook(k: number, runLabel: string): V1Pod {
  return {
    metadata: { name: notebookName(k), labels: { component: 'singleuser-server', 'hubmesh.io/bench': runLabel }, annotations: { 'hub.jupyter.org/username': user(k), 'hub.jupyter.org/servername': '' } },
    spec: { containers: [{ name: 'notebook', image: 'quay.io/jupyter/base-notebook' }], nodeSelector: { type: 'kwok' }, tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }] },
  };
}

/** In the page: ms from navigation start until `ready` (run in the page, returning performance.now() once ready) first holds, checked on every frame. */
async function msUntil(browser: Browser, session: Awaited<ReturnType<typeof signIn>>, url: string, ready: () => number | false): Promise<number> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  try {
    await context.addCookies(session.cookies);
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit' });
    // a function, not a string: the console's Content-Security-Policy allows no eval
    const handle = await page.waitForFunction(ready, undefined, { polling: 'raf', timeout: 60_000 });
    return (await handle.jsonValue()) as number;
  } finally {
    await context.close();
  }
}

/** /traffic's time to interactive and a user's troubleshooting page's time to its hops and figures at n notebooks vs. /routes's time to its data, the same hubmesh, the same run. */
async function pageRows(n: number, prometheusUrl: string, runs: number): Promise<Row[]> {
  const paths = ensureCluster('bench');
  await ensureBuiltForBench(repoRoot);
  const admin = new KubeConfig();
  admin.loadFromFile(paths.adminKubeconfig);
  const core = admin.makeApiClient(CoreV1Api);
  const runLabel = `traffic-${randomBytes(3).toString('hex')}`;
  const adminToken = randomBytes(24).toString('hex');
  let server: HubmeshProcess | undefined;
  let browser: Browser | undefined;
  try {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } }).catch(() => undefined);
    for (let k = 0; k < n; k += 50) await Promise.all(Array.from({ length: Math.min(50, n - k) }, (_, i) => core.createNamespacedPod({ namespace, body: clusterNotebook(k + i, runLabel) })));
    server = await startHubmesh({
      kubeconfig: paths.appKubeconfig,
      prefix: runLabel.replace('-', ''),
      readyTimeoutMs: 60_000,
      env: { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_SESSION_SECRET: randomBytes(32).toString('hex'), HUBMESH_LOG_LEVEL: 'warn', HUBMESH_PROMETHEUS_URL: prometheusUrl, HUBMESH_NOTEBOOK_SELECTOR: `component=singleuser-server,hubmesh.io/bench=${runLabel}` },
    });
    const session = await signIn(server.url, adminToken);
    for (const deadline = Date.now() + 60_000; ; ) {
      const answer = (await (await fetch(`${server.url}/api/v1/mesh/graph?window=5m`, { headers: { cookie: session.header } })).json()) as { users?: unknown[] };
      if (answer.users?.length === n) break;
      if (Date.now() > deadline) throw new Error(`bench: hubmesh holds ${answer.users?.length} of the ${n} notebooks after 60 s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const launchOptions = (playwrightConfig.projects?.find((p) => p.use?.launchOptions)?.use?.launchOptions ?? {}) as Parameters<typeof chromium.launch>[0];
    browser = await chromium.launch({ ...launchOptions, headless: true });
    const pages = [
      {
        name: '/routes, navigation to its data (anchor)',
        url: `${server.url}/routes`,
        ready: () => (document.querySelector('main table tbody tr') !== null || document.querySelector('main')?.textContent?.includes('No routes yet') === true) && performance.now(),
      },
      { name: '/traffic, navigation to the graph interactive', url: `${server.url}/traffic`, ready: () => document.querySelector('[data-testid=traffic-graph][data-state=ready]') !== null && performance.now() },
      {
        name: "/users/<user>, navigation to the diagnosis' eight hops and the user's figures",
        url: `${server.url}/users/${encodeURIComponent(user(0))}`,
        ready: () => document.querySelectorAll('[data-hop]').length === 8 && document.querySelector('dl[data-time]') !== null && performance.now(),
      },
    ];
    const samples = pages.map(() => [] as number[]);
    for (let run = -1; run < runs; run++) {
      for (const [i, page] of pages.entries()) {
        const ms = await msUntil(browser, session, page.url, page.ready);
        if (run >= 0) samples[i]!.push(ms);
      }
    }
    const anchor = percentile(samples[0]!, 50);
    return pages.map((page, i) => ({ notebooks: n, measure: page.name, queries: 0, series: 0, samples: 0, 'prom eval ms': 0, 'p50 ms': percentile(samples[i]!, 50), 'p90 ms': percentile(samples[i]!, 90), 'ratio samples': 0, 'ratio p50': percentile(samples[i]!, 50) / anchor }));
  } finally {
    await browser?.close();
    await server?.stop();
    await core.deleteCollectionNamespacedPod({ namespace, labelSelector: `hubmesh.io/bench=${runLabel}`, gracePeriodSeconds: 0 }).catch((error) => console.error('bench: removing the notebook pods failed:', error));
  }
}

type Measure = { name: string; run: () => Promise<unknown> | unknown; stats?: QueryStats & { queries: number } };

export async function runTrafficBench(): Promise<void> {
  const sizes = intList('BENCH_TRAFFIC_NOTEBOOKS', [100, 1000]);
  const runs = intOf('BENCH_TRAFFIC_RUNS', 20);
  const pageRuns = intOf('BENCH_TRAFFIC_PAGE_RUNS', 10);
  const withBrowser = process.env.BENCH_TRAFFIC_BROWSER !== '0';
  const window = process.env.BENCH_TRAFFIC_WINDOW?.trim() || '30s';
  if (!durationSeconds(window)) throw new Error(`bench: BENCH_TRAFFIC_WINDOW must be a Prometheus duration, got ${JSON.stringify(window)}`);
  const rows: Row[] = [];
  for (const n of sizes) {
    const exporter = await startIstioExporter();
    publishScene(exporter, n);
    const prometheus = await startPrometheus({ targets: [exporter.target], scrapeIntervalSeconds: SCRAPE_SECONDS });
    try {
      const client = new PrometheusClient({ url: prometheus.url, timeoutMs: 30_000 });
      const readyAt = ((await exporter.firstScrape) + durationSeconds(window)! + 2 * SCRAPE_SECONDS) * 1000;
      console.log(`bench: traffic, ${n} notebooks: filling a ${window} window…`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, readyAt - Date.now())));
      // one instant for every measure, a scrape Prometheus has stored
      const time = Math.floor(exporter.lastScrape() * 1000) / 1000;
      await new Promise((resolve) => setTimeout(resolve, 500));

      const pods = scenePods(n);
      const options = { namespace, gatewayNamespace, window, time };
      const queries = graphQueries({ namespace, window });
      const vectors = Object.fromEntries(await Promise.all(Object.entries(queries).map(async ([name, q]) => [name, await client.queryVector(q, { time })]))) as GraphVectors;
      // the figures are only worth something if the graph is the scene's
      const graph = buildTrafficGraph(vectors, pods, options);
      const busy = Math.floor(n * 0.9);
      if (graph.idle.count !== n - busy || graph.nodes.filter((node) => node.kind === 'notebook').length !== busy || graph.edges.some((e) => e.source.includes('shop') || e.target.includes('shop'))) {
        throw new Error(`bench: the graph is not the scene's: ${graph.nodes.length} nodes, ${graph.idle.count} idle, ${graph.edges.length} edges`);
      }
      const anchorQueries = trafficQueries({ window, namespaces: [namespace], time });
      const measures: Measure[] = [
        { name: 'mTLS traffic queries, load and summarize (anchor)', run: () => loadMeshTraffic(client, { window, namespaces: [namespace], time }), stats: await statsOf(prometheus.url, anchorQueries, time) },
        { name: 'traffic graph, load and build (the API)', run: () => loadTrafficGraph(client, pods, options), stats: await statsOf(prometheus.url, queries, time) },
        { name: 'traffic graph, build only (buildTrafficGraph)', run: () => buildTrafficGraph(vectors, pods, options) },
        { name: 'traffic graph, build only, one user', run: () => buildTrafficGraph(vectors, pods, { ...options, user: user(7) }) },
      ];
      const samples = await rotatedSamples(measures, runs);
      const anchor = measures[0]!.stats!;
      const anchorMs = percentile(samples[0]!, 50);
      for (const [i, m] of measures.entries()) {
        const p50 = percentile(samples[i]!, 50);
        rows.push({
          notebooks: n,
          measure: m.name,
          queries: m.stats?.queries ?? 0,
          series: m.stats?.series ?? 0,
          samples: m.stats?.samples ?? 0,
          'prom eval ms': m.stats?.evalMs ?? 0,
          'p50 ms': p50,
          'p90 ms': percentile(samples[i]!, 90),
          'ratio samples': m.stats ? m.stats.samples / anchor.samples : 0,
          'ratio p50': p50 / anchorMs,
        });
      }
      console.log(`bench: traffic, ${n} notebooks: ${graph.nodes.length} nodes, ${graph.edges.length} edges, ${graph.findings.length} findings; ${runs} runs per measure`);
      if (withBrowser && n === Math.max(...sizes)) {
        console.log(`bench: traffic, ${n} notebooks: ${n} pods on the test control plane, /traffic and /routes in Chromium, ${pageRuns} loads each…`);
        rows.push(...(await pageRows(n, prometheus.url, pageRuns)));
      }
    } finally {
      await prometheus.stop();
      await exporter.close();
    }
  }
  const env = `node ${process.version}, Prometheus ${window} window, ${SCRAPE_SECONDS} s scrapes`;
  console.log(`\nhubmesh bench: the traffic graph per refresh vs. the mTLS traffic queries (${env})\n`);
  console.log(formatTable(rows));
  const out = path.join(repoRoot, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, 'traffic.json'), JSON.stringify({ at: new Date().toISOString(), env, runs, window, rows }, null, 2));
}
