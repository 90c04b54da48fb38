import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { expect, test, type Page } from '@playwright/test';
import { E2E } from '../playwright.config';
import { clusterPaths } from '../test/cluster/harness';
import { signIn } from './signin';
import { startTelemetryServer, type TelemetryServer } from './telemetry-server';

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const prefix = `e2et${run}`;
const user = `ts${run}`;
const service = `jupyter-${user}`;
const host = `${prefix}.hub.test`;
const gatewayName = `${prefix}-gw`;
const proxyToken = randomBytes(24).toString('hex');
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const gateways = { group: 'networking.istio.io', version: 'v1', namespace, plural: 'gateways' };

// A hubmesh of this file's own. Debian's Prometheus scrapes what the ingress gateway's Envoy would report of the
// user's notebook: per second 4 requests it could not connect for (503 UF,URX) and 1 served. The real Istio
// gateway is not available here, so HUBMESH_GATEWAY_URL points at a stand-in for it: a local HTTP server that
// answers every request as the gateway would with the user's route, naming its VirtualService in x-hubmesh-route.
let own: TelemetryServer;
let gatewayStandIn: http.Server;
let base: string;
let routeName: string;
const standInSaw: Array<{ path: string | undefined; host: string | undefined; cookie: string | undefined }> = [];

test.beforeAll(async () => {
  gatewayStandIn = http.createServer((req, res) => {
    standInSaw.push({ path: req.url, host: req.headers.host, cookie: req.headers.cookie });
    res.writeHead(302, { location: `/hub/user/${user}/`, 'x-hubmesh-route': routeName ?? '' }).end();
  });
  await new Promise<void>((resolve) => gatewayStandIn.listen(0, '127.0.0.1', resolve));
  await custom.createNamespacedCustomObject({
    ...gateways,
    body: { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: gatewayName }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [host] }] } },
  });
  const source = { namespace: 'istio-system', workload: 'istio-ingressgateway' };
  own = await startTelemetryServer({
    prefix,
    token: proxyToken,
    env: {
      HUBMESH_GATEWAY: `${namespace}/${gatewayName}`,
      HUBMESH_HOSTS: host,
      HUBMESH_GATEWAY_URL: `http://127.0.0.1:${(gatewayStandIn.address() as net.AddressInfo).port}`,
    },
    script: (exporter) => {
      exporter.requests({ source, destination: { namespace, service }, policy: 'unknown', reporter: 'source', responseCode: 503, responseFlags: 'UF,URX' }, 4);
      exporter.requests({ source, destination: { namespace, service }, policy: 'mutual_tls' }, 1);
    },
  });
  base = own.base;
  await core.createNamespacedService({ namespace, body: { metadata: { name: service }, spec: { selector: { app: service }, ports: [{ name: 'http', port: 8888 }] } } });
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: {
        name: service,
        labels: { app: service, component: 'singleuser-server', 'hub.jupyter.org/username': user, 'hub.jupyter.org/servername': '' },
        annotations: { 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'] }) },
      },
      spec: {
        containers: [
          { name: 'notebook', image: 'quay.io/jupyter/base-notebook:2026-11-01' },
          { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1' },
        ],
        nodeSelector: { type: 'kwok' },
        tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
      },
    },
  });
  const created = await fetch(`${base}/api/routes/user/${user}`, {
    method: 'POST',
    headers: { authorization: `token ${proxyToken}` },
    body: JSON.stringify({ target: `http://${service}:8888`, user, server_name: '', jupyterhub: true }),
  });
  expect(created.status).toBe(201);
  const routes = (await (await fetch(`${base}/api/v1/routes?q=${user}`, { headers: { authorization: `Bearer ${E2E.adminToken}` } })).json()) as { items: Array<{ virtualService: string }> };
  routeName = routes.items[0]!.virtualService;
});

test.afterAll(async () => {
  await fetch(`${base}/api/routes/user/${user}`, { method: 'DELETE', headers: { authorization: `token ${proxyToken}` } }).catch(() => undefined);
  await core.deleteNamespacedPod({ namespace, name: service, gracePeriodSeconds: 0 }).catch(() => undefined);
  await core.deleteNamespacedService({ namespace, name: service }).catch(() => undefined);
  await custom.deleteNamespacedCustomObject({ ...gateways, name: gatewayName }).catch(() => undefined);
  await own?.stop();
  await new Promise<void>((resolve) => (gatewayStandIn ? gatewayStandIn.close(() => resolve()) : resolve()));
});

