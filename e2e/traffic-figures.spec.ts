import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect, test, type Locator } from '@playwright/test';
import { percent, perSecond, milliseconds } from '../components/traffic-format';
import { E2E } from '../playwright.config';
import { clusterPaths } from '../test/cluster/harness';
import type { Flow } from '../test/prometheus/exporter';
import { PrometheusClient } from '../lib/telemetry/prometheus';
import { signIn } from './signin';
import { startTelemetryServer, type TelemetryServer } from './telemetry-server';

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const prefix = `e2ev${run}`;
const users = { alice: `alice${run}`, bob: `bob${run}` };
const service = (user: string) => `jupyter-${user}`;
const host = (user: string) => `${service(user)}.${namespace}.svc.cluster.local`;
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);

// Debian's Prometheus scraping Istio's metrics for two users, per second: alice 4 requests, 60% answered in
// 10 ms and 40% in 250 ms; bob 2 served and 1 the gateway answered itself with 503 UF,URX (it could not connect).
let own: TelemetryServer;
let base: string;

const gatewayFlow = (user: string, reporter: Flow['reporter'], responseCode = 200, responseFlags = '-'): Flow => ({
  source: { namespace: 'istio-system', workload: 'istio-ingressgateway' },
  destination: { namespace, service: service(user) },
  policy: 'mutual_tls',
  reporter,
  responseCode,
  responseFlags,
});

test.beforeAll(async () => {
  own = await startTelemetryServer({
    prefix,
    script: (exporter) => {
      exporter.requests(gatewayFlow(users.alice, 'destination'), 4, { latency: [{ ms: 10, share: 0.6 }, { ms: 250, share: 0.4 }], requestBytes: 300, responseBytes: 5000 });
      exporter.requests(gatewayFlow(users.bob, 'destination'), 2, { latency: [{ ms: 50, share: 1 }] });
      exporter.requests(gatewayFlow(users.bob, 'source', 503, 'UF,URX'), 1);
    },
  });
  base = own.base;
  for (const user of Object.values(users)) {
    await core.createNamespacedService({ namespace, body: { metadata: { name: service(user) }, spec: { selector: { app: service(user) }, ports: [{ name: 'http', port: 8888 }] } } });
    const created = await own.server.api(`/api/routes/user/${user}`, { method: 'POST', body: JSON.stringify({ target: `http://${service(user)}:8888`, user, server_name: '' }) });
    expect(created.status).toBe(201);
  }
});

test.afterAll(async () => {
  for (const user of Object.values(users)) {
    await own?.server.api(`/api/routes/user/${user}`, { method: 'DELETE' }).catch(() => undefined);
    await core.deleteNamespacedService({ namespace, name: service(user) }).catch(() => undefined);
  }
  await own?.stop();
});

/**
 * The test's own PromQL for a user's figures over `window` at `time` (the page's evaluation time, so both read
 * the same samples), as a JupyterHub admin would write it in Prometheus' UI.
 */
async function independentFigures(user: string, window: string, time: number) {
  const client = new PrometheusClient({ url: own.prometheus.url });
  const scalar = async (query: string) => (await client.queryVector(query, { time })).reduce((sum, sample) => sum + sample.value, 0);
  const inbound = `reporter="destination",destination_service="${host(user)}"`;
  // the requests the gateway answered itself because it could not connect never reached the notebook's sidecar
  const unanswered = `reporter="source",destination_service="${host(user)}",response_flags=~"(.*,)?UF(,.*)?"`;
  const rate = (selector: string) => scalar(`sum(rate(istio_requests_total{${selector}}[${window}]))`);
  const all = (await rate(inbound)) + (await rate(unanswered));
  const fivexx = (await rate(`${inbound},response_code=~"5.."`)) + (await rate(`${unanswered},response_code=~"5.."`));
  const quantile = (q: number) => scalar(`histogram_quantile(${q}, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${inbound}}[${window}])))`);
  return { requestsPerSecond: all, errorRatio5xx: fivexx / all, p50: await quantile(0.5), p95: await quantile(0.95) };
}

