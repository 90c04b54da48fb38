import { randomBytes } from 'node:crypto';
import { CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { clusterPaths } from '../test/cluster/harness';
import { signIn } from './signin';
import { startTelemetryServer, type TelemetryServer } from './telemetry-server';

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const prefix = `e2em${run}`;
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const custom = kc.makeApiClient(CustomObjectsApi);
const peerAuthentications = { group: 'security.istio.io', version: 'v1', namespace, plural: 'peerauthentications' };

// A hubmesh of this file's own, with Debian's Prometheus scraping Istio's metrics from a test exporter:
// the notebook Service gets 3 req/s over mTLS and 1 req/s of plaintext from outside the mesh.
let own: TelemetryServer;
let base: string;

test.beforeAll(async () => {
  const existing = (await custom.listNamespacedCustomObject(peerAuthentications)) as { items: unknown[] };
  if (existing.items.length > 0) throw new Error(`${namespace} already holds PeerAuthentications; this spec applies and removes the namespace's own`);
  const destination = { namespace, service: `jupyter-${run}` };
  own = await startTelemetryServer({
    prefix,
    script: (exporter) => {
      exporter.requests({ source: { namespace, workload: 'proxy' }, destination, policy: 'mutual_tls' }, 3);
      exporter.requests({ source: { namespace: 'default', workload: 'curl' }, destination, policy: 'none' }, 1);
    },
  });
  base = own.base;
});

test.afterAll(async () => {
  await custom.deleteNamespacedCustomObject({ ...peerAuthentications, name: 'default' }).catch(() => undefined);
  await own?.stop();
});

test('shows the verdict with its reasons, applies STRICT after a preview, and the audit list records it', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await signIn(page, `${base}/mesh`);
  const verdict = page.getByRole('region', { name: /^Namespace jupyterhub/ });
  await expect(verdict).toContainText('not compliant');
  const reasons = page.getByRole('list', { name: 'Why not compliant' });
  await expect(reasons).toContainText('mTLS is PERMISSIVE, not STRICT');
  // the plaintext flow shows once Prometheus has two scrapes of it in the window
  await expect(reasons).toContainText(`default/curl → jupyter-${run} (none)`, { timeout: 20_000 });
  await expect(page.getByRole('table', { name: 'Traffic per destination service' })).toContainText('75.0%');
  await page.screenshot({ path: testInfo.outputPath('mesh-not-compliant.png'), fullPage: true });

  const strict = page.getByRole('region', { name: 'Enforce STRICT mTLS' });
  await strict.getByRole('button', { name: 'Preview' }).click();
  await expect(strict).toContainText('dry run accepted');
  await expect(strict.getByLabel('Diff')).toContainText('+  mtls:');
  await expect(strict.getByLabel('Diff')).toContainText('+    mode: STRICT');
  await page.screenshot({ path: testInfo.outputPath('mesh-strict-preview.png'), fullPage: true });
  await strict.getByRole('button', { name: 'Apply' }).click();
  await expect(strict.getByRole('status')).toContainText('Applied. Recorded as Event');

  // the PeerAuthentication comes back through the watch, and the page follows without a reload
  await expect(page.getByRole('list', { name: 'Requirements' })).toContainText('STRICT by configuration', { timeout: 5000 });
  await expect(reasons).not.toContainText('not STRICT');
  await expect(reasons).toContainText(`default/curl → jupyter-${run}`);
  // the share history (polled every 30 s) once Prometheus has some: drawn by uPlot on a canvas, named with its summary
  const history = page.getByRole('img', { name: /^mutual TLS share of requests to jupyterhub, last hour: lowest \d+\.\d%$/ });
  await expect(history.locator('canvas').first()).toBeVisible({ timeout: 45_000 });
  await page.screenshot({ path: testInfo.outputPath('mesh-strict-applied.png'), fullPage: true });

  await page.getByRole('link', { name: 'Audit' }).first().click();
  const entry = page.getByRole('row').filter({ hasText: 'PeerAuthentication jupyterhub/default' }).first();
  await expect(entry).toContainText('admin');
  await expect(entry).toContainText('AppliedByHubmesh');
  await expect(page.getByTestId('audit-reach')).toContainText('Events reach back to');
  await expect(page.getByTestId('audit-reach')).toContainText('hubmesh change');
  await page.screenshot({ path: testInfo.outputPath('audit.png'), fullPage: true });

  await page.getByRole('link', { name: 'Doctor' }).click();
  await expect(page.getByRole('table', { name: 'Validation rules' })).toContainText('HM1001');
  await page.screenshot({ path: testInfo.outputPath('doctor.png'), fullPage: true });
});

test('fits a narrow screen', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, `${base}/mesh`);
  await expect(page.getByRole('heading', { name: 'Mesh security' })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  await page.screenshot({ path: testInfo.outputPath('mesh-narrow.png'), fullPage: true });
});
