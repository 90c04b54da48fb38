import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { expect, test } from '@playwright/test';
import { clusterPaths } from '../test/cluster/harness';
import { signIn } from './signin';
import { startTelemetryServer, type TelemetryServer } from './telemetry-server';

const namespace = 'jupyterhub';
const root = 'istio-system';
const run = randomBytes(3).toString('hex');
const prefix = `e2ei${run}`;
const runLabel = 'hubmesh-e2e-isolation';
const users = [`ada${run}`, `bea${run}`];
const accounts = { gateway: `gw-${run}`, hub: `hub-${run}`, hubmesh: `hubmesh-${run}`, notebooks: `nb-${run}` };
const kc = new KubeConfig();
kc.loadFromFile(clusterPaths().adminKubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const custom = kc.makeApiClient(CustomObjectsApi);

/** A pod the mesh injected (istio-proxy beside its container), on the kwok node. */
function meshPod(name: string, podNamespace: string, labels: Record<string, string>, serviceAccountName: string, port: number): V1Pod {
  return {
    metadata: { name, namespace: podNamespace, labels, annotations: { 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'] }), ...(labels['hub.jupyter.org/username'] ? { 'hub.jupyter.org/username': labels['hub.jupyter.org/username'] } : {}) } },
    spec: {
      serviceAccountName,
      containers: [
        { name: 'main', image: 'app', ports: [{ name: 'notebook-port', containerPort: port }] },
        { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1' },
      ],
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
}

const pods = [
  meshPod(`istio-ingressgateway-${run}`, root, { istio: 'ingressgateway' }, accounts.gateway, 8080),
  meshPod(`hub-${run}`, namespace, { component: 'hub' }, accounts.hub, 8081),
  meshPod(`hubmesh-${run}`, namespace, { 'app.kubernetes.io/name': 'hubmesh' }, accounts.hubmesh, 3000),
  ...users.map((u) => meshPod(`jupyter-${u}`, namespace, { component: 'singleuser-server', [runLabel]: run, 'hub.jupyter.org/username': u }, accounts.notebooks, 8888)),
];

// A hubmesh of this file's own, whose notebooks are this file's two, with Debian's Prometheus scraping what
// their sidecars report: the gateway's requests, and a monitoring agent that scrapes ada's notebook directly.
let own: TelemetryServer;
let base: string;

test.beforeAll(async () => {
  for (const [ns, name] of [[root, accounts.gateway], [namespace, accounts.hub], [namespace, accounts.hubmesh], [namespace, accounts.notebooks]] as const) {
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
  }
  for (const pod of pods) await core.createNamespacedPod({ namespace: pod.metadata!.namespace!, body: pod });
  own = await startTelemetryServer({
    prefix,
    env: { HUBMESH_NOTEBOOK_SELECTOR: `component=singleuser-server,${runLabel}=${run}` },
    script: (exporter) => {
      exporter.requests({ source: { namespace: root, workload: 'istio-ingressgateway', serviceAccount: accounts.gateway }, destination: { namespace, service: `jupyter-${users[0]}` }, policy: 'mutual_tls' }, 3);
      exporter.requests({ source: { namespace: 'monitoring', workload: 'metrics-agent' }, destination: { namespace, service: `jupyter-${users[0]}` }, policy: 'mutual_tls' }, 1);
    },
  });
  base = own.base;
  // the preview lists real sources once Prometheus has scraped them: wait for that, as the admin would
  const cookie = await own.sessionCookie();
  await expect
    .poll(async () => ((await (await fetch(`${base}/api/v1/mesh/isolation/isolate?window=1h`, { headers: { cookie } })).json()) as { blockedSources?: unknown[] }).blockedSources?.length ?? 0, {
      timeout: 60_000,
    })
    .toBeGreaterThan(0);
});

test.afterAll(async () => {
  await custom.deleteCollectionNamespacedCustomObject({ group: 'security.istio.io', version: 'v1', namespace, plural: 'authorizationpolicies', labelSelector: `hubmesh.io/prefix=${prefix}` }).catch(() => undefined);
  for (const pod of pods) await core.deleteNamespacedPod({ namespace: pod.metadata!.namespace!, name: pod.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
  for (const [ns, name] of [[root, accounts.gateway], [namespace, accounts.hub], [namespace, accounts.hubmesh], [namespace, accounts.notebooks]] as const) {
    await core.deleteNamespacedServiceAccount({ namespace: ns, name }).catch(() => undefined);
  }
  await own?.stop();
});

test('isolates notebooks: the verdict fails, the preview lists what would be blocked, apply, the verdict passes', async ({ page }) => {
  await signIn(page, `${base}/isolation`);
  const verdict = page.getByRole('region', { name: 'Isolation verdict' });
  await expect(verdict.getByTestId('isolation-state')).toHaveText(/^Not isolated/, { timeout: 30_000 });
  await expect(verdict).toContainText(`notebooks running as ${namespace}/${accounts.notebooks} can reach the notebooks of ${users[0]} and ${users[1]}: no ALLOW policy applies, so everything is allowed`);
  const notebooks = page.getByRole('table', { name: `Who may reach the notebooks of ${users[0]} and ${users[1]}` });
  await expect(notebooks.getByRole('row', { name: /another namespace/ })).toHaveAttribute('data-tone', 'bad');
  await page.screenshot({ path: test.info().outputPath('isolation-failing.png'), fullPage: true });
  await notebooks.screenshot({ path: test.info().outputPath('isolation-failing-notebooks.png') });

  await page.getByRole('button', { name: 'Preview isolation' }).click();
  const policies = page.getByRole('list', { name: 'Policies to apply' });
  await expect(policies).toContainText(`${prefix}-isolate-notebooks`);
  await expect(policies).toContainText(`${prefix}-isolate-hub`);
  await expect(policies).toContainText(`${prefix}-isolate-hubmesh`);
  await expect(page.getByRole('list', { name: 'What would be denied that is allowed today' })).toContainText(
    `a notebook (${namespace}/${accounts.notebooks}) could no longer reach the notebooks of ${users[0]} and ${users[1]}`,
  );
  const blocked = page.getByRole('list', { name: 'Sources seen in the last 1h that would be blocked' });
  await expect(blocked).toContainText('monitoring/metrics-agent');
  await expect(blocked).toContainText(`jupyter-${users[0]}`);
  await expect(blocked).not.toContainText('istio-ingressgateway');
  await page.screenshot({ path: test.info().outputPath('isolation-preview.png'), fullPage: true });
  await blocked.screenshot({ path: test.info().outputPath('isolation-preview-blocked.png') });
  await page.getByRole('list', { name: 'What would be denied that is allowed today' }).screenshot({ path: test.info().outputPath('isolation-preview-denied.png') });

  await page.getByRole('button', { name: 'Apply isolation' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Applied ${namespace}/${prefix}-isolate-notebooks` })).toBeVisible();
  await expect(verdict.getByTestId('isolation-state')).toHaveText(/^Isolated/, { timeout: 30_000 });
  await expect(notebooks.getByRole('row', { name: /another namespace/ })).not.toHaveAttribute('data-tone', 'bad');
  await page.screenshot({ path: test.info().outputPath('isolation-passing.png'), fullPage: true });
  await verdict.screenshot({ path: test.info().outputPath('isolation-passing-verdict.png') });
  await notebooks.screenshot({ path: test.info().outputPath('isolation-passing-notebooks.png') });
});
