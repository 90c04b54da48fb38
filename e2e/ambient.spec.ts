import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { clusterPaths } from '../test/cluster/harness';
import { signIn } from './signin';

/**
 * The pods page under ambient, in Chromium against the cluster-mode server: the hub namespace enrolled with
 * istio.io/dataplane-mode=ambient and bound to a waypoint, kwok notebook pods without sidecars as istio-cni
 * leaves them, and one pod that opts out of ambient and so is in no mesh at all.
 */

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const gatewayApi = { group: 'gateway.networking.k8s.io', version: 'v1', namespace, plural: 'gateways' };
const waypoint = `waypoint-${run}`;
const AMBIENT_LABELS = ['istio.io/dataplane-mode', 'istio.io/use-waypoint'];
const pods = { redirected: `jupyter-ana-${run}`, notRedirected: `jupyter-ben-${run}`, outside: `jupyter-cy-${run}` };

function notebookPod(name: string, user: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> }): V1Pod {
  return {
    metadata: {
      name,
      labels: { component: 'singleuser-server', 'hub.jupyter.org/username': user, 'hub.jupyter.org/servername': '', ...extra.labels },
      annotations: extra.annotations,
    },
    spec: {
      containers: [{ name: 'notebook', image: 'quay.io/jupyter/base-notebook:2026-11-01' }],
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
}

const labelNamespace = (labels: Record<string, string | null>) => core.patchNamespace({ name: namespace, body: { metadata: { labels } } }, mergePatch);

test.beforeAll(async () => {
  const before = (await core.readNamespace({ name: namespace })).metadata?.labels ?? {};
  const taken = AMBIENT_LABELS.filter((key) => key in before);
  if (taken.length > 0) throw new Error(`${namespace} already carries ${taken.join(', ')}; this spec sets and removes them`);
  await labelNamespace({ 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': waypoint });
  await custom.createNamespacedCustomObject({
    ...gatewayApi,
    body: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: waypoint }, spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] } },
  });
  await custom.patchNamespacedCustomObjectStatus({ ...gatewayApi, name: waypoint, body: { status: { addresses: [{ type: 'Hostname', value: `${waypoint}.${namespace}.svc.cluster.local` }] } } }, mergePatch);
  await core.createNamespacedPod({ namespace, body: notebookPod(pods.redirected, `ana-${run}`, { annotations: { 'ambient.istio.io/redirection': 'enabled' } }) });
  await core.createNamespacedPod({ namespace, body: notebookPod(pods.notRedirected, `ben-${run}`, {}) });
  await core.createNamespacedPod({ namespace, body: notebookPod(pods.outside, `cy-${run}`, { labels: { 'istio.io/dataplane-mode': 'none' } }) });
});

test.afterAll(async () => {
  for (const name of Object.values(pods)) await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
  await custom.deleteNamespacedCustomObject({ ...gatewayApi, name: waypoint }).catch(() => undefined);
  await labelNamespace(Object.fromEntries(AMBIENT_LABELS.map((key) => [key, null])));
});

test('the pods page shows ambient pods as ambient (ztunnel), warns about the one not redirected, and flags the pod outside the mesh', async ({ page }, testInfo) => {
  await signIn(page, `/pods?q=${run}`);
  await expect(page.getByRole('columnheader', { name: 'Data plane' })).toBeVisible();
  const row = (name: string) => page.getByTestId(`pod-${name}`);

  await expect(row(pods.redirected)).toContainText('Running', { timeout: 10_000 });
  await expect(row(pods.redirected)).toContainText('ambient (ztunnel)');
  await expect(row(pods.redirected)).toContainText(`waypoint ${waypoint}`);
  await expect(row(pods.redirected)).not.toContainText('not redirected');

  await expect(row(pods.notRedirected)).toContainText('ambient (ztunnel)');
  await expect(row(pods.notRedirected)).toContainText('not redirected');
  await expect(row(pods.notRedirected)).toContainText('ztunnel not redirecting');

  await expect(row(pods.outside)).toContainText('none');
  await expect(row(pods.outside)).toContainText('not enrolled');
  await expect(row(pods.outside)).toContainText('opted out of ambient');
  await expect(row(pods.outside).getByTitle(/opts out of its namespace's ambient mode/)).toBeVisible();

  // never "no sidecar" for an enrolled pod, nor for the one outside an ambient namespace
  for (const name of Object.values(pods)) await expect(row(name)).not.toContainText('no sidecar');
  await page.screenshot({ path: testInfo.outputPath('pods-ambient.png'), fullPage: true });

  await page.getByLabel('Data plane').selectOption('ambient');
  await expect(row(pods.outside)).toBeHidden();
  await expect(row(pods.redirected)).toBeVisible();
  await page.getByLabel('Data plane').selectOption('');
  await page.getByLabel('Warnings').selectOption('not-enrolled');
  await expect(row(pods.outside)).toBeVisible();
  await expect(row(pods.redirected)).toBeHidden();
  await page.screenshot({ path: testInfo.outputPath('pods-not-enrolled.png'), fullPage: true });
});
