import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { E2E } from '../playwright.config';
import { clusterPaths } from '../test/cluster/harness';
import { freePort, startHubmesh } from '../test/hubmesh-process';
import { proxyApi } from './cluster';
import { signIn } from './signin';

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const created: string[] = [];

function notebookPod(name: string, user: string, options: { sidecar: boolean; gated?: boolean }): V1Pod {
  const containers = [{ name: 'notebook', image: 'quay.io/jupyter/base-notebook:2026-11-01' }];
  if (options.sidecar) containers.push({ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1' });
  return {
    metadata: {
      name,
      labels: { component: 'singleuser-server', 'hub.jupyter.org/username': user, 'hub.jupyter.org/servername': '' },
      annotations: options.sidecar ? { 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'] }) } : {},
    },
    spec: {
      containers,
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
      // held back from the scheduler until the test lets it go, so the page can show it Pending first
      schedulingGates: options.gated ? [{ name: 'hubmesh.io/e2e' }] : undefined,
    },
  };
}


test.afterAll(async () => {
  for (const name of created) await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
  await custom.deleteCollectionNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace, plural: 'virtualservices', labelSelector: `hubmesh.io/prefix=${E2E.prefix}` });
});

test('refuses pages and API calls without a session', async ({ page, request }) => {
  await page.goto('/routes');
  await expect(page).toHaveURL(/\/login\?next=%2Froutes$/);
  expect((await request.get('/api/v1/routes')).status()).toBe(401);
  await page.getByLabel('Admin token').fill('not-the-token-at-all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'admin token' })).toHaveText('wrong admin token');
});

test('shows a route live when the hub proxy API adds it, and finds it by search and filter', async ({ page }, testInfo) => {
  await signIn(page, '/routes');
  await expect(page.getByRole('heading', { name: 'Routes' })).toBeVisible();
  await expect(page.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
  const user = `live-${run}`;
  const added = await proxyApi(`/user/${user}`, { method: 'POST', body: JSON.stringify({ target: `http://jupyter-${user}:8888`, jupyterhub: true, user, server_name: '' }) });
  expect(added.status).toBe(201);
  // on screen without a reload, in under 2 s
  await expect(page.getByRole('link', { name: `/user/${user}` })).toBeVisible({ timeout: 2000 });
  await page.screenshot({ path: testInfo.outputPath('routes-live.png'), fullPage: true });

  const other = `other-${run}`;
  expect((await proxyApi(`/user/${other}`, { method: 'POST', body: JSON.stringify({ target: `http://jupyter-${other}:8888`, jupyterhub: true, user: other }) })).status).toBe(201);
  await expect(page.getByRole('link', { name: `/user/${other}` })).toBeVisible({ timeout: 2000 });
  await page.getByRole('searchbox', { name: 'Search' }).fill(user);
  await expect(page.getByRole('link', { name: `/user/${other}` })).toBeHidden();
  await expect(page.getByRole('link', { name: `/user/${user}` })).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`q=${user}`));
  // no Service jupyter-<user> exists, so the route is degraded, and the filter says so
  await page.getByLabel('Status').selectOption('ok');
  await expect(page.getByText('No route matches these filters')).toBeVisible();
  await page.getByLabel('Status').selectOption('degraded');
  const row = page.getByRole('row', { name: new RegExp(`/user/${user}`) });
  await expect(row).toContainText(`Service jupyter-${user} does not exist`);

  await page.getByRole('link', { name: `/user/${user}` }).click();
  const drawer = page.getByRole('dialog', { name: `/user/${user}` });
  await expect(drawer.getByLabel('VirtualService YAML')).toContainText('kind: VirtualService');
  await expect(drawer.getByLabel('VirtualService YAML')).toContainText(`prefix: /user/${user}/`);
  await page.screenshot({ path: testInfo.outputPath('route-drawer.png'), fullPage: true });
  await drawer.getByRole('button', { name: 'Close' }).click();

  const removed = await proxyApi(`/user/${user}`, { method: 'DELETE' });
  expect(removed.status).toBe(204);
  await expect(page.getByRole('link', { name: `/user/${user}` })).toBeHidden({ timeout: 2000 });
});

test('shows a notebook pod go from Pending to 2/2, and warns about a pod without a sidecar', async ({ page }, testInfo) => {
  await signIn(page, `/pods?q=${run}`);
  const meshed = `jupyter-pending-${run}`;
  const bare = `jupyter-bare-${run}`;
  created.push(meshed, bare);
  await core.createNamespacedPod({ namespace, body: notebookPod(meshed, `pending-${run}`, { sidecar: true, gated: true }) });
  const row = page.getByTestId(`pod-${meshed}`);
  await expect(row).toContainText('Pending', { timeout: 2000 });
  await expect(row).toContainText('0/2');
  await page.screenshot({ path: testInfo.outputPath('pod-pending.png'), fullPage: true });

  const pod = await core.readNamespacedPod({ namespace, name: meshed });
  await core.replaceNamespacedPod({ namespace, name: meshed, body: { ...pod, spec: { ...pod.spec!, schedulingGates: [] } } });
  await expect(row).toContainText('2/2', { timeout: 5000 });
  await expect(row).toContainText('Running');
  await expect(row).toContainText('1.28.1');

  await core.createNamespacedPod({ namespace, body: notebookPod(bare, `bare-${run}`, { sidecar: false }) });
  const bareRow = page.getByTestId(`pod-${bare}`);
  await expect(bareRow).toContainText('no sidecar', { timeout: 3000 });
  await page.getByLabel('Warnings').selectOption('no-sidecar');
  await expect(bareRow).toBeVisible();
  await expect(row).toBeHidden();
  await page.screenshot({ path: testInfo.outputPath('pods-no-sidecar.png'), fullPage: true });
});

test('renders every console page with data, with no console error or hydration warning', async ({ page }) => {
  test.slow(); // nine page loads, each with its scripts held back
  // a fresh route: its ages are in seconds, which used to differ between the server's render and the browser's hydration
  const user = `hydrate-${run}`;
  const pod = `jupyter-hydrate-${run}`;
  created.push(pod);
  expect((await proxyApi(`/user/${user}`, { method: 'POST', body: JSON.stringify({ target: `http://jupyter-${user}:8888`, jupyterhub: true, user, server_name: '' }) })).status).toBe(201);
  await core.createNamespacedPod({ namespace, body: notebookPod(pod, user, { sidecar: true }) });
  // in the server's caches, so the pages render them on the server and the browser hydrates them
  await expect.poll(async () => (await proxyApi(`/user/${user}`, { method: 'GET' })).status).toBe(200);
  await signIn(page);
  // the browser hydrates over a second after the server rendered, as on a slow link: seconds-old ages then
  // differ unless both sides read the same clock (routing also turns the browser's cache off)
  await page.route('**/_next/static/**', async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await route.continue();
  });
  const logged: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') logged.push(`${m.type()} on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => logged.push(`uncaught on ${page.url()}: ${e.message}`));
  const heading = (name: string) => page.getByRole('heading', { name, exact: true });
  const pages = [
    { path: '/', shows: heading('Overview') },
    { path: `/routes?q=${user}`, shows: page.getByRole('link', { name: `/user/${user}` }) },
    { path: `/pods?q=${run}`, shows: page.getByTestId(`pod-${pod}`) },
    { path: `/users?q=${run}`, shows: page.getByRole('rowheader', { name: user }) },
    { path: '/previews', shows: heading('Previews') },
    { path: '/mesh', shows: heading('Mesh security') },
    { path: '/doctor', shows: heading('Doctor') },
    { path: '/audit', shows: heading('Audit') },
  ];
  for (const { path, shows } of pages) {
    await page.goto(path, { waitUntil: 'networkidle' });
    await expect(shows).toBeVisible();
    await expect(page.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
  }
  expect(logged).toEqual([]);
  // after hydration the ages follow the browser's clock
  await page.goto(`/routes?q=${user}`, { waitUntil: 'networkidle' });
  const lastActivity = page.getByRole('row', { name: new RegExp(`/user/${user}`) }).getByRole('cell', { name: / ago$/ });
  const shown = await lastActivity.textContent();
  await expect(lastActivity).not.toHaveText(shown!, { timeout: 5000 });
});

test('says "reconnecting" while the server is away, and catches up when it is back', async ({ page }, testInfo) => {
  // two start-ups of a server of its own, each up to 30 s on a loaded machine, on top of the page's own waits
  test.setTimeout(120_000);
  // a server of the test's own, so that it can be restarted under the open page
  const env = { HUBMESH_ADMIN_TOKEN: E2E.adminToken, HUBMESH_SESSION_SECRET: E2E.sessionSecret };
  const port = await freePort();
  const options = { kubeconfig: clusterPaths().appKubeconfig, prefix: E2E.prefix, token: E2E.proxyToken, port, env };
  let server = await startHubmesh(options);
  try {
    await signIn(page, `http://127.0.0.1:${port}/routes`);
    await expect(page.getByTestId('live-state')).toHaveAttribute('data-state', 'live');
    await server.stop();
    await expect(page.getByTestId('live-state')).toContainText('reconnecting', { timeout: 5000 });
    await expect(page.getByTestId('live-state')).toHaveAttribute('data-state', 'stale');
    await page.screenshot({ path: testInfo.outputPath('reconnecting.png'), fullPage: true });
    // a route added while this server is down, through the other replica
    const user = `missed-${run}`;
    expect((await proxyApi(`/user/${user}`, { method: 'POST', body: JSON.stringify({ target: `http://jupyter-${user}:8888`, jupyterhub: true, user }) })).status).toBe(201);
    server = await startHubmesh(options);
    await expect(page.getByTestId('live-state')).toHaveAttribute('data-state', 'live', { timeout: 15_000 });
    await expect(page.getByRole('link', { name: `/user/${user}` })).toBeVisible({ timeout: 2000 });
  } finally {
    await server.stop();
  }
});

test('signs out, and the console is closed again, even to the cookie from before', async ({ page, context }) => {
  await signIn(page);
  const captured = (await context.cookies()).filter((c) => c.name.startsWith('hubmesh_'));
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login/);
  expect((await context.cookies()).find((c) => c.name === 'hubmesh_session')).toBeUndefined();
  await page.goto('/pods');
  await expect(page).toHaveURL(/\/login\?next=%2Fpods$/);
  // the session ended on the server: putting its cookies back does not open the console
  await context.addCookies(captured);
  await page.goto('/pods');
  await expect(page).toHaveURL(/\/login\?next=%2Fpods$/);
});

test('is usable on a narrow screen and in dark mode', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.emulateMedia({ colorScheme: 'dark' });
  await signIn(page);
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await page.keyboard.press('Tab');
  await page.screenshot({ path: testInfo.outputPath('overview-narrow-dark.png'), fullPage: true });
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(background).not.toBe('rgb(255, 255, 255)');
});
