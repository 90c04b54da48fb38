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
 *            to its stop, VmHWM at the end, and V8's heap from its /metrics
 *
 * Environment: BENCH_DASH_ROUTES (5000), BENCH_DASH_PODS (5000), BENCH_DASH_RUNS (browser runs per
 * page and server, 10), BENCH_DASH_GETS (API requests per endpoint, 30), BENCH_DASH_RUNNING_S (how long
 * to wait for kwok to make the pods Running, 420), BENCH_DASH_SERVICES=1 (also a headless Service per
 * user, as KubeSpawner's services_enabled makes: the console then joins routes to pods through them;
 * adds about a minute). Results: bench-results/dashboard.json.
 */
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { chromium, type Browser, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import playwrightConfig from '../../playwright.config';
import { KubeRest } from '../../lib/kube/rest';
import { ensureCluster, repoRoot } from '../../test/cluster/harness';
import { startHubmesh, type HubmeshProcess } from '../../test/hubmesh-process';
import { ApiClient, ensureBuiltForBench, runPool } from './load';
import { formatTable, intOf, percentile, type Row } from './stats';
import { heapMb, pidOnPort, RssSampler } from './process-memory';

const namespace = 'jupyterhub';
const podsPath = `/api/v1/namespaces/${namespace}/pods`;
const servicesPath = `/api/v1/namespaces/${namespace}/services`;
const virtualServicesPath = `/apis/networking.istio.io/v1/namespaces/${namespace}/virtualservices`;
type List<T = unknown> = { items: T[] };

// The issue's goals.
const TARGET_INTERACTIVE_MS = 1500;
const TARGET_RSS_MB = 250;

const SIDECAR_IMAGE = 'docker.io/istio/proxyv2:1.28.1';
const NOTEBOOK_IMAGE = 'quay.io/jupyter/base-notebook:2026-11-01';


const fmtHeap = (h: { used: number; total: number } | undefined) => (h ? `${h.used.toFixed(0)}/${h.total.toFixed(0)}` : '');
const minMax = (x: number[]) => (Math.min(...x) === Math.max(...x) ? String(x[0]) : `${Math.min(...x)}-${Math.max(...x)}`);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mean = (x: number[]) => (x.length ? x.reduce((a, b) => a + b, 0) / x.length : Number.NaN);

// ---------------------------------------------------------------------------------------------
// Memory of a server process, from /proc

// ---------------------------------------------------------------------------------------------
// The scene

function notebookPod(i: number, suffix: string, runLabel: string): V1Pod {
  return {
    metadata: {
      name: `jupyter-u${i}-${suffix}`,
      labels: {
        component: 'singleuser-server',
        'hub.jupyter.org/username': `u${i}`,
        'hub.jupyter.org/servername': '',
        'hubmesh.io/bench': runLabel,
      },
      annotations: { 'sidecar.istio.io/status': JSON.stringify({ initContainers: null, containers: ['istio-proxy'], volumes: ['istio-envoy'], imagePullSecrets: null, revision: 'default' }) },
    },
    spec: {
      containers: [
        { name: 'notebook', image: NOTEBOOK_IMAGE, ports: [{ name: 'notebook-port', containerPort: 8888 }] },
        { name: 'istio-proxy', image: SIDECAR_IMAGE, args: ['proxy', 'sidecar'] },
      ],
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
}

/** The Service KubeSpawner makes with services_enabled (headless here: the test cluster has 254 cluster IPs). */
const notebookService = (i: number, runLabel: string) => ({
  metadata: { name: `jupyter-u${i}`, labels: { 'hubmesh.io/bench': runLabel } },
  spec: { clusterIP: 'None', selector: { component: 'singleuser-server', 'hub.jupyter.org/username': `u${i}` }, ports: [{ name: 'http', port: 8888, targetPort: 8888 }] },
});

const routeBody = (i: number) => JSON.stringify({ target: `http://jupyter-u${i}:8888`, jupyterhub: true, user: `u${i}`, server_name: '' });

function kubeError(error: unknown): string {
  const e = error as { status?: number; reason?: string; message?: string };
  return `${e.status ?? ''} ${e.reason ?? ''} ${e.message ?? String(error)}`;
}

// ---------------------------------------------------------------------------------------------
// The console, signed in through the API

type Session = { cookies: Array<{ name: string; value: string; url: string; httpOnly: boolean; sameSite: 'Strict' }>; header: string };

async function signIn(baseUrl: string, adminToken: string): Promise<Session> {
  const r = await fetch(`${baseUrl}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: adminToken }) });
  if (r.status !== 200) throw new Error(`bench: POST ${baseUrl}/api/v1/session answered ${r.status}: ${await r.text()}`);
  const cookies = r.headers.getSetCookie().map((c) => {
    const [pair] = c.split(';');
    const eq = pair!.indexOf('=');
    return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), url: baseUrl, httpOnly: /;\s*HttpOnly/i.test(c), sameSite: 'Strict' as const };
  });
  if (!cookies.some((c) => c.name === 'hubmesh_session')) throw new Error(`bench: sign-in at ${baseUrl} set no session cookie: ${r.headers.getSetCookie().join(' | ')}`);
  return { cookies, header: cookies.map((c) => `${c.name}=${c.value}`).join('; ') };
}

/** Long tasks (the main thread busy > 50 ms) from the document's start, and when the first click or change was handled. */
const PAGE_PROBES = `
  window.__benchLongTasks = [];
  for (const type of ['click', 'change']) window.addEventListener(type, () => { if (window.__benchInputAt === undefined) window.__benchInputAt = performance.now(); }, true);
  try {
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__benchLongTasks.push([e.startTime, e.duration]); })
      .observe({ type: 'longtask', buffered: true });
  } catch {}
`;

type PageKind = 'routes' | 'pods';
type RunResult = {
  /** ms from navigation start, in the page's clock: first row (or the empty state) on screen */
  firstData: number;
  /** React has hydrated the sort header's button (anchor: the filter's select): a click now takes effect */
  hydrated: number;
  /** the click on the sort header (anchor: the filter's change) handled by the page */
  inputAt: number;
  /** the table answered it: aria-sort flipped (anchor: the filter shows its value and is in the URL) */
  interactive: number;
  /** and its data is on screen: the rows re-sorted (anchor: "no match" shown) */
  settled: number;
  /** ms from the Search input's change until only matching rows (or "no match") show */
  search: number;
  /** /api/v1/<kind> requests the page made until it was interactive (not counting the sort's) */
  apiCallsAtLoad: number;
  /** the interaction alone: from the click/change handled until its data is on screen */
  interactionMs: number;
  /** requests the interaction made: RSC (`?_rsc=`, Next's router round trip) and /api/v1/<kind> */
  interactionRsc: number;
  interactionApi: number;
  /** navigation timing: the document's last byte, DOMContentLoaded end */
  docMs: number;
  dclMs: number;
  /** the first /api/v1/<kind> request: when the page sent it (hydrated), its duration and body size */
  firstApiStart: number;
  firstApiMs: number;
  firstApiBytes: number;
  fcp: number;
  /** sum over long tasks before `interactive` of (duration - 50 ms), Lighthouse's TBT */
  blockingMs: number;
  longestTaskMs: number;
  jsHeapMb: number;
  domRows: number;
};

/** Resolves with performance.now() in the page once `predicate` (a function body over `arg`) is true. */
async function pageTimeWhen(page: Page, predicate: string, arg: unknown, timeout = 30_000): Promise<number> {
  const fn = new Function('arg', `return (${predicate})(arg) ? performance.now() : false;`) as (arg: unknown) => number | false;
  const handle = await page.waitForFunction(fn, arg, { polling: 'raf', timeout });
  return (await handle.jsonValue()) as number;
}

/** Finders for the elements a visit works, as expressions over `arg`, and whether React has hydrated `el`. */
const sortButton = `[...document.querySelectorAll('thead th')].find((t) => (t.textContent || '').startsWith(arg.label))?.querySelector('button')`;
const filterSelect = `[...document.querySelectorAll('label')].find((l) => (l.textContent || '').trim().startsWith(arg.label))?.querySelector('select')`;
const searchInput = `document.querySelector('input[type=search]')`;
const isHydrated = `!!el && Object.keys(el).some((k) => k.startsWith('__reactProps$'))`;


/**
 * One visit of /routes or /pods in a fresh context. `full`: the table has rows; otherwise the server's
 * table is empty and the page shows its empty state.
 */
async function visit(browser: Browser, baseUrl: string, session: Session, kind: PageKind, full: boolean, searchFor: { q: string; exact: string }): Promise<RunResult> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    await context.addCookies(session.cookies);
    await context.addInitScript(PAGE_PROBES);
    const page = await context.newPage();
    const apiPath = `/api/v1/${kind}`;
    let apiCalls = 0;
    let counting = true;
    let interacting = false;
    let interactionRsc = 0;
    let interactionApi = 0;
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (counting && url.pathname === apiPath) apiCalls++;
      if (interacting && url.searchParams.has('_rsc') && url.pathname === `/${kind}`) interactionRsc++;
      if (interacting && url.pathname === apiPath) interactionApi++;
    });
    await page.goto(`${baseUrl}/${kind}`, { waitUntil: 'commit' });
    if (!page.url().endsWith(`/${kind}`)) throw new Error(`bench: ${baseUrl}/${kind} went to ${page.url()} (not signed in?)`);

    const sortLabel = kind === 'routes' ? 'Route' : 'Pod';
    const filter = kind === 'routes' ? { label: 'Status', param: 'status', value: 'ok' } : { label: 'Warnings', param: 'warning', value: 'any' };
    let firstData: number;
    let hydrated: number;
    let settled: number;
    if (full) {
      firstData = await pageTimeWhen(page, `() => { const tr = document.querySelector('tbody tr'); return !!tr && tr.getBoundingClientRect().height > 0; }`, null);
      counting = false;
      // the rows come server-rendered: a click before React has hydrated the header is lost, so click once it has
      hydrated = await pageTimeWhen(
        page,
        `(arg) => { const el = ${sortButton}; if (!(${isHydrated})) return false; window.__benchBefore = document.querySelector('tbody tr td')?.textContent; return true; }`,
        { label: sortLabel },
      );
      interacting = true;
      // Playwright's click waits until the button is visible, stable, enabled and not covered
      await page.getByRole('button', { name: new RegExp(`^${sortLabel}\\b`) }).click();
      settled = await pageTimeWhen(
        page,
        `(arg) => {
          const th = [...document.querySelectorAll('thead th')].find((t) => (t.textContent || '').startsWith(arg.label));
          if (window.__benchFlipAt === undefined && th?.getAttribute('aria-sort') === 'descending') window.__benchFlipAt = performance.now();
          const td = document.querySelector('tbody tr td');
          return window.__benchFlipAt !== undefined && !!td && td.textContent !== window.__benchBefore;
        }`,
        { label: sortLabel },
        10_000,
      ).catch((error) => {
        throw new Error(`bench: clicking "${sortLabel}" on ${baseUrl}/${kind} did not re-sort the rows within 10 s: ${error}`);
      });
    } else {
      const empty = kind === 'routes' ? 'No routes yet' : 'No notebook pods';
      const noMatch = kind === 'routes' ? 'No route matches these filters' : 'No pod matches these filters';
      firstData = await pageTimeWhen(page, `(arg) => (document.body?.innerText || '').includes(arg)`, empty);
      counting = false;
      hydrated = await pageTimeWhen(page, `(arg) => { const el = ${filterSelect}; return ${isHydrated}; }`, filter);
      interacting = true;
      await page.getByRole('combobox', { name: filter.label }).selectOption(filter.value);
      settled = await pageTimeWhen(
        page,
        `(arg) => {
          const select = ${filterSelect};
          if (window.__benchFlipAt === undefined && select?.value === arg.value && new URLSearchParams(location.search).get(arg.param) === arg.value) window.__benchFlipAt = performance.now();
          return window.__benchFlipAt !== undefined && (document.body?.innerText || '').includes(arg.text);
        }`,
        { ...filter, text: noMatch },
        10_000,
      );
    }
    const marks = await page.evaluate(() => {
      const w = window as unknown as { __benchInputAt?: number; __benchFlipAt?: number };
      return { inputAt: w.__benchInputAt ?? Number.NaN, interactive: w.__benchFlipAt ?? Number.NaN };
    });
    const { inputAt, interactive } = marks;
    const apiCallsAtLoad = apiCalls;
    interacting = false;
    const interaction = { interactionMs: settled - inputAt, interactionRsc, interactionApi };

    // what the load cost the browser, until it was interactive
    const stats = await page.evaluate(
      (args) => {
        const api = performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === args.apiPath) as PerformanceResourceTiming[];
        const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN;
        const tasks = ((window as unknown as { __benchLongTasks?: Array<[number, number]> }).__benchLongTasks ?? []).filter(([start]) => start < args.until);
        const memory = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
        return {
          docMs: nav?.responseEnd ?? Number.NaN,
          dclMs: nav?.domContentLoadedEventEnd ?? Number.NaN,
          firstApiStart: api[0]?.startTime ?? Number.NaN,
          firstApiMs: api[0] ? api[0].responseEnd - api[0].startTime : Number.NaN,
          firstApiBytes: api[0]?.decodedBodySize ?? Number.NaN,
          fcp,
          blockingMs: tasks.reduce((s, [, d]) => s + Math.max(0, d - 50), 0),
          longestTaskMs: tasks.reduce((m, [, d]) => Math.max(m, d), 0),
          jsHeapMb: memory ? memory.usedJSHeapSize / 2 ** 20 : Number.NaN,
          domRows: document.querySelectorAll('tbody tr').length,
        };
      },
      { apiPath, until: settled },
    );

    // search: clear the filters of the interaction first (a fresh page, so the same start for both)
    await page.goto(`${baseUrl}/${kind}`, { waitUntil: 'commit' });
    // by role: a streamed copy of the page still waiting to be swapped in is hidden, and roles skip hidden elements
    const search = page.getByRole('searchbox', { name: 'Search' });
    await pageTimeWhen(page, `() => { const el = ${searchInput}; return ${isHydrated}; }`, null);
    const typed = await page.evaluate(() => performance.now());
    await search.fill(searchFor.q);
    const found = full
      ? await pageTimeWhen(
          page,
          `(arg) => {
            const rows = [...document.querySelectorAll('tbody tr')];
            return rows.length > 0 && rows.every((r) => (r.textContent || '').includes(arg.q)) && rows.some((r) => (r.querySelector('td')?.textContent || '') === arg.exact);
          }`,
          searchFor,
        ).catch(async (error) => {
          throw new Error(`bench: search for ${searchFor.q} on ${baseUrl}/${kind} never showed only matching rows; first rows: ${await page.locator('tbody tr').first().textContent().catch(() => '?')}: ${error}`);
        })
      : await pageTimeWhen(page, `(arg) => (document.body?.innerText || '').includes(arg)`, kind === 'routes' ? 'No route matches these filters' : 'No pod matches these filters');
    const searchMs = found - typed;

    return { firstData, hydrated, inputAt, interactive, settled, search: searchMs, apiCallsAtLoad, ...interaction, ...stats };
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------------

type Series = { page: PageKind; who: 'hubmesh' | 'anchor'; runs: RunResult[]; cold: RunResult | undefined };
type ApiSeries = { endpoint: string; who: 'hubmesh' | 'anchor'; latencies: number[]; bytes: number };
type Target = { goal: string; measured: string; pass: boolean };

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
  const cleanupNotes: string[] = [];
  let cleaned: Promise<void> | undefined;
  const cleanup = () =>
    (cleaned ??= (async () => {
      samplers.hubmesh?.stop();
      samplers.anchor?.stop();
      proxyClient?.close();
      await browser?.close().catch((e) => console.error('bench: closing Chromium failed:', e));
      await hubmesh?.stop().catch((e) => console.error('bench: stopping hubmesh failed:', e));
      await anchor?.stop().catch((e) => console.error('bench: stopping the anchor hubmesh failed:', e));
      const t0 = performance.now();
      // Services have no deletecollection
      await runPool(servicesCreated, 20, async (i) => {
        try {
          await kube.request({ method: 'DELETE', path: `${servicesPath}/jupyter-u${i}` });
        } catch (error) {
          if ((error as { status?: number }).status !== 404) console.error(`bench: deleting Service jupyter-u${i} failed: ${kubeError(error)}`);
        }
      }).catch(() => undefined);
      // the apiserver ends a deletecollection at its 60 s request timeout (it deletes ~80 pods/s here), so repeat it
      const deadline = Date.now() + 300_000;
      for (let attempt = 1; ; attempt++) {
        let left = -1;
        try {
          await kube.request({ method: 'DELETE', path: podsPath, query: { labelSelector: podSelector, gracePeriodSeconds: '0' }, timeoutMs: 90_000 });
        } catch (error) {
          process.stderr.write(`bench: deletecollection of pods with ${podSelector} (attempt ${attempt}) ended with: ${kubeError(error)}\n`);
        }
        try {
          left = (await kube.request<List>({ method: 'GET', path: podsPath, query: { labelSelector: podSelector, limit: '1' } })).items.length;
        } catch (error) {
          process.stderr.write(`bench: listing pods with ${podSelector} failed: ${kubeError(error)}\n`);
        }
        if (left === 0) break;
        if (Date.now() > deadline) {
          cleanupNotes.push(`pods with ${podSelector} are still there after ${attempt} deletecollection calls; delete them with: kubectl delete pods -n ${namespace} -l ${podSelector} --grace-period=0 --force`);
          console.error(`bench: ${cleanupNotes.at(-1)}`);
          break;
        }
        await sleep(1000);
      }
      for (const p of [prefix, anchorPrefix]) {
        const labelSelector = `hubmesh.io/prefix=${p}`;
        try {
          await kube.request({ method: 'DELETE', path: virtualServicesPath, query: { labelSelector }, timeoutMs: 120_000 });
          const left = await kube.request<List>({ method: 'GET', path: virtualServicesPath, query: { labelSelector } });
          if (left.items.length) console.error(`bench: ${left.items.length} VirtualServices with ${labelSelector} are left after clean-up`);
        } catch (error) {
          console.error(`bench: clean-up of VirtualServices with ${labelSelector} failed: ${kubeError(error)}`);
        }
      }
      process.stderr.write(`bench: clean-up took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
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
  const heaps: Record<'setup' | 'end', Partial<Record<'hubmesh' | 'anchor', Awaited<ReturnType<typeof heapMb>>>>> = { setup: {}, end: {} };
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
  const targets: Target[] = [];
  const p = (x: number[], q: number) => percentile(x, q);
  const pageRows: Row[] = [];
  const measures = [
    ['first data', (r: RunResult) => r.firstData],
    ['hydrated', (r: RunResult) => r.hydrated],
    ['click handled', (r: RunResult) => r.inputAt],
    ['interactive', (r: RunResult) => r.interactive],
    ['re-sorted', (r: RunResult) => r.settled],
    ['search', (r: RunResult) => r.search],
  ] as const;
  for (const kind of ['routes', 'pods'] as const) {
    const subject = series.find((s) => s.page === kind && s.who === 'hubmesh');
    const base = series.find((s) => s.page === kind && s.who === 'anchor');
    for (const [what, get] of measures) {
      for (const s of [subject, base]) {
        if (!s || !s.runs.length) continue;
        const x = s.runs.map(get);
        const anchorX = base?.runs.map(get) ?? [];
        let target = '';
        let result = '';
        if (kind === 'routes' && what === 'interactive' && s.who === 'hubmesh') {
          const pass = p(x, 95) < TARGET_INTERACTIVE_MS;
          target = `p95 < ${TARGET_INTERACTIVE_MS} ms`;
          result = pass ? 'PASS' : 'FAIL';
          targets.push({ goal: `routes page interactive < ${TARGET_INTERACTIVE_MS} ms (${nRoutes} routes, ${nPods} pods): sort clicked, aria-sort flipped; p95 of ${x.length}`, measured: `p50 ${p(x, 50).toFixed(0)} ms, p95 ${p(x, 95).toFixed(0)} ms (empty-table anchor p50 ${p(anchorX, 50).toFixed(0)}, p95 ${p(anchorX, 95).toFixed(0)})`, pass });
        }
        if (kind === 'routes' && what === 're-sorted' && s.who === 'hubmesh') {
          const pass = p(x, 95) < TARGET_INTERACTIVE_MS;
          target = `p95 < ${TARGET_INTERACTIVE_MS} ms (strict)`;
          result = pass ? 'PASS' : 'FAIL';
          targets.push({ goal: `strict reading: ... and the re-sorted rows on screen; p95 of ${x.length}`, measured: `p50 ${p(x, 50).toFixed(0)} ms, p95 ${p(x, 95).toFixed(0)} ms (anchor's filter answered: p50 ${p(anchorX, 50).toFixed(0)}, p95 ${p(anchorX, 95).toFixed(0)})`, pass });
        }
        pageRows.push({
          page: `/${kind}`,
          measure: what,
          who: s.who === 'hubmesh' ? `hubmesh (${kind === 'routes' ? nRoutes : nPods} rows)` : 'anchor (empty table)',
          n: x.length,
          'p50 ms': p(x, 50),
          'p95 ms': p(x, 95),
          'max ms': p(x, 100),
          'cold ms': s.cold ? get(s.cold) : Number.NaN,
          'ratio p50': s.who === 'hubmesh' ? p(x, 50) / p(anchorX, 50) : 1,
          target,
          result,
        });
      }
    }
  }
  const browserRows: Row[] = series
    .filter((s) => s.runs.length)
    .map((s) => ({
      page: `/${s.page}`,
      who: s.who,
      'doc p50 ms': p(s.runs.map((r) => r.docMs), 50),
      'DCL p50 ms': p(s.runs.map((r) => r.dclMs), 50),
      'api sent p50 ms': p(s.runs.map((r) => r.firstApiStart), 50),
      'api took p50 ms': p(s.runs.map((r) => r.firstApiMs), 50),
      'api calls at load': minMax(s.runs.map((r) => r.apiCallsAtLoad)),
      'api KB': (s.runs[0]!.firstApiBytes || 0) / 1024,
      'FCP p50 ms': p(s.runs.map((r) => r.fcp), 50),
      'blocking p50 ms': p(s.runs.map((r) => r.blockingMs), 50),
      'longest task p50 ms': p(s.runs.map((r) => r.longestTaskMs), 50),
      'JS heap MB': p(s.runs.map((r) => r.jsHeapMb), 50),
      'rows in DOM': s.runs[0]!.domRows,
    }));
  const interactionRows: Row[] = series
    .filter((s) => s.runs.length)
    .map((s) => ({
      page: `/${s.page}`,
      who: s.who,
      interaction: s.who === 'hubmesh' ? `sort ${s.page === 'routes' ? 'Route' : 'Pod'}` : s.page === 'routes' ? 'Status filter' : 'Warnings filter',
      'interaction p50 ms': p(s.runs.map((r) => r.interactionMs), 50),
      'its RSC/API requests': `${minMax(s.runs.map((r) => r.interactionRsc))}/${minMax(s.runs.map((r) => r.interactionApi))}`,
    }));
  const apiRows: Row[] = [...apiSeries, ...afterChange]
    .filter((s) => s.latencies.length)
    .map((s) => {
      const a = [...apiSeries, ...afterChange].find((x) => x.endpoint === s.endpoint && x.who === 'anchor');
      return {
        endpoint: s.endpoint,
        who: s.who,
        n: s.latencies.length,
        'p50 ms': p(s.latencies, 50),
        'p99 ms': p(s.latencies, 99),
        'mean ms': mean(s.latencies),
        KB: s.bytes / 1024,
        'ratio p50': s.who === 'hubmesh' && a ? p(s.latencies, 50) / p(a.latencies, 50) : 1,
      };
    });
  const rssRows: Row[] = [];
  for (const who of ['hubmesh', 'anchor'] as const) {
    const s = samplers[who];
    if (!s) continue;
    const max = s.max();
    rssRows.push({
      server: who === 'hubmesh' ? `hubmesh (${nRoutes} routes, ${nPods} pods)` : `anchor (0 routes, ${nPods} pods cached)`,
      pid: s.pid,
      samples: s.samples.length,
      'start MB': s.samples[0]?.mb ?? Number.NaN,
      'max setup MB': s.max('setup'),
      'max measure MB': s.max('measure'),
      'final MB': s.last(),
      'max MB': max,
      'VmHWM MB': s.lastHwm,
      'heap used/total MB, setup end': fmtHeap(heaps.setup[who]),
      'at the end': fmtHeap(heaps.end[who]),
      target: who === 'hubmesh' ? `< ${TARGET_RSS_MB} MB` : '',
      result: who === 'hubmesh' ? (max < TARGET_RSS_MB ? 'PASS' : 'FAIL') : '',
    });
    if (who === 'hubmesh') targets.push({ goal: `server RSS < ${TARGET_RSS_MB} MB (${nRoutes} routes, ${nPods} pods), max of 250 ms samples`, measured: `max ${max.toFixed(0)} MB, final ${s.last().toFixed(0)} MB, VmHWM ${s.lastHwm.toFixed(0)} MB (anchor max ${samplers.anchor?.max().toFixed(0) ?? '?'} MB)`, pass: max < TARGET_RSS_MB });
  }

  const envLine = `${withServices ? 'a headless Service per route' : 'no Services (routes degraded)'}, node ${process.version}, ${os.cpus().length} cpus, commit ${source.commit}${source.dirty.length ? ` + ${source.dirty.length} changed files` : ''}, Chromium ${browser?.version() ?? '?'}, prefixes ${prefix}/${anchorPrefix}`;
  console.log(`\nhubmesh bench: admin console with ${nRoutes} routes and ${nPods} pods (${envLine})\n`);
  if (pageRows.length) {
    console.log('pages, ms from navigation start in the page (search: from typing), a fresh context per run\n');
    console.log(formatTable(pageRows));
    console.log('');
    console.log('the load in the browser (p50 over the runs; ms from navigation start; blocking = sum of long tasks over 50 ms until re-sorted)\n');
    console.log(formatTable(browserRows));
    console.log('');
    console.log('the interaction (from the click/change handled until its data is on screen) and the requests it made\n');
    console.log(formatTable(interactionRows));
    console.log('');
  }
  if (apiRows.length) {
    console.log('the console API, sequential, with the session cookie\n');
    console.log(formatTable(apiRows));
    console.log('');
  }
  if (rssRows.length) {
    console.log('server RSS (VmRSS every 250 ms; setup = pods created and Running, routes POSTed; measure = pages and API)\n');
    console.log(formatTable(rssRows));
    console.log('');
  }
  if (targets.length) {
    console.log("the issue's targets (goals, not tests)\n");
    console.log(formatTable(targets.map((t) => ({ goal: t.goal, measured: t.measured, result: t.pass ? 'PASS' : 'FAIL' }))));
    console.log('');
  }
  console.log(formatTable(phases.map((x) => ({ phase: x.phase, seconds: x.seconds, detail: x.detail ?? '' }))));
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
  const summary = (x: number[]) => ({ n: x.length, p50: p(x, 50), p95: p(x, 95), p99: p(x, 99), max: p(x, 100), mean: mean(x) });
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
        pageRows,
        browserRows,
        interactionRows,
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
