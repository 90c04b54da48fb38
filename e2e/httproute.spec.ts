import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import type { HTTPRouteObject } from '../lib/kube/httproutes';
import { E2E } from '../playwright.config';
import { clusterPaths } from '../test/cluster/harness';
import { routeBackend, startHubmesh, type HubmeshProcess } from '../test/hubmesh-process';
import { signIn } from './signin';

/**
 * The routes page and the overlays editor of a hubmesh that stores routes as Gateway API HTTPRoutes
 * (HUBMESH_ROUTE_API=httproute), in Chromium. No Gateway controller runs in the test cluster: the admin writes each
 * route's status as istiod would, one accepted with its backend found, one whose backend Service is missing.
 */

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const gateway = `e2e-gw-${run}`;
const users = { ok: `hrok${run}`, broken: `hrbad${run}` };
const service = (user: string) => `jupyter-${user}`;
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const httpRoutes = { group: 'gateway.networking.k8s.io', version: 'v1', namespace, plural: 'httproutes' };
const notFound = `backend(${service(users.broken)}.${namespace}.svc.cluster.local) not found`;
let hm: HubmeshProcess;

/** Writes the route's status as the Gateway's controller would: Accepted, and ResolvedRefs as given. */
async function reportStatus(user: string, resolved: { status: 'True' | 'False'; reason: string; message: string }) {
  const list = (await custom.listNamespacedCustomObject({ ...httpRoutes, labelSelector: `hubmesh.io/prefix=${hm.prefix}` })) as { items: HTTPRouteObject[] };
  const route = list.items.find((r) => r.metadata.annotations?.['hubmesh.io/route'] === `/user/${user}`)!;
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const condition = (type: string, c: typeof resolved) => ({ type, ...c, observedGeneration: route.metadata.generation, lastTransitionTime: at });
  const parentRef = { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace, name: gateway };
  await custom.replaceNamespacedCustomObjectStatus({
    ...httpRoutes,
    name: route.metadata.name,
    body: { ...route, status: { parents: [{ parentRef, controllerName: 'istio.io/gateway-controller', conditions: [condition('Accepted', { status: 'True', reason: 'Accepted', message: 'Route was valid' }), condition('ResolvedRefs', resolved)] }] } },
  });
}

test.beforeAll(async () => {
  hm = await startHubmesh({
    kubeconfig: routeBackend('httproute', clusterPaths().appKubeconfig).kubeconfig,
    prefix: `e2er${run}`,
    env: { HUBMESH_ADMIN_TOKEN: E2E.adminToken, HUBMESH_SESSION_SECRET: E2E.sessionSecret, HUBMESH_ROUTE_API: 'httproute', HUBMESH_GATEWAY: `${namespace}/${gateway}` },
  });
  const ok = service(users.ok);
  await core.createNamespacedService({ namespace, body: { metadata: { name: ok }, spec: { selector: { app: ok }, ports: [{ name: 'http', port: 8888 }] } } });
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: ok, labels: { app: ok, component: 'singleuser-server', 'hub.jupyter.org/username': users.ok, 'hub.jupyter.org/servername': '' } },
      spec: { containers: [{ name: 'notebook', image: 'quay.io/jupyter/base-notebook:2026-11-01' }], nodeSelector: { type: 'kwok' }, tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }] },
    },
  });
  for (const user of Object.values(users)) {
    expect((await hm.api(`/api/routes/user/${user}`, { method: 'POST', body: JSON.stringify({ target: `http://${service(user)}:8888`, user, server_name: '' }) })).status).toBe(201);
  }
  await reportStatus(users.ok, { status: 'True', reason: 'ResolvedRefs', message: 'All references resolved' });
  await reportStatus(users.broken, { status: 'False', reason: 'BackendNotFound', message: notFound });
});

test.afterAll(async () => {
  if (hm) {
    for (const user of Object.values(users)) await hm.api(`/api/routes/user/${user}`, { method: 'DELETE' });
    await hm.stop();
  }
  await core.deleteNamespacedPod({ namespace, name: service(users.ok), gracePeriodSeconds: 0 }).catch(() => undefined);
  await core.deleteNamespacedService({ namespace, name: service(users.ok) }).catch(() => undefined);
});