const hop = (page: Page, id: string) => page.locator(`li[data-hop="${id}"]`);

/** The user's page once Prometheus has the gateway's 503s (it needs two scrapes before increase() counts them). */
async function openWhenTrafficFails(page: Page) {
  await expect(async () => {
    await page.goto(`${base}/users/${user}`);
    await expect(hop(page, 'traffic')).toHaveAttribute('data-status', 'fail', { timeout: 3_000 });
  }).toPass({ timeout: 45_000, intervals: [2_000] });
}

test("a user's troubleshooting page: the gateway's 503 UF,URX in plain words, the probe, and the report", async ({ page, context }, testInfo) => {
  test.setTimeout(120_000);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  await page.setViewportSize({ width: 1280, height: 1000 });
  await signIn(page, `${base}/users/${user}`);
  await openWhenTrafficFails(page);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`User ${user}`);
  await expect(page.getByRole('status', { name: 'Verdict' })).toContainText('✗ Failing');

  const traffic = hop(page, 'traffic');
  await expect(traffic).toContainText('✗ Fail');
  await expect(traffic).toContainText('503 UF,URX: the gateway could not connect to the notebook (503); the request failed after every retry');
  await expect(traffic).toContainText("Fix: Check that the pod's sidecar is ready, the Service's port and any NetworkPolicy");
  // the hops before it pass: the route wins on the run's gateway, the Service and the pod are there
  for (const id of ['route', 'routing', 'destination', 'pod']) await expect(hop(page, id)).toHaveAttribute('data-status', 'pass');
  await expect(hop(page, 'hub')).toContainText('? Unknown');
  // object names link to the pages that list them
  await expect(hop(page, 'route').getByRole('link', { name: routeName })).toHaveAttribute('href', `/routes?q=${routeName}`);
  await expect(hop(page, 'pod').getByRole('link', { name: service })).toHaveAttribute('href', `/pods?q=${service}`);
  await traffic.screenshot({ path: testInfo.outputPath('troubleshoot-traffic-hop.png') });

  await page.getByRole('button', { name: 'Probe now' }).click();
  const probe = page.getByRole('status', { name: 'Probe result' });
  await expect(probe).toContainText('✓ Served by the route');
  await expect(probe).toContainText(`HTTP 302 in`);
  await expect(probe).toContainText(`served by ${routeName}, the server's route.`);
  expect(standInSaw.at(-1)).toEqual({ path: `/user/${user}/`, host, cookie: undefined });

  await page.getByRole('button', { name: 'Copy report' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Copied' })).toBeVisible();
  const report = await page.evaluate(() => navigator.clipboard.readText());
  expect(report).toContain(`# hubmesh diagnosis: ${user}'s default server`);
  expect(report).toContain(`| VirtualService | ${namespace}/${routeName} |`);
  expect(report).toContain('## 7. ✗ FAIL: Recent traffic');
  expect(report).toContain('UF,URX');
  expect(report).not.toContain(proxyToken);
  expect(report).not.toContain(E2E.adminToken);
  await page.screenshot({ path: testInfo.outputPath('troubleshoot-page.png'), fullPage: true });
});

test('"Copy report" falls back to a read-only box when the browser refuses the clipboard', async ({ page }) => {
  test.setTimeout(90_000);
  await signIn(page, `${base}/users/${user}`);
  await openWhenTrafficFails(page);
  await page.evaluate(() => {
    Object.defineProperty(navigator, 'clipboard', { value: { writeText: () => Promise.reject(new DOMException('denied', 'NotAllowedError')) } });
  });
  await page.getByRole('button', { name: 'Copy report' }).click();
  const box = page.getByRole('textbox', { name: /The browser refused the clipboard/ });
  await expect(box).toHaveAttribute('readonly', '');
  expect(await box.inputValue()).toContain(`# hubmesh diagnosis: ${user}'s default server`);
});

test("a user's troubleshooting page on a narrow screen (390×844), in dark mode, reads without sideways scrolling", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await signIn(page, `${base}/users/${user}`);
  await openWhenTrafficFails(page);
  await expect(page.getByRole('button', { name: 'Probe now' })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: testInfo.outputPath('troubleshoot-narrow.png'), fullPage: true });
  await hop(page, 'traffic').screenshot({ path: testInfo.outputPath('troubleshoot-narrow-traffic.png') });
});
