import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { expect, test, type Page } from '@playwright/test';
import { clusterPaths } from '../test/cluster/harness';
import { signIn } from './signin';
import { startTelemetryServer, type TelemetryServer } from './telemetry-server';

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const prefix = `e2eg${run}`;
const runLabel = 'hubmesh-e2e-graph';
const NOTEBOOKS = 1000;
/** notebooks from this index on have no traffic: the idle node */
const BUSY = 900;
const BATCH = 50;
const user = (k: number) => `u${String(k).padStart(4, '0')}-${run}`;
const podName = (k: number) => `jupyter-${user(k)}`;
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);

/** A notebook pod as KubeSpawner makes it, injected, on the kwok node, labelled with this run. */
function notebookPod(k: number): V1Pod {
  return {
    metadata: {
      name: podName(k),
      labels: { component: 'singleuser-server', [runLabel]: run, 'hub.jupyter.org/username': user(k) },
      annotations: { 'hub.jupyter.org/username': user(k), 'hub.jupyter.org/servername': '', 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'] }) },
    },
    spec: {
      containers: [{ name: 'notebook', image: 'quay.io/jupyter/base-notebook:2026-11-01' }, { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1' }],
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
}
const hubPod: V1Pod = {
  metadata: { name: `hub-${run}`, labels: { component: 'hub', [runLabel]: run } },
  spec: { containers: [{ name: 'hub', image: 'quay.io/jupyterhub/k8s-hub:4.3.0' }], nodeSelector: { type: 'kwok' }, tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }] },
};

// A hubmesh of this file's own whose notebooks are this file's thousand (by its notebook selector), with Debian's
// Prometheus scraping what the proxies would report: the gateway and the hub calling the first 900 notebooks, one
// of them calling another, plaintext from outside the mesh, and the gateway failing to connect to one.
let own: TelemetryServer;
let base: string;

test.describe.configure({ timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(600_000);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'default' } } }).catch(() => undefined);
  const started = Date.now();
  for (let k = 0; k < NOTEBOOKS; k += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, NOTEBOOKS - k) }, (_, i) => core.createNamespacedPod({ namespace, body: notebookPod(k + i) })));
  }
  await core.createNamespacedPod({ namespace, body: hubPod });
  console.log(`traffic graph e2e: ${NOTEBOOKS} notebook pods created in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const gateway = { namespace: 'istio-system', workload: 'istio-ingressgateway', serviceAccount: 'istio-ingressgateway-service-account' };
  const hub = { namespace, workload: 'hub' };
  const to = (k: number) => ({ namespace, service: podName(k) });
  own = await startTelemetryServer({
    prefix,
    env: { HUBMESH_NOTEBOOK_SELECTOR: `component=singleuser-server,${runLabel}=${run}` },
    script: (exporter) => {
      for (let k = 0; k < BUSY; k++) {
        exporter.requests({ source: gateway, destination: to(k), policy: 'mutual_tls' }, 0.1 + (k % 7) / 10);
        if (k % 3 === 0) exporter.requests({ source: hub, destination: to(k), policy: 'mutual_tls' }, 0.05);
      }
      exporter.requests({ source: gateway, destination: { namespace, service: 'hub' }, policy: 'mutual_tls' }, 2);
      exporter.requests({ source: { namespace, workload: podName(1), serviceAccount: 'default' }, destination: to(2), policy: 'mutual_tls' }, 0.5);
      exporter.requests({ source: { namespace: 'unknown', workload: 'unknown' }, destination: to(3), policy: 'none' }, 0.3);
      exporter.requests({ source: gateway, destination: { ...to(4), workload: 'unknown' }, policy: 'unknown', reporter: 'source', responseCode: 503, responseFlags: 'UF,URX' }, 1);
    },
  });
  base = own.base;
  // the page is only worth timing once hubmesh holds the thousand pods and Prometheus has two scrapes of every series
  const cookie = await own.sessionCookie();
  await expect
    .poll(
      async () => {
        const answer = (await (await fetch(`${base}/api/v1/mesh/graph?window=5m`, { headers: { cookie } })).json()) as { users?: string[]; edges?: unknown[]; idle?: { count: number } };
        return `${answer.users?.length} users, ${answer.idle?.count} idle, ${(answer.edges?.length ?? 0) > BUSY ? 'all' : 'not all'} edges`;
      },
      { timeout: 120_000, intervals: [1000] },
    )
    .toBe(`${NOTEBOOKS} users, ${NOTEBOOKS - BUSY} idle, all edges`);
});

test.afterAll(async () => {
  test.setTimeout(120_000);
  await core.deleteCollectionNamespacedPod({ namespace, labelSelector: `${runLabel}=${run}`, gracePeriodSeconds: 0 }).catch(() => undefined);
  await own?.stop();
});

const graphCanvas = (page: Page) => page.getByTestId('traffic-graph');

/** Opens /traffic and waits until the graph is interactive; returns the milliseconds it took from navigation. */
async function openTraffic(page: Page, query = ''): Promise<number> {
  const started = Date.now();
  await page.goto(`${base}/traffic${query}`);
  await expect(graphCanvas(page)).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
  return Date.now() - started;
}

test('the graph at 1,000 notebooks: interactive, a node selected from the canvas and from the table, findings, a user filter', async ({ page }) => {
  await page.setViewportSize({ width: 1440, height: 1000 });
  await signIn(page, `${base}/traffic`);
  await expect(graphCanvas(page)).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
  // timed on a second load, signed in, as an admin opening the page would see it
  const interactiveMs = await openTraffic(page);
  test.info().annotations.push({ type: 'interactive at 1,000 notebooks (ms, navigation to data-state=ready)', description: String(interactiveMs) });
  console.log(`traffic graph e2e: /traffic interactive in ${interactiveMs} ms at ${NOTEBOOKS} notebooks`);

  await expect(page.getByTestId('graph-counts')).toContainText(`${NOTEBOOKS - BUSY} idle notebooks in the last 5m`);
  const findings = page.getByRole('list', { name: 'Findings', exact: true });
  await expect(findings).toContainText(`${user(1)}'s notebook → ${user(2)}'s notebook: a notebook talks to another notebook`);
  await expect(findings).toContainText(`a source outside the mesh (unknown) → ${user(3)}'s notebook: 100% of the traffic is not mutual TLS`);
  // Prometheus has not held the series for the whole 5m window yet: rate() reads less than the set rates, in proportion
  await expect(findings).toContainText(new RegExp(`the ingress gateway → ${user(4)}'s notebook: 67% of [0-9.]+ req/s failed with 5xx; [0-9.]+ req/s never reached it \\(UF,URX\\)`));
  await page.screenshot({ path: test.info().outputPath('traffic-1000.png'), fullPage: true });
  await graphCanvas(page).screenshot({ path: test.info().outputPath('traffic-1000-canvas.png') });

  const details = page.getByRole('complementary', { name: /./ });

  // the table: a notebook by its user's name
  const table = page.getByRole('table', { name: 'Top edges by request rate' });
  const busiest = user(6);
  await table.getByRole('button', { name: busiest, exact: true }).first().click();
  await expect(details.getByRole('heading', { level: 2 })).toHaveText(`Notebook: ${busiest}`);
  await expect(details.getByRole('link', { name: busiest, exact: true })).toHaveAttribute('href', `/users/${busiest}`);
  await expect(details.getByRole('link', { name: podName(6) })).toHaveAttribute('href', `/pods?q=${podName(6)}`);
  await expect(details).toContainText('ingress gateway');
  await page.screenshot({ path: test.info().outputPath('traffic-1000-selected.png'), fullPage: true });

  // an edge's figures
  await findings.getByRole('listitem').filter({ hasText: 'UF,URX' }).getByRole('button', { name: 'show' }).click();
  await expect(details.getByRole('heading', { level: 2 })).toHaveText(`ingress gateway → ${user(4)}`);
  await expect(details).toContainText('Never reached');
  await expect(details).toContainText('UF,URX');
  await details.screenshot({ path: test.info().outputPath('traffic-edge-panel.png') });

  // filter by one user: their notebook and its neighbours
  await page.getByRole('combobox', { name: 'User' }).fill(user(1));
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(graphCanvas(page)).toHaveAttribute('data-graph', `5m|${user(1)}`);
  await expect(graphCanvas(page)).toHaveAttribute('data-state', 'ready');
  await expect(page).toHaveURL(new RegExp(`user=${user(1)}`));
  await expect(page.getByTestId('graph-counts')).toContainText(`3 nodes, 2 edges, 0 idle notebooks in the last 5m for ${user(1)}`);
  await expect(table.getByRole('button', { name: user(2), exact: true })).toBeVisible();
  // the canvas: top-down, the gateway, the user's notebook at the centre, the notebook it calls
  const box = (await graphCanvas(page).boundingBox())!;
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await expect(details.getByRole('heading', { level: 2 })).toHaveText(`Notebook: ${user(1)}`);
  await expect(details.getByRole('list').first()).toContainText('ingress gateway');
  await page.screenshot({ path: test.info().outputPath('traffic-filtered.png'), fullPage: true });
});

test('a narrow screen, in dark mode: the panel below the graph', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await signIn(page, `${base}/traffic`);
  await expect(graphCanvas(page)).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
  await page.getByRole('table', { name: 'Top edges by request rate' }).getByRole('button', { name: user(6), exact: true }).first().click();
  const details = page.getByRole('complementary', { name: /./ });
  await expect(details.getByRole('heading', { level: 2 })).toHaveText(`Notebook: ${user(6)}`);
  const graph = (await graphCanvas(page).boundingBox())!;
  const panel = (await details.boundingBox())!;
  expect(panel.y).toBeGreaterThanOrEqual(graph.y + graph.height);
  expect(graph.width).toBeLessThanOrEqual(390);
  // nothing wider than the screen but the edge table, which scrolls in its own box
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: test.info().outputPath('traffic-narrow-dark.png'), fullPage: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: test.info().outputPath('traffic-narrow-dark-top.png') });
});