test("lists HTTPRoutes with their Gateway's conditions, and a route whose backend is not found as degraded", async ({ page }, testInfo) => {
  await signIn(page, `${hm.url}/routes?q=${run}`);
  const table = page.getByRole('table', { name: 'Routes' });
  await expect(table.getByRole('columnheader', { name: 'HTTPRoute' })).toBeVisible();
  await expect(table.getByRole('columnheader', { name: 'VirtualService' })).toHaveCount(0);
  const okRow = table.getByRole('row', { name: new RegExp(`/user/${users.ok}`) });
  const brokenRow = table.getByRole('row', { name: new RegExp(`/user/${users.broken}`) });
  await expect(okRow).toContainText('ok');
  await expect(okRow).toContainText('Accepted True');
  await expect(okRow).toContainText('ResolvedRefs True');
  // degraded: its first problem is the missing Service, and the Gateway's condition says so with its reason and message
  await expect(brokenRow).toContainText(`Service ${service(users.broken)} does not exist`);
  await expect(brokenRow.getByText('ResolvedRefs False')).toHaveAttribute('title', `${namespace}/${gateway}: ResolvedRefs False (BackendNotFound): ${notFound}`);
  await expect(brokenRow.getByText(`Service ${service(users.broken)} does not exist`)).toHaveAttribute('title', new RegExp(`Gateway ${namespace}/${gateway}: ResolvedRefs is False \\(BackendNotFound\\)`));
  await page.screenshot({ path: testInfo.outputPath('httproute-rows.png'), fullPage: true });

  await brokenRow.getByRole('link', { name: `/user/${users.broken}` }).click();
  const drawer = page.getByRole('dialog', { name: `/user/${users.broken}` });
  const conditions = drawer.getByRole('region', { name: 'Gateway conditions' });
  await expect(conditions.getByRole('row', { name: /ResolvedRefs/ })).toContainText(`BackendNotFound: ${notFound}`);
  await expect(conditions.getByRole('row', { name: /Accepted/ })).toContainText('Accepted: Route was valid');
  await expect(drawer.getByLabel('HTTPRoute YAML')).toContainText('kind: HTTPRoute');
  await expect(drawer.getByLabel('HTTPRoute YAML')).toContainText(`name: ${gateway}`);
  await page.screenshot({ path: testInfo.outputPath('httproute-drawer.png'), fullPage: true });
});

test('says in the overlays editor that retries, fault injection and rate limits are not available, and keeps the timeout', async ({ page }, testInfo) => {
  await signIn(page, `${hm.url}/routes?q=${users.ok}`);
  await page.getByRole('link', { name: `/user/${users.ok}`, exact: true }).click();
  const panel = page.getByRole('dialog', { name: `/user/${users.ok}` }).getByRole('region', { name: 'Traffic and resilience' });
  const retries = panel.getByRole('group', { name: 'Retries' });
  await expect(retries).toContainText("Retries is not available with the httproute backend (HUBMESH_ROUTE_API=httproute): the Gateway API's standard channel has no retries.");
  await expect(retries.getByRole('combobox')).toHaveCount(0);
  await expect(panel.getByRole('group', { name: 'Fault injection' })).toContainText('not available with the httproute backend (HUBMESH_ROUTE_API=httproute): the Gateway API has no fault injection');
  await expect(panel.getByRole('group', { name: 'Rate limit' })).toContainText('not available with the httproute backend');
  await expect(panel.getByLabel('Fault on')).toHaveCount(0);

  // a timeout is an HTTPRoute's timeouts.request
  await panel.getByLabel('Timeout on this route').selectOption('on');
  await panel.getByRole('button', { name: 'Preview' }).click();
  await expect(panel.getByRole('status')).toContainText('dry run accepted');
  await expect(panel.getByLabel('Overlay YAML preview')).toContainText('request: 1m');
  await expect(panel.getByText('HTTPRoute after')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('httproute-overlays.png'), fullPage: true });

  await page.goto(`${hm.url}/notebook-defaults`);
  const defaults = page.getByRole('region', { name: 'Notebook defaults' });
  await expect(defaults.getByRole('group', { name: 'Retries' })).toContainText('Retries is not available with the httproute backend');
  await expect(defaults.getByRole('group', { name: 'Rate limit' })).toContainText('Rate limit is not available with the httproute backend');
  await expect(defaults.getByLabel('Circuit breaking for every notebook')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('httproute-notebook-defaults.png'), fullPage: true });
});
