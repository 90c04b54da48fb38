import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { E2E } from '../playwright.config';
import { clusterPaths } from '../test/cluster/harness';
import { routeVirtualService, withHubRouteAndService } from './cluster';
import { signIn } from './signin';

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const name = `demo-${run}`;
const service = `preview-${run}`;
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const hubRouteRules = async () => (await routeVirtualService('/'))!.spec.http!.map((r) => r.name);

withHubRouteAndService(core, namespace, service);

test('creates a preview, its share link sets the cookie in a fresh browser, and deleting it restores the route', async ({ page, browser }, testInfo) => {
  await signIn(page, '/previews');
  const form = page.getByRole('form', { name: 'New preview' });
  // the Services come from the API once the page has hydrated: typing before that would be reset
  await expect(form.getByLabel('Target Service').locator('option', { hasText: service })).toBeAttached();
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Target Service').selectOption(service);
  await form.getByRole('button', { name: 'Create preview' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Share link' })).toContainText(`Share link: http://127.0.0.1:${E2E.clusterPort}/preview/${name}`);
  const row = page.getByRole('row').filter({ hasText: name });
  await expect(row).toContainText('admin');
  await expect(row).toContainText('live');
  // a preview on / keeps /hub/api on the hub: a guard rule comes first
  expect(await hubRouteRules()).toEqual(['preview-guard-hub-api', `preview-${name}`, 'route']);
  await page.screenshot({ path: testInfo.outputPath('previews.png'), fullPage: true });

  // a stakeholder without a hubmesh account opens the link in a plain browser
  const stakeholder = await browser.newContext();
  try {
    const response = await stakeholder.request.get(`http://127.0.0.1:${E2E.clusterPort}/preview/${name}`, { maxRedirects: 0 });
    expect(response.status()).toBe(302);
    expect(response.headers().location).toBe(`http://127.0.0.1:${E2E.clusterPort}/`);
    const cookie = (await stakeholder.cookies()).find((c) => c.name === 'hubmesh-preview');
    expect(cookie).toMatchObject({ value: name, path: '/', sameSite: 'Lax' });
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000 + 3600);
    const missing = await stakeholder.request.get(`http://127.0.0.1:${E2E.clusterPort}/preview/no-such-${run}`, { maxRedirects: 0 });
    expect(missing.status()).toBe(404);
  } finally {
    await stakeholder.close();
  }

  await row.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'deleted' })).toContainText(`${name} deleted`);
  await expect(page.getByRole('row').filter({ hasText: name })).toHaveCount(0);
  expect(await hubRouteRules()).toEqual(['route']);
});
