import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import type { EnvoyFilter } from '../lib/kube/envoyfilters';
import { E2E } from '../playwright.config';
import { clusterPaths } from '../test/cluster/harness';
import { proxyApi, routeVirtualService } from './cluster';
import { signIn } from './signin';

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const user = `resil${run}`;
const userPath = `/user/${user}`;
const service = `jupyter-${user}`;
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const ownRule = async () => (await routeVirtualService(userPath))?.spec.http?.find((r) => r.name === 'route');
const gatewayFilter = async () =>
  (await custom.getNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1alpha3', namespace: 'istio-system', plural: 'envoyfilters', name: `${E2E.prefix}-rate-limits` }).catch(() => undefined)) as EnvoyFilter | undefined;

test.beforeAll(async () => {
  await core.createNamespacedService({ namespace, body: { metadata: { name: service }, spec: { selector: { app: service }, ports: [{ name: 'http', port: 8888 }] } } });
  expect((await proxyApi(userPath, { method: 'POST', body: JSON.stringify({ target: `http://${service}:8888`, user, server_name: '' }) })).status).toBe(201);
});

test.afterAll(async () => {
  await fetch(`http://127.0.0.1:${E2E.clusterPort}/api/v1/notebook-defaults`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${E2E.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ defaults: {} }),
  });
  await proxyApi(userPath, { method: 'DELETE' });
  await core.deleteNamespacedService({ namespace, name: service }).catch(() => undefined);
});

async function openRoute(page: import('@playwright/test').Page) {
  await signIn(page, `/routes?q=${user}`);
  await page.getByRole('link', { name: userPath, exact: true }).click();
  const drawer = page.getByRole('dialog', { name: userPath });
  return { drawer, panel: drawer.getByRole('region', { name: 'Traffic and resilience' }) };
}

test('sets the start-up retry preset on every notebook, and a user\'s route shows and carries it', async ({ page }, testInfo) => {
  await signIn(page, '/notebook-defaults');
  const defaults = page.getByRole('region', { name: 'Notebook defaults' });
  await defaults.getByLabel('Retries for every notebook').check();
  await expect(defaults.getByRole('group', { name: 'Retries' })).toContainText('when a new notebook is not ready yet');
  await defaults.getByRole('button', { name: 'Preview' }).click();
  await expect(defaults.getByRole('status')).toContainText('dry run accepted');
  await expect(defaults.getByLabel('Notebook defaults YAML preview')).toContainText('connect-failure,refused-stream,unavailable,reset');
  await defaults.getByRole('button', { name: 'Apply' }).click();
  await expect(defaults.getByRole('status')).toContainText('applied');
  await page.screenshot({ path: testInfo.outputPath('notebook-defaults.png'), fullPage: true });

  // the leader renders every route again: the user's route carries the preset without storing it as its own
  await expect.poll(async () => (await ownRule())?.retries, { timeout: 20_000 }).toEqual({ attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset' });
  expect((await routeVirtualService(userPath))!.metadata.annotations?.['hubmesh.io/overlays']).toBeUndefined();
  const { drawer, panel } = await openRoute(page);
  await expect(panel.getByLabel('Retries on this route')).toHaveValue('unset');
  await expect(panel.getByRole('group', { name: 'Retries' })).toContainText('From the notebook defaults: up to 3 retries');
  await expect(drawer.getByLabel('VirtualService YAML')).toContainText('retryOn: connect-failure,refused-stream,unavailable,reset');
  await page.screenshot({ path: testInfo.outputPath('route-inherits-retries.png'), fullPage: true });
});

test('injects a 50% abort scoped to a header on a user\'s route, then removes it', async ({ page }, testInfo) => {
  const { panel } = await openRoute(page);
  await panel.getByLabel('Fault on').check();
  await expect(panel.getByLabel('Who')).toHaveValue('header');
  await expect(panel.getByLabel('Header', { exact: true })).toHaveValue('x-hubmesh-fault');
  await panel.getByLabel('Header value').fill('demo');
  await expect(panel.getByRole('group', { name: 'Fault injection' })).toContainText('50% of requests get 503, for requests with x-hubmesh-fault: demo only');
  await panel.getByRole('button', { name: 'Preview' }).click();
  await expect(panel.getByRole('status')).toContainText('dry run accepted');
  await expect(panel.getByLabel('Diff')).toContainText('name: fault');
  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect(panel.getByRole('status')).toContainText('applied');
  const rules = (await routeVirtualService(userPath))!.spec.http!;
  expect(rules.map((r) => r.name)).toEqual(['fault', 'route']);
  expect(rules[0]!.fault).toEqual({ abort: { percentage: { value: 50 }, httpStatus: 503 } });
  expect(rules[0]!.match!.every((m) => m.headers?.['x-hubmesh-fault']?.exact === 'demo')).toBe(true);
  expect(rules[1]!.fault).toBeUndefined();
  await expect(panel.getByRole('group', { name: 'Fault injection' })).toContainText('Expires at');
  await page.screenshot({ path: testInfo.outputPath('fault-applied.png'), fullPage: true });

  await panel.getByLabel('Fault on').uncheck();
  await panel.getByRole('button', { name: 'Preview' }).click();
  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect(panel.getByRole('status')).toContainText('applied');
  expect((await routeVirtualService(userPath))!.spec.http!.map((r) => r.name)).toEqual(['route']);
});

test("sets a rate limit on a user's route, and shows the gateway EnvoyFilter's YAML and diff", async ({ page }, testInfo) => {
  const { panel } = await openRoute(page);
  const rate = panel.getByRole('group', { name: 'Rate limit' });
  await rate.getByLabel('Rate limit on this route').selectOption('on');
  await rate.getByLabel('Requests', { exact: true }).fill('30');
  // a label around a select takes the selected option's text into its name
  await rate.getByLabel(/^Per/).selectOption('second');
  await expect(rate).toContainText('Each gateway replica lets 30 requests per second through');
  await panel.getByRole('button', { name: 'Preview' }).click();
  await expect(panel.getByRole('status')).toContainText('dry run accepted');
  const filterGroup = panel.getByRole('group', { name: `EnvoyFilter istio-system/${E2E.prefix}-rate-limits` });
  await expect(filterGroup.getByLabel('Diff')).toContainText('max_tokens: 30');
  await expect(filterGroup.getByLabel('EnvoyFilter YAML preview')).toContainText('envoy.filters.http.local_ratelimit', { useInnerText: false });
  expect((await gatewayFilter())?.spec.configPatches.some((p) => p.applyTo === 'HTTP_ROUTE' && p.match?.routeConfiguration?.vhost?.route?.name?.includes(user)) ?? false).toBe(false);
  await page.screenshot({ path: testInfo.outputPath('rate-limit-preview.png'), fullPage: true });

  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect(panel.getByRole('status')).toContainText('applied');
  const vs = (await routeVirtualService(userPath))!;
  const patched = (await gatewayFilter())!.spec.configPatches.filter((p) => p.applyTo === 'HTTP_ROUTE').map((p) => p.match!.routeConfiguration!.vhost!.route!.name);
  expect(patched).toContain(`route.${vs.metadata.name}`);
  await page.screenshot({ path: testInfo.outputPath('rate-limit-applied.png'), fullPage: true });
});
