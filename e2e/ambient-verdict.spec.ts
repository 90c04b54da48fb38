import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { clusterPaths } from '../test/cluster/harness';
import { signIn } from './signin';
import { startTelemetryServer, type TelemetryServer } from './telemetry-server';

const namespace = 'jupyterhub';
const run = randomBytes(3).toString('hex');
const prefix = `e2ea${run}`;
const RUN_LABEL = 'hubmesh.io/test-run';
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);
const peerAuthentications = { group: 'security.istio.io', version: 'v1', namespace, plural: 'peerauthentications' };
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const setNamespaceLabel = (value: string | null) => core.patchNamespace({ name: namespace, body: { metadata: { labels: { 'istio.io/dataplane-mode': value } } } }, mergePatch);

/** A notebook pod on the kwok node as it runs in an ambient namespace: no sidecar, redirected to ztunnel by istio-cni. */
function ambientNotebook(user: string, labels: Record<string, string> = {}): V1Pod {
  return {
    metadata: {
      name: `jupyter-${run}-${user}`,
      labels: { component: 'singleuser-server', 'hub.jupyter.org/username': user, [RUN_LABEL]: run, ...labels },
      annotations: labels['istio.io/dataplane-mode'] === 'none' ? {} : { 'ambient.istio.io/redirection': 'enabled' },
    },
    spec: {
      containers: [{ name: 'notebook', image: 'quay.io/jupyter/base-notebook:2026-11-01' }],
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
}
const pods: string[] = [];
async function createPod(pod: V1Pod) {
  pods.push(pod.metadata!.name!);
  await core.createNamespacedPod({ namespace, body: pod });
}

// A hubmesh of this file's own, its notebooks only this run's pods, reading series labelled as ztunnel labels them:
// TCP to the notebook reported by the destination's ztunnel, all HBONE mTLS.
let own: TelemetryServer;

test.beforeAll(async () => {
  const existing = (await custom.listNamespacedCustomObject(peerAuthentications)) as { items: unknown[] };
  if (existing.items.length > 0) throw new Error(`${namespace} already holds PeerAuthentications; this spec applies and removes the namespace's own`);
  await setNamespaceLabel('ambient');
  await custom.createNamespacedCustomObject({ ...peerAuthentications, body: { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default' }, spec: { mtls: { mode: 'STRICT' } } } });
  for (const user of ['alice', 'bob']) await createPod(ambientNotebook(user));
  own = await startTelemetryServer({
    prefix,
    env: { HUBMESH_NOTEBOOK_SELECTOR: `component=singleuser-server,${RUN_LABEL}=${run}` },
    script: (exporter) => {
      const destination = { namespace, service: `jupyter-${run}-alice` };
      exporter.tcp({ reporter: 'destination', source: { namespace: 'istio-system', workload: 'istio-ingressgateway' }, destination, policy: 'mutual_tls' }, { sent: 4000, received: 1000 });
    },
  });
});

test.afterAll(async () => {
  for (const name of pods) await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 }).catch(() => undefined);
  await custom.deleteNamespacedCustomObject({ ...peerAuthentications, name: 'default' }).catch(() => undefined);
  await setNamespaceLabel(null).catch(() => undefined);
  await own?.stop();
});

test('reads an ambient namespace with STRICT and all-mTLS ztunnel traffic as compliant, and a sidecar-less pod outside the mesh as a finding', async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await page.setViewportSize({ width: 1280, height: 1000 });
  await signIn(page, `${own.base}/mesh`);
  const verdict = page.getByRole('region', { name: /^Namespace jupyterhub/ });
  // compliant once Prometheus has two scrapes of ztunnel's series in the window
  await expect(verdict.getByRole('heading')).toContainText(/: compliant$/, { timeout: 30_000 });
  const requirements = page.getByRole('list', { name: 'Requirements' });
  await expect(requirements).toContainText('STRICT by configuration');
  await expect(requirements).toContainText('all traffic mTLS');
  await expect(requirements).toContainText('every required pod in the mesh (sidecar or ambient)');
  await expect(page.getByText('Ambient (ztunnel):')).toContainText('enrolled');
  await expect(page.getByLabel('Data plane of the required pods')).toHaveText('Required pods: 2 in ambient (ztunnel)');
  await expect(page.getByRole('list', { name: 'Why not compliant' })).toHaveCount(0);
  await page.screenshot({ path: testInfo.outputPath('ambient-compliant.png'), fullPage: true });

  // a notebook that opts out of the namespace's ambient enrollment has neither a sidecar nor ztunnel
  await createPod(ambientNotebook('carol', { 'istio.io/dataplane-mode': 'none' }));
  // the page follows pods on its Prometheus interval (components/live-keys.ts): reload rather than wait for it
  await expect(async () => {
    await page.reload();
    await expect(verdict.getByRole('heading')).toContainText('not compliant', { timeout: 2_000 });
  }).toPass({ timeout: 20_000 });
  const reasons = page.getByRole('list', { name: 'Why not compliant' });
  await expect(reasons).toContainText(`notebook pod jupyter-${run}-carol is not in ambient although its namespace is: it opts out with istio.io/dataplane-mode=none, and it has no sidecar`);
  await expect(reasons.getByRole('link', { name: `Pod jupyterhub/jupyter-${run}-carol` })).toBeVisible();
  await expect(requirements).toContainText('pods outside the mesh');
  await expect(page.getByLabel('Data plane of the required pods')).toHaveText('Required pods: 2 in ambient (ztunnel) · 1 outside the mesh');
  await page.screenshot({ path: testInfo.outputPath('ambient-pod-outside-mesh.png'), fullPage: true });
});

test('previews the enroll action beside sidecar injection, warning that injection is also on', async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 1000 });
  await signIn(page, `${own.base}/mesh`);
  await expect(page.getByRole('region', { name: 'Enable sidecar injection' })).toBeVisible();
  const enroll = page.getByRole('region', { name: 'Enroll the namespace in ambient' });
  await enroll.getByRole('button', { name: 'Preview' }).click();
  await expect(enroll).toContainText('label namespace jupyterhub istio.io/dataplane-mode=ambient (enroll in ambient)');
  await expect(enroll).toContainText('dry run accepted');
  // the namespace already carries the label (set above by another manager), so applying only adds hubmesh as co-owner
  await expect(enroll.getByRole('note')).toContainText('also has sidecar injection on (istio-injection=enabled): pods that get a sidecar keep it and ztunnel skips them');
  await enroll.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('ambient-enroll-preview.png'), fullPage: true });
});
