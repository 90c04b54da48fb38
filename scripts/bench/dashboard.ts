/**
 * The admin console benchmark: the issue's targets "with 5,000 routes and 5,000 pods, the routes page
 * is interactive in < 1.5 s and server RSS stays < 250 MB", on the real test control plane, in
 * Debian's Chromium driven by Playwright, every figure beside an anchor measured in the same run.
 *
 *   scene    N notebook pods (2 containers, one an istio-proxy sidecar) in `jupyterhub`, made Running
 *            by kwok, and N routes POSTed through hubmesh's hub proxy API at c=10
 *   subject  hubmesh (its built server, cluster mode, the app's identity) holding the N routes and seeing
 *            the N pods
 *   anchor   a second hubmesh with a fresh prefix (no routes) and a notebook selector that matches no
 *            pod: its watch caches hold the same N pods, but its routes and pods tables are empty, so
 *            the ratio is what N rows cost
 *
 *   pages    /routes and /pods, a fresh browser context per run (signed in through the API, cookies
 *            added), timed in the page from navigation start (performance.now()), after one cold visit:
 *              first data     first table row visible (anchor: the empty state); the pages render it
 *                             on the server, so this is usually before React has hydrated
 *              hydrated       React has attached its handlers to the first sort header's button
 *                             ("Route"/"Pod"; anchor: the filter's select): a click is no longer lost
 *              click handled  the page handled the click on it, sent then
 *              interactive    the table answered: aria-sort flipped (the issue's target)
 *              re-sorted      and the rows on screen are re-sorted (a stricter reading)
 *              search         a user name typed into Search until only matching rows show (includes the
 *                             page's 250 ms debounce; from the input, not from navigation start)
 *            The anchor has no table, so its interaction is a filter (Status/Warnings): "interactive"
 *            when the select shows the value and the URL has it, "re-sorted" when "no match" shows.
 *   API      GET /api/v1/routes?pageSize=50, /api/v1/pods?pageSize=50, /api/v1/overview with the session
 *            cookie, sequential; and GET /api/v1/routes and /pods right after a pod changed (the joined
 *            view is rebuilt once per change)
 *   RSS      VmRSS of each server process (found by its listening port) every 250 ms from its start
 *            to its stop, VmHWM at the end, and V8's heap from its /metrics; "held" is the median over
 *            3 s once its watch caches (hubmesh_cache_objects) hold every route and pod and before
 *            anything builds the console's joined view, against the first sample ("idle")
 *
 * Environment: BENCH_DASH_ROUTES (5000), BENCH_DASH_PODS (5000), BENCH_DASH_RUNS (browser runs per
 * page and server, 10), BENCH_DASH_GETS (API requests per endpoint, 30), BENCH_DASH_RUNNING_S (how long
 * to wait for kwok to make the pods Running, 420), BENCH_DASH_SERVICES=1 (also a headless Service per
 * user, as KubeSpawner's services_enabled makes: the console then joins routes to pods through them;
 * adds about a minute). Results: bench-results/dashboard.json.
 */
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { chromium, type Browser } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import playwrightConfig from '../../playwright.config';
import { KubeRest } from '../../lib/kube/rest';
import { ensureCluster, repoRoot } from '../../test/cluster/harness';
import { startHubmesh, type HubmeshProcess } from '../../test/hubmesh-process';
import { dashboardTables, printDashboardTables, summary, type ApiSeries, type Heaps, type Series } from './dashboard-report';
import { kubeError, notebookPod, notebookService, podsPath, removeScene, routeBody, servicesPath, type List } from './dashboard-scene';
import { signIn, visit, type PageKind } from './dashboard-visit';
import { ApiClient, ensureBuiltForBench, runPool } from './load';
import { intOf, percentile } from './stats';
import { cacheObjects, heapMb, pidOnPort, RssSampler } from './process-memory';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/** how long RSS is sampled (every 250 ms) with the scene held and the servers left alone */
const HELD_SAMPLE_S = 3;