const figure = async (figures: Locator, label: string) => (await figures.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd[1]').textContent())?.trim();

test("a route's drawer and the routes page show its traffic as Istio's metrics give it: rates, 5xx, latency, flags in plain words, sparklines", async ({ page }, testInfo) => {
  test.setTimeout(150_000);
  await page.setViewportSize({ width: 1280, height: 1000 });
  await signIn(page, `${base}/routes?q=${run}`);
  const open = async (user: string) => {
    await page.goto(`${base}/routes?q=${run}`);
    await page.getByRole('link', { name: `/user/${user}`, exact: true }).click();
    const traffic = page.getByRole('dialog', { name: `/user/${user}` }).getByRole('region', { name: 'Traffic', exact: true });
    // the shortest window: its averages are not yet diluted by the time before the exporter started
    await traffic.getByLabel('Window').selectOption('5m');
    return traffic;
  };
  const shownAt = async (figures: Locator) => Number(await figures.getAttribute('data-time'));

  // some history for the charts to draw: 20 s of scrapes
  const since = await own.exporter.firstScrape;
  await page.waitForTimeout(Math.max(0, (since + 20) * 1000 - Date.now()));
  // two scrapes before rate() answers: open the drawer afresh until bob's gateway-side failures show
  let traffic = await open(users.bob);
  await expect(async () => {
    traffic = await open(users.bob);
    await expect(traffic.getByRole('table', { name: 'Responses with Envoy failure flags' })).toContainText('UF,URX', { timeout: 3000 });
  }).toPass({ timeout: 60_000, intervals: [2_000] });
  const figures = traffic.getByLabel('Traffic over the last 5m');
  const bob = await independentFigures(users.bob, '5m', await shownAt(figures));
  expect(bob.requestsPerSecond).toBeGreaterThan(0.01);
  expect(await figure(figures, 'Requests')).toBe(`${perSecond(bob.requestsPerSecond)}/s on average`);
  expect(await figure(figures, '5xx')).toBe(percent(bob.errorRatio5xx * 100));
  const flags = traffic.getByRole('table', { name: 'Responses with Envoy failure flags' });
  await expect(flags).toContainText('the gateway could not connect to the notebook');
  await expect(flags).toContainText('503');
  await expect(traffic.getByRole('img', { name: `Requests per second of /user/${users.bob}` })).toBeVisible();
  await traffic.screenshot({ path: testInfo.outputPath('bob-route-traffic.png') });

  traffic = await open(users.alice);
  const aliceFigures = traffic.getByLabel('Traffic over the last 5m');
  await expect(aliceFigures).toBeVisible();
  const alice = await independentFigures(users.alice, '5m', await shownAt(aliceFigures));
  expect(await figure(aliceFigures, 'Requests')).toBe(`${perSecond(alice.requestsPerSecond)}/s on average`);
  expect(await figure(aliceFigures, '5xx')).toBe('0%');
  expect(await figure(aliceFigures, 'Latency p50 / p95')).toBe(`${milliseconds(alice.p50)} / ${milliseconds(alice.p95)}`);
  await expect(traffic.getByText('No response carried an Envoy failure flag.')).toBeVisible();
  await page.getByRole('dialog', { name: `/user/${users.alice}` }).screenshot({ path: testInfo.outputPath('alice-route-drawer.png') });

  // the routes page: one sparkline per route, from one request for the page, red where there are 5xx
  await page.goto(`${base}/routes?q=${run}`);
  const bobSparkline = page.getByTestId(`sparkline-${(await routeName(users.bob))!}`);
  await expect(async () => {
    await page.goto(`${base}/routes?q=${run}`);
    await expect(bobSparkline.getByRole('img')).toBeVisible({ timeout: 3000 });
  }).toPass({ timeout: 90_000, intervals: [5_000] });
  // its 5xx share does not depend on how much of the hour the exporter has run
  await expect(bobSparkline).toContainText(`· ${percent(bob.errorRatio5xx * 100)} 5xx`);
  await page.screenshot({ path: testInfo.outputPath('routes-sparklines.png'), fullPage: true });
});

/** The VirtualService of a user's route, as the console names it. */
async function routeName(user: string): Promise<string | undefined> {
  const answer = (await (await fetch(`${base}/api/v1/routes?q=${user}`, { headers: { authorization: `Bearer ${E2E.adminToken}` } })).json()) as { items: Array<{ virtualService: string; user?: string }> };
  return answer.items.find((r) => r.user === user)?.virtualService;
}
