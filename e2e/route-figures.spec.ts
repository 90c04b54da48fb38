import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { clusterPaths } from '../test/cluster/harness';
import type { Flow } from '../test/prometheus/exporter';
import { signIn } from './signin';
import { startTelemetryServer, type TelemetryServer } from './telemetry-server';

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const prefix = `e2ef${run}`;
const user = `fig${run}`;
const userPath = `/user/${user}`;
const service = `jupyter-${user}`;
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);

// A hubmesh of this file's own, with Debian's Prometheus scraping what the ingress gateway's Envoy would
// report of the user's notebook: per second 6 served, 2 rate-limited (RL), 1 aborted and 1 delayed by a
// fault (FI, DI), 0.5 failed after every retry (URX), and 1.5 retries of its cluster.
let own: TelemetryServer;
let base: string;

const fromGateway = (responseCode: number, responseFlags: string): Flow => ({
  source: { namespace: 'istio-system', workload: 'istio-ingressgateway' },
  destination: { namespace, service },
  policy: 'unknown',
  reporter: 'source',
  responseCode,
  responseFlags,
});

test.beforeAll(async () => {
  own = await startTelemetryServer({
    prefix,
    script: (exporter) => {
      exporter.requests(fromGateway(200, '-'), 6);
      exporter.requests(fromGateway(429, 'RL'), 2);
      exporter.requests(fromGateway(503, 'FI'), 1);
      exporter.requests(fromGateway(200, 'DI'), 1);
      exporter.requests(fromGateway(503, 'URX,UF'), 0.5);
      exporter.retries(`outbound|8888||${service}.${namespace}.svc.cluster.local`, 1.5);
    },
  });
  base = own.base;
  await core.createNamespacedService({ namespace, body: { metadata: { name: service }, spec: { selector: { app: service }, ports: [{ name: 'http', port: 8888 }] } } });
  const created = await own.server.api(`/api/routes${userPath}`, { method: 'POST', body: JSON.stringify({ target: `http://${service}:8888`, user, server_name: '' }) });
  expect(created.status).toBe(201);
});

test.afterAll(async () => {
  await own?.server.api(`/api/routes${userPath}`, { method: 'DELETE' }).catch(() => undefined);
  await core.deleteNamespacedService({ namespace, name: service }).catch(() => undefined);
  await own?.stop();
});

/** The figure the drawer shows beside `label`, as a number. */
async function figure(box: import('@playwright/test').Locator, label: string): Promise<number> {
  const value = await box.locator('dt', { hasText: label }).locator('xpath=following-sibling::dd[1]').textContent();
  return Number((value ?? '').replace(/,/g, ''));
}

test("the route drawer shows the last hour's requests, 429s, injected faults and retries of the route's Service", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1280, height: 1000 });
  await signIn(page, `${base}/routes?q=${user}`);
  const drawer = page.getByRole('dialog', { name: userPath });
  const figures = drawer.getByRole('region', { name: 'Resilience in the last hour' });
  // Prometheus needs two scrapes of a series before increase() counts it, and the drawer asks every 30 s:
  // open it afresh until the 429s show
  await expect(async () => {
    await page.goto(`${base}/routes?q=${user}`);
    await page.getByRole('link', { name: userPath, exact: true }).click();
    await expect(figures).toContainText(`In the last hour (${service}.${namespace}.svc.cluster.local)`);
    expect(await figure(figures, 'Rate limited (429, RL)')).toBeGreaterThan(0);
  }).toPass({ timeout: 45_000, intervals: [2_000] });
  const shown = {
    requests: await figure(figures, 'Requests'),
    rateLimited: await figure(figures, 'Rate limited (429, RL)'),
    aborted: await figure(figures, 'Aborted by a fault (FI)'),
    delayed: await figure(figures, 'Delayed by a fault (DI)'),
    exhausted: await figure(figures, 'Failed after every retry (URX)'),
    retries: await figure(figures, 'Retries'),
  };
  console.info(`the drawer's figures for ${userPath}: ${JSON.stringify(shown)}`);
  // in the ratios the exporter publishes them (the drawer rounds small counts to a tenth)
  expect(shown.requests).toBeGreaterThan(0);
  const ratio = (n: number) => n / shown.requests;
  expect(ratio(shown.rateLimited)).toBeCloseTo(2 / 10.5, 1);
  expect(ratio(shown.aborted)).toBeCloseTo(1 / 10.5, 1);
  expect(ratio(shown.delayed)).toBeCloseTo(1 / 10.5, 1);
  expect(ratio(shown.exhausted)).toBeCloseTo(0.5 / 10.5, 1);
  expect(ratio(shown.retries)).toBeCloseTo(1.5 / 10.5, 1);
  await figures.screenshot({ path: testInfo.outputPath('route-figures.png') });
  await page.screenshot({ path: testInfo.outputPath('route-drawer-figures.png'), fullPage: true });
});
