import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { clusterPaths } from '../test/cluster/harness';
import { proxyApi, routeVirtualService } from './cluster';
import { signIn } from './signin';

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const canaryService = `hub-canary-${run}`;
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const hubRoute = () => routeVirtualService('/');

test.beforeAll(async () => {
  await core.createNamespacedService({ namespace, body: { metadata: { name: canaryService }, spec: { selector: { app: canaryService }, ports: [{ name: 'http', port: 8081 }] } } });
  expect((await proxyApi('/', { method: 'POST', body: JSON.stringify({ target: 'http://hub:8081', jupyterhub: true, hub: true }) })).status).toBe(201);
});

test.afterAll(async () => {
  await proxyApi('/', { method: 'DELETE' });
  await core.deleteNamespacedService({ namespace, name: canaryService }).catch(() => undefined);
});

test('turns a 10% canary on for the hub route, previews the change, and the VirtualService follows', async ({ page }, testInfo) => {
  await signIn(page, '/routes?q=hub');
  await page.getByRole('link', { name: '/', exact: true }).click();
  const drawer = page.getByRole('dialog', { name: '/' });
  const panel = drawer.getByRole('region', { name: 'Traffic and resilience' });
  await panel.getByLabel('Canary on').check();
  await panel.getByLabel('Canary Service').selectOption(canaryService);
  await panel.getByRole('slider').fill('10');
  await expect(panel).toContainText('Canary share: 10% (the route keeps 90%)');
  await panel.getByRole('button', { name: 'Preview' }).click();
  await expect(panel.getByRole('status')).toContainText('dry run accepted');
  await expect(panel.getByLabel('Diff')).toContainText('weight: 10');
  // nothing stored by the preview
  expect((await hubRoute())!.spec.http!.find((r) => r.name === 'route')!.route).toHaveLength(1);
  await page.screenshot({ path: testInfo.outputPath('canary-preview.png'), fullPage: true });

  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect(panel.getByRole('status')).toContainText('applied');
  const route = (await hubRoute())!.spec.http!.find((r) => r.name === 'route')!.route!;
  expect(route.map((d) => [d.destination.host, d.weight])).toEqual([
    [`hub.${namespace}.svc.cluster.local`, 90],
    [`${canaryService}.${namespace}.svc.cluster.local`, 10],
  ]);
  await expect(drawer.getByLabel('VirtualService YAML')).toContainText(canaryService);
  await page.screenshot({ path: testInfo.outputPath('canary-applied.png'), fullPage: true });

  // off again: the plain route comes back
  await panel.getByLabel('Canary on').uncheck();
  await panel.getByRole('button', { name: 'Preview' }).click();
  await panel.getByRole('button', { name: 'Apply' }).click();
  await expect(panel.getByRole('status')).toContainText('applied');
  expect((await hubRoute())!.metadata.annotations?.['hubmesh.io/overlays']).toBeUndefined();
  expect((await hubRoute())!.spec.http!.map((r) => r.name)).toEqual(['route']);
});
