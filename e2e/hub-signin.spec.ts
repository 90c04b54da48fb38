import { randomBytes } from 'node:crypto';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { clusterPaths } from '../test/cluster/harness';
import { freePort, startHubmesh, type HubmeshProcess } from '../test/hubmesh-process';
import { startHub, type HubProcess } from '../test/jupyterhub/hub-process';

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const users = { admin: `boss-${run}`, plain: `student-${run}` };
const serviceToken = randomBytes(24).toString('hex');
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const custom = kc.makeApiClient(CustomObjectsApi);

// A real JupyterHub 3.0 (with its own hubmesh as proxy API), and the hubmesh console registered with it
// as a hub service and OAuth client.
let proxy: HubmeshProcess;
let hub: HubProcess;
let console_: HubmeshProcess;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  const consolePort = await freePort();
  const redirectUri = `http://127.0.0.1:${consolePort}/login/hub/callback`;
  proxy = await startHubmesh({ kubeconfig: clusterPaths().appKubeconfig, prefix: `e2eh${run}` });
  hub = await startHub({
    proxyUrl: proxy.url,
    proxyToken: proxy.token,
    kubeconfig: clusterPaths().adminKubeconfig,
    namespace,
    hubRouteRegistered: async () => '/' in (await (await proxy.api('/api/routes')).json()),
    services: [{ name: 'hubmesh', api_token: serviceToken, oauth_client_id: 'service-hubmesh', oauth_redirect_uri: redirectUri, oauth_no_confirm: true }],
    roles: [{ name: 'user', scopes: ['self', 'access:services!service=hubmesh'] }],
  });
  for (const [name, admin] of [[users.admin, true], [users.plain, false]] as const) {
    expect((await hub.api(`/users/${name}`, { method: 'POST', body: JSON.stringify({ admin }) })).status).toBe(201);
  }
  console_ = await startHubmesh({
    kubeconfig: clusterPaths().appKubeconfig,
    prefix: `e2ec${run}`,
    port: consolePort,
    env: {
      HUBMESH_HUB_URL: `http://127.0.0.1:${hub.hubPort}/`,
      JUPYTERHUB_API_URL: hub.apiUrl,
      HUBMESH_HUB_CLIENT_SECRET: serviceToken,
      HUBMESH_HUB_REDIRECT_URI: redirectUri,
      HUBMESH_ADMIN_TOKEN: 'e2e-hub-admin-token-0123456789',
    },
  });
});

test.afterAll(async () => {
  await hub?.stop().catch(() => undefined);
  await console_?.stop().catch(() => undefined);
  await proxy?.stop().catch(() => undefined);
  await custom.deleteCollectionNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices', labelSelector: `hubmesh.io/prefix=e2eh${run}` }).catch(() => undefined);
});

async function hubLogin(page: import('@playwright/test').Page, username: string) {
  await page.goto(`${console_.url}/login?next=${encodeURIComponent('/routes')}`);
  await page.getByRole('link', { name: 'Sign in with JupyterHub' }).click();
  // JupyterHub's own login page (dummy authenticator)
  await page.locator('#username_input').fill(username);
  await page.locator('#password_input').fill('any');
  await page.locator('#login_submit').click();
}

test('a hub admin signs in with their JupyterHub account and lands where they were going', async ({ page }, testInfo) => {
  await hubLogin(page, users.admin);
  await expect(page).toHaveURL(`${console_.url}/routes`);
  await expect(page.getByRole('heading', { name: 'Routes' })).toBeVisible();
  expect(await (await page.request.get(`${console_.url}/api/v1/session`)).json()).toMatchObject({ sub: `hub:${users.admin}`, role: 'admin' });
  await page.screenshot({ path: testInfo.outputPath('hub-signin-admin.png'), fullPage: true });
});

test('a hub user without a role gets a 403 page that says who may sign in', async ({ page }, testInfo) => {
  await hubLogin(page, users.plain);
  await expect(page.getByRole('heading', { name: 'Not allowed' })).toBeVisible();
  await expect(page.getByText(users.plain)).toBeVisible();
  await expect(page.getByText('Only hub admins may sign in.')).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('hub-signin-refused.png'), fullPage: true });
  await page.goto(`${console_.url}/routes`);
  await expect(page).toHaveURL(/\/login\?next=%2Froutes$/);
});