export async function runDashboardBench(): Promise<void> {
  const nRoutes = intOf('BENCH_DASH_ROUTES', 5000);
  const nPods = intOf('BENCH_DASH_PODS', 5000);
  const runs = intOf('BENCH_DASH_RUNS', 10);
  const gets = intOf('BENCH_DASH_GETS', 30);
  const runningWaitS = intOf('BENCH_DASH_RUNNING_S', 420);
  const withServices = process.env.BENCH_DASH_SERVICES === '1';
  const servicesCreated: number[] = [];
  const started = performance.now();

  const paths = ensureCluster('bench');
  await ensureBuiltForBench(repoRoot);
  const git = (...args: string[]) => spawnSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).stdout?.trim() ?? '';
  const source = {
    commit: git('rev-parse', '--short', 'HEAD'),
    dirty: git('status', '--porcelain', '--', 'lib', 'app', 'components', 'proxy.ts', 'instrumentation.ts', 'next.config.js').split('\n').filter(Boolean),
  };

  const suffix = randomBytes(4).toString('hex');
  const runLabel = `dash-${suffix}`;
  const prefix = `dash${suffix}`;
  const anchorPrefix = `dasha${suffix}`;
  const adminToken = randomBytes(24).toString('hex');
  const sessionSecret = randomBytes(32).toString('hex');
  const env = { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_SESSION_SECRET: sessionSecret, HUBMESH_LOG_LEVEL: 'warn' };

  const admin = new KubeConfig();
  admin.loadFromFile(paths.adminKubeconfig);
  // hubmesh's keep-alive REST client (client-node opens a new TLS connection per request)
  const kube = new KubeRest(admin);
  const podSelector = `hubmesh.io/bench=${runLabel}`;

  let hubmesh: HubmeshProcess | undefined;
  let anchor: HubmeshProcess | undefined;
  let browser: Browser | undefined;
  let proxyClient: ApiClient | undefined;
  const samplers: { hubmesh?: RssSampler; anchor?: RssSampler } = {};
  let cleaned: Promise<void> | undefined;
  const cleanupNotes: string[] = [];
  const cleanup = () =>
    (cleaned ??= (async () => {
      samplers.hubmesh?.stop();
      samplers.anchor?.stop();
      proxyClient?.close();
      await browser?.close().catch((e) => console.error('bench: closing Chromium failed:', e));
      await hubmesh?.stop().catch((e) => console.error('bench: stopping hubmesh failed:', e));
      await anchor?.stop().catch((e) => console.error('bench: stopping the anchor hubmesh failed:', e));
      cleanupNotes.push(...(await removeScene(kube, { servicesCreated, podSelector, prefixes: [prefix, anchorPrefix] })));
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`bench: ${signal}; cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const phases: Array<{ phase: string; seconds: number; detail?: string }> = [];
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    process.stderr.write(`bench: ${name} ...\n`);
    try {
      return await fn();
    } finally {
      const seconds = (performance.now() - t0) / 1000;
      phases.push({ phase: name, seconds });
      process.stderr.write(`bench: ${name}: ${seconds.toFixed(1)} s\n`);
    }
  };
  const notes: string[] = [];
  const series: Series[] = [];
  const apiSeries: ApiSeries[] = [];
  const afterChange: ApiSeries[] = [];
  let overview: Record<string, unknown> | undefined;
  const heaps: Heaps = { held: {}, setup: {}, end: {} };
  let failure: unknown;

  try {
    // ---- the servers, before the scene, so that their memory is watched while it is built
    [hubmesh, anchor] = await phase('start hubmesh and the anchor', () =>
      Promise.all([
        startHubmesh({ kubeconfig: paths.appKubeconfig, prefix, env, readyTimeoutMs: 60_000 }),
        startHubmesh({ kubeconfig: paths.appKubeconfig, prefix: anchorPrefix, env: { ...env, HUBMESH_NOTEBOOK_SELECTOR: `component=hubmesh-bench-anchor-${suffix}` }, readyTimeoutMs: 60_000 }),
      ]),
    );
    for (const [who, server] of [['hubmesh', hubmesh], ['anchor', anchor]] as const) {
      const pid = pidOnPort(Number(new URL(server.url).port));
      if (pid === undefined) notes.push(`could not find the process listening for ${who} at ${server.url}; no RSS for it`);
      else samplers[who] = new RssSampler(pid);
    }
    const mark = (p: string) => {
      samplers.hubmesh?.mark(p);
      samplers.anchor?.mark(p);
    };

    // ---- the scene
    mark('setup');
    const firstCreate = performance.now();
    let kwokDetail = '';
    await phase(`create ${nPods} pods at c=20`, () =>
      runPool(range(nPods), 20, async (i) => {
        try {
          await kube.request({ method: 'POST', path: podsPath, body: notebookPod(i, suffix, runLabel) });
        } catch (error) {
          throw new Error(`bench: creating pod ${i} failed: ${kubeError(error)}`);
        }
      }),
    );
    if (withServices) {
      await phase(`create ${Math.min(nPods, nRoutes)} headless Services at c=20 (BENCH_DASH_SERVICES=1)`, () =>
        runPool(range(Math.min(nPods, nRoutes)), 20, async (i) => {
          try {
            await kube.request({ method: 'POST', path: servicesPath, body: notebookService(i, runLabel) });
            servicesCreated.push(i);
          } catch (error) {
            throw new Error(`bench: creating Service jupyter-u${i} failed: ${kubeError(error)}`);
          }
        }),
      );
    }
    const hub = hubmesh;
    proxyClient = new ApiClient(hub.url, hub.token);
    const client = proxyClient;
    const bodies = range(nRoutes).map(routeBody);
    // the routes go in while kwok works through the pods (the two overlap, as a hub's would)
    const posting = phase(`POST ${nRoutes} routes at c=10 (while kwok runs the pods)`, () =>
      runPool(range(nRoutes), 10, (i) => client.expect(201, 'POST', `/api/routes/user/u${i}`, bodies[i])),
    );
    const running = phase(`kwok: ${nPods} pods Running`, async () => {
      const deadline = Date.now() + runningWaitS * 1000;
      let lastLog = 0;
      for (;;) {
        const notRunning = (await kube.request<List>({ method: 'GET', path: podsPath, query: { labelSelector: podSelector, fieldSelector: 'status.phase!=Running' } })).items.length;
        if (notRunning === 0) break;
        if (Date.now() - lastLog > 15_000) {
          process.stderr.write(`bench:   ${nPods - notRunning} of ${nPods} pods Running\n`);
          lastLog = Date.now();
        }
        if (Date.now() > deadline) throw new Error(`bench: ${notRunning} of ${nPods} pods are not Running after ${runningWaitS} s (BENCH_DASH_RUNNING_S)`);
        await sleep(2000);
      }
      const all = await kube.request<List<V1Pod>>({ method: 'GET', path: podsPath, query: { labelSelector: podSelector } });
      const runningCount = all.items.filter((p) => p.status?.phase === 'Running').length;
      if (runningCount < nPods) throw new Error(`bench: a LIST shows ${runningCount} of ${nPods} pods Running`);
      kwokDetail = `all Running ${((performance.now() - firstCreate) / 1000).toFixed(1)} s after the first create`;
    });
    const [post] = await Promise.all([posting, running]);
    phases.find((p) => p.phase.startsWith('kwok'))!.detail = kwokDetail;
    phases.find((p) => p.phase.startsWith('POST'))!.detail = `${((post.latencies.length / post.wallMs) * 1000).toFixed(0)} routes/s, p50 ${percentile(post.latencies, 50).toFixed(1)} ms, p99 ${percentile(post.latencies, 99).toFixed(1)} ms`;

    // held: both servers' watch caches hold the scene, and nothing has built the console's joined view yet
    // (the overview below does); RSS is then sampled for HELD_SAMPLE_S while nothing asks anything of them
    await phase('watch caches hold the scene', async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [h, a] = await Promise.all([cacheObjects(hub.url), cacheObjects(anchor!.url)]);
        if ((h.virtualservices ?? 0) >= nRoutes && (h.pods ?? 0) >= nPods && (a.pods ?? 0) >= nPods) break;
        if (Date.now() > deadline) throw new Error(`bench: the watch caches did not hold the scene within 60 s: hubmesh ${JSON.stringify(h)}, anchor ${JSON.stringify(a)}`);
        await sleep(500);
      }
    });
    mark('held');
    await sleep(HELD_SAMPLE_S * 1000);
    heaps.held = { hubmesh: await heapMb(hub.url), anchor: await heapMb(anchor.url) };
    mark('catch-up');

    // both servers' views have caught up: N routes and N Running notebook pods on hubmesh, none on the anchor
    const hm = await signIn(hub.url, adminToken);
    const an = await signIn(anchor.url, adminToken);
    await phase('servers caught up', async () => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const o = (await (await fetch(`${hub.url}/api/v1/overview`, { headers: { cookie: hm.header } })).json()) as { synced: boolean; counts: { routes: number; notebookPods: number; podsByPhase: Record<string, number> } };
        const a = (await (await fetch(`${anchor!.url}/api/v1/overview`, { headers: { cookie: an.header } })).json()) as { synced: boolean; counts: { routes: number; notebookPods: number } };
        if (o.synced && a.synced && o.counts.routes === nRoutes && (o.counts.podsByPhase.Running ?? 0) >= nPods && a.counts.routes === 0 && a.counts.notebookPods === 0) {
          overview = o as unknown as Record<string, unknown>;
          if (o.counts.notebookPods !== nPods) notes.push(`hubmesh sees ${o.counts.notebookPods} notebook pods, ${o.counts.notebookPods - nPods} of them not this bench's (others share the cluster)`);
          break;
        }
        if (Date.now() > deadline) throw new Error(`bench: the servers did not catch up within 60 s: hubmesh ${JSON.stringify(o.counts)}, anchor ${JSON.stringify(a.counts)}`);
        await sleep(500);
      }
    });

    // ---- the pages
    heaps.setup = { hubmesh: await heapMb(hub.url), anchor: await heapMb(anchor.url) };
    mark('measure');
    const launchOptions = (playwrightConfig.projects?.find((p) => p.use?.launchOptions)?.use?.launchOptions ?? {}) as Parameters<typeof chromium.launch>[0];
    browser = await chromium.launch({ ...launchOptions, headless: true });
    const b = browser;
    const targets = [
      { who: 'hubmesh' as const, url: hub.url, session: hm, full: true },
      { who: 'anchor' as const, url: anchor.url, session: an, full: false },
    ];
    await phase(`pages: 1 cold + ${runs} runs per page and server`, async () => {
      for (const page of ['routes', 'pods'] as const) for (const t of targets) series.push({ page, who: t.who, runs: [], cold: undefined });
      const find = (page: PageKind, who: string) => series.find((s) => s.page === page && s.who === who)!;
      for (let run = -1; run < runs; run++) {
        // the servers take turns, the order rotating, so that both see the same machine
        const order = run % 2 ? targets : [...targets].reverse();
        const user = `u${(1237 + 997 * (run + 1)) % Math.min(nRoutes, nPods)}`;
        for (const page of ['routes', 'pods'] as const) {
          for (const t of order) {
            const r = await visit(b, t.url, t.session, page, t.full, { q: user, exact: page === 'routes' ? `/user/${user}` : `jupyter-${user}-${suffix}` });
            const s = find(page, t.who);
            if (run < 0) s.cold = r;
            else s.runs.push(r);
          }
        }
        if (run >= 0) process.stderr.write(`bench:   run ${run + 1}/${runs}: routes interactive ${find('routes', 'hubmesh').runs.at(-1)!.interactive.toFixed(0)} ms\n`);
      }
    });

    // ---- the API, sequentially with the session cookie
    await phase(`API: ${gets} GETs per endpoint and server`, async () => {
      const endpoints = ['/api/v1/routes?pageSize=50', '/api/v1/pods?pageSize=50', '/api/v1/overview'];
      for (const endpoint of endpoints) for (const t of targets) apiSeries.push({ endpoint, who: t.who, latencies: [], bytes: 0 });
      for (let k = -2; k < gets; k++) {
        const order = k % 2 ? targets : [...targets].reverse();
        for (const endpoint of endpoints) {
          for (const t of order) {
            const t0 = performance.now();
            const r = await fetch(`${t.url}${endpoint}`, { headers: { cookie: t.session.header } });
            const body = await r.arrayBuffer();
            const ms = performance.now() - t0;
            if (r.status !== 200) throw new Error(`bench: GET ${t.url}${endpoint} answered ${r.status}: ${Buffer.from(body).toString('utf8').slice(0, 300)}`);
            if (k < 0) continue; // warm-up
            const s = apiSeries.find((x) => x.endpoint === endpoint && x.who === t.who)!;
            s.latencies.push(ms);
            s.bytes = body.byteLength;
          }
        }
      }
    });

    // ---- the joined view rebuilt: GET right after a pod changed (both servers watch the pods)
    await phase(`API: GET after a pod change x${Math.min(gets, 10)}`, async () => {
      const endpoints = ['/api/v1/routes?pageSize=50', '/api/v1/pods?pageSize=50'];
      for (const endpoint of endpoints) for (const t of targets) afterChange.push({ endpoint: `${endpoint} after a pod change`, who: t.who, latencies: [], bytes: 0 });
      for (let k = 0; k < Math.min(gets, 10); k++) {
        for (const endpoint of endpoints) {
          const name = `jupyter-u${k}-${suffix}`;
          await kube.request({
            method: 'PATCH',
            path: `${podsPath}/${name}`,
            contentType: 'application/json-patch+json',
            body: [{ op: 'add', path: '/metadata/annotations/hubmesh.io~1bench-touch', value: `${endpoint.length}-${k}` }],
          });
          await sleep(500); // the watch event reaches both servers
          const order = k % 2 ? targets : [...targets].reverse();
          for (const t of order) {
            const t0 = performance.now();
            const r = await fetch(`${t.url}${endpoint}`, { headers: { cookie: t.session.header } });
            const body = await r.arrayBuffer();
            const ms = performance.now() - t0;
            if (r.status !== 200) throw new Error(`bench: GET ${t.url}${endpoint} answered ${r.status}`);
            const s = afterChange.find((x) => x.endpoint === `${endpoint} after a pod change` && x.who === t.who)!;
            s.latencies.push(ms);
            s.bytes = body.byteLength;
          }
        }
      }
    });
    heaps.end = { hubmesh: await heapMb(hubmesh.url), anchor: await heapMb(anchor.url) };
    mark('end');
  } catch (error) {
    failure = error;
  }

  // ---- report (also after a failure: whatever was measured)
  samplers.hubmesh?.stop();
  samplers.anchor?.stop();
  const { targets, ...tables } = dashboardTables({ nRoutes, nPods, series, apiSeries, afterChange, samplers, heaps });
  const envLine = `${withServices ? 'a headless Service per route' : 'no Services (routes degraded)'}, node ${process.version}, ${os.cpus().length} cpus, commit ${source.commit}${source.dirty.length ? ` + ${source.dirty.length} changed files` : ''}, Chromium ${browser?.version() ?? '?'}, prefixes ${prefix}/${anchorPrefix}`;
  console.log(`\nhubmesh bench: admin console with ${nRoutes} routes and ${nPods} pods (${envLine})\n`);
  printDashboardTables({ targets, ...tables }, phases);
  for (const [who, server] of [['hubmesh', hubmesh], ['anchor', anchor]] as const) {
    const lines = (server?.output() ?? '').split('\n').filter((l) => l.trim() !== '' && l.startsWith('{'));
    if (lines.length) notes.push(`${who} logged ${lines.length} JSON lines at HUBMESH_LOG_LEVEL=warn; first: ${lines[0]!.slice(0, 400)}`);
  }

  await cleanup();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  notes.push(...cleanupNotes);
  for (const note of notes) console.log(`\nnote: ${note}`);
  const wallS = (performance.now() - started) / 1000;
  console.log(`\nbench: dashboard section took ${wallS.toFixed(1)} s`);

  const out = path.join(repoRoot, 'bench-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    path.join(out, 'dashboard.json'),
    JSON.stringify(
      {
        at: new Date().toISOString(),
        env: envLine,
        source,
        params: { routes: nRoutes, pods: nPods, services: withServices ? servicesCreated.length : 0, runs, gets, runningWaitS },
        targets,
        pages: series.map((s) => ({
          page: s.page,
          who: s.who,
          firstData: summary(s.runs.map((r) => r.firstData)),
          hydrated: summary(s.runs.map((r) => r.hydrated)),
          inputAt: summary(s.runs.map((r) => r.inputAt)),
          interactive: summary(s.runs.map((r) => r.interactive)),
          settled: summary(s.runs.map((r) => r.settled)),
          search: summary(s.runs.map((r) => r.search)),
          cold: s.cold,
          runs: s.runs,
        })),
        pageRows: tables.pageRows,
        browserRows: tables.browserRows,
        interactionRows: tables.interactionRows,
        api: [...apiSeries, ...afterChange].map(({ latencies, ...x }) => ({ ...x, ...summary(latencies) })),
        rss: Object.fromEntries(
          Object.entries(samplers).map(([who, s]) => [who, { pid: s.pid, max: s.max(), maxSetup: s.max('setup'), maxMeasure: s.max('measure'), final: s.last(), vmHwm: s.lastHwm, samples: s.samples.map((x) => [Number(x.t.toFixed(2)), x.phase, Number(x.mb.toFixed(1))]) }]),
        ),
        overview,
        heaps,
        phases,
        notes,
        wallS,
        hubmeshLog: (hubmesh?.output() ?? '').split('\n').filter(Boolean).slice(0, 50),
        error: failure ? String((failure as Error).stack ?? failure) : undefined,
      },
      null,
      2,
    ),
  );
  if (failure) {
    const log = hubmesh?.output().trim().split('\n').slice(-20).join('\n');
    if (log) console.error(`\nbench: hubmesh's last log lines:\n${log}`);
    throw failure;
  }
}
