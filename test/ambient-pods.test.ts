import { PatchStrategy, setHeaderOptions, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import { Informer, withoutManagedFields } from '@/lib/kube/informer';
import type { KindDescriptor } from '@/lib/kube/types';
import type { PodRow } from '@/lib/dashboard/view';
import { clients, eventually, HUB_NAMESPACE, notebookPod, testLog, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';

/**
 * Ambient mode on the real control plane: kwok notebook pods shaped as istio-cni leaves them (no istio-proxy,
 * the redirection annotation once ztunnel has them), the hub namespace enrolled with istio.io/dataplane-mode
 * and bound to a waypoint (a Gateway API Gateway of class istio-waypoint), and an L7 AuthorizationPolicy.
 * hubmesh runs as its least-privilege identity; what /api/v1/pods and /api/v1/users say is asserted.
 */

const adminToken = 'ambient-admin-token-0123456789';
const run = uniqueName('amb');
const waypointName = `waypoint-${run}`;
const gatewayApi = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'gateways' };
const authzApi = { group: 'security.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'authorizationpolicies' };
const AMBIENT_LABELS = ['istio.io/dataplane-mode', 'istio.io/use-waypoint'];
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** A KubeSpawner notebook pod without a sidecar, with extra labels and annotations. */
function ambientNotebook(name: string, user: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): V1Pod {
  const pod = notebookPod(name, user, { sidecar: false });
  return { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata!.labels, ...extra.labels }, annotations: { ...extra.annotations } } };
}

describe('ambient pods on the real apiserver', () => {
  const { adminCore, adminCustom } = clients();
  const names = {
    redirected: `jupyter-zoe-${run}`,
    notRedirected: `jupyter-yan-${run}`,
    optedOut: `jupyter-xia-${run}`,
    l7: `jupyter-wes-${run}`,
    sidecar: `jupyter-val-${run}`,
  };
  let hm: HubmeshProcess;
  let namespaceLabelsBefore: Record<string, string>;
  const api = (path: string) => fetch(`${hm.url}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
  const rows = async (): Promise<PodRow[]> => (await (await api(`/api/v1/pods?q=${run}&pageSize=50`)).json()).items;
  const patchNamespaceLabels = (labels: Record<string, string | null>) =>
    adminCore.patchNamespace({ name: HUB_NAMESPACE, body: { metadata: { labels } } }, mergePatch);

  beforeAll(async () => {
    namespaceLabelsBefore = (await adminCore.readNamespace({ name: HUB_NAMESPACE })).metadata?.labels ?? {};
    const taken = AMBIENT_LABELS.filter((key) => key in namespaceLabelsBefore);
    if (taken.length > 0) throw new Error(`${HUB_NAMESPACE} already carries ${taken.join(', ')}; this file sets and removes them`);
    await patchNamespaceLabels({ 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': waypointName });
    // the waypoint as `istioctl waypoint apply --for all` writes it, given an address as its controller would once its proxy runs
    await adminCustom.createNamespacedCustomObject({
      ...gatewayApi,
      body: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: waypointName, labels: { 'istio.io/waypoint-for': 'all' } },
        spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
      },
    });
    await adminCustom.patchNamespacedCustomObjectStatus(
      { ...gatewayApi, name: waypointName, body: { status: { addresses: [{ type: 'Hostname', value: `${waypointName}.${HUB_NAMESPACE}.svc.cluster.local` }] } } },
      mergePatch,
    );
    // an L7 rule (methods) for one notebook only, whose pod turns the namespace's waypoint off
    await adminCustom.createNamespacedCustomObject({
      ...authzApi,
      body: {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: `get-only-${run}` },
        spec: { selector: { matchLabels: { 'hubmesh.io/test-run': `${run}-l7` } }, action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'] } }] }] },
      },
    });
    const redirectedNow = { 'ambient.istio.io/redirection': 'enabled' };
    await Promise.all([
      adminCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: ambientNotebook(names.redirected, `zoe-${run}`, { annotations: redirectedNow }) }),
      adminCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: ambientNotebook(names.notRedirected, `yan-${run}`) }),
      adminCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: ambientNotebook(names.optedOut, `xia-${run}`, { labels: { 'istio.io/dataplane-mode': 'none' } }) }),
      adminCore.createNamespacedPod({
        namespace: HUB_NAMESPACE,
        body: ambientNotebook(names.l7, `wes-${run}`, { labels: { 'hubmesh.io/test-run': `${run}-l7`, 'istio.io/use-waypoint': 'none' }, annotations: redirectedNow }),
      }),
      adminCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: notebookPod(names.sidecar, `val-${run}`) }),
    ]);
    hm = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix: `am${run.slice(4)}`, env: { HUBMESH_ADMIN_TOKEN: adminToken } });
  });

  afterAll(async () => {
    await hm?.stop();
    await Promise.all(Object.values(names).map((name) => adminCore.deleteNamespacedPod({ namespace: HUB_NAMESPACE, name, gracePeriodSeconds: 0 }).catch(() => undefined)));
    await adminCustom.deleteNamespacedCustomObject({ ...authzApi, name: `get-only-${run}` }).catch(() => undefined);
    await adminCustom.deleteNamespacedCustomObject({ ...gatewayApi, name: waypointName }).catch(() => undefined);
    if (namespaceLabelsBefore) await patchNamespaceLabels(Object.fromEntries(AMBIENT_LABELS.map((key) => [key, null])));
  });

  it('shows each pod with its data plane, ambient enrollment, redirection and waypoint, as Istio reads them', async () => {
    const byName = await eventually(async () => {
      const found = new Map((await rows()).map((row) => [row.name, row]));
      return Object.values(names).every((name) => found.get(name)?.status === 'Running') ? found : undefined;
    }, 'the five pods Running in /api/v1/pods');
    const waypoint = { namespace: HUB_NAMESPACE, name: waypointName, found: true, ready: true, for: 'all', boundBy: 'namespace' };

    const redirected = byName.get(names.redirected)!;
    expect(redirected.dataplane).toBe('ambient');
    expect(redirected.sidecar.injected).toBe(false);
    expect(redirected.ambient).toEqual({ enrolled: true, enrolledBy: 'namespace', optedOut: false, redirected: true, waypoint });
    expect(redirected.warnings.map((w) => w.code)).toEqual(['pod-without-route']);

    const notRedirected = byName.get(names.notRedirected)!;
    expect(notRedirected).toMatchObject({ dataplane: 'ambient', ambient: { enrolled: true, redirected: false, waypoint } });
    expect(notRedirected.warnings.map((w) => w.code)).toEqual(['ztunnel-not-redirecting', 'pod-without-route']);
    expect(notRedirected.warnings[0]!.message).toContain('ambient.istio.io/redirection: enabled');

    // a sidecar-less pod outside the mesh still gets a finding, never "enrolled"
    const optedOut = byName.get(names.optedOut)!;
    expect(optedOut).toMatchObject({ dataplane: 'none', ambient: { enrolled: false, optedOut: true, redirected: false } });
    expect(optedOut.ambient.enrolledBy).toBeUndefined();
    expect(optedOut.warnings.map((w) => w.code)).toEqual(['not-enrolled', 'pod-without-route']);
    expect(optedOut.warnings[0]!.message).toContain('istio.io/dataplane-mode=none');

    const l7 = byName.get(names.l7)!;
    expect(l7).toMatchObject({ dataplane: 'ambient', ambient: { enrolled: true, redirected: true } });
    expect(l7.ambient.waypoint).toBeUndefined();
    expect(l7.warnings.map((w) => w.code)).toEqual(['waypoint-missing', 'pod-without-route']);
    expect(l7.warnings[0]!.message).toContain(`${HUB_NAMESPACE}/get-only-${run}`);

    // the injector's pod in the same namespace: the sidecar wins, ztunnel leaves it alone
    const sidecar = byName.get(names.sidecar)!;
    expect(sidecar).toMatchObject({ dataplane: 'sidecar', sidecar: { injected: true, ready: true }, ambient: { enrolled: false } });
    expect(sidecar.warnings.map((w) => w.code)).toEqual(['pod-without-route']);

    for (const row of byName.values()) expect(row.warnings.map((w) => w.code)).not.toContain('no-sidecar');
    const ambientOnly = (await (await api(`/api/v1/pods?q=${run}&dataplane=ambient`)).json()).items.map((row: PodRow) => row.name).sort();
    expect(ambientOnly).toEqual([names.l7, names.notRedirected, names.redirected].sort());
    expect((await api('/api/v1/pods?dataplane=ztunnel')).status).toBe(400);
  });

  it('follows the cluster: the waypoint going away, and the redirection annotation arriving', async () => {
    await adminCustom.deleteNamespacedCustomObject({ ...gatewayApi, name: waypointName });
    await adminCore.patchNamespacedPod(
      { namespace: HUB_NAMESPACE, name: names.notRedirected, body: { metadata: { annotations: { 'ambient.istio.io/redirection': 'enabled' } } } },
      mergePatch,
    );
    const row = await eventually(async () => {
      const found = (await rows()).find((r) => r.name === names.notRedirected);
      return found?.ambient.redirected && found.ambient.waypoint?.found === false ? found : undefined;
    }, 'the pod redirected and its waypoint gone');
    expect(row.ambient.waypoint).toEqual({ namespace: HUB_NAMESPACE, name: waypointName, found: false, ready: false, for: undefined, boundBy: 'namespace' });
    expect(row.warnings.map((w) => w.code)).toEqual(['pod-without-route']);
  });

  it('counts the users page warnings and the overview by data plane, not by sidecar', async () => {
    const overview = await (await api('/api/v1/overview')).json();
    expect(overview.counts).not.toHaveProperty('podsWithoutReadySidecar');
    const all: PodRow[] = (await (await api('/api/v1/pods?pageSize=500')).json()).items;
    const outside = all.filter((p) => !(p.dataplane === 'sidecar' ? p.sidecar.ready : p.dataplane === 'ambient' && p.ambient.redirected));
    expect(overview.counts.podsOutsideMesh).toBe(outside.length);
    expect(outside.map((p) => p.name)).toContain(names.optedOut);
    expect(outside.map((p) => p.name)).not.toContain(names.redirected);
    const users = (await (await api(`/api/v1/users?q=${run}`)).json()).items as Array<{ user: string; warnings: number }>;
    expect(users.find((u) => u.user === `xia-${run}`)?.warnings).toBe(2);
  });

  it('takes a Gateway API kind that is not installed for none at all, on the real apiserver', async () => {
    // the apiserver judges RBAC before it looks the resource up, so only an identity allowed everything gets the 404
    const connection = connect(parseConfig({ KUBECONFIG: inject('adminKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
    const notInstalled: KindDescriptor = { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'Waypoint', plural: `waypoints${run.slice(4)}` };
    const informer = new Informer(connection.backend(notInstalled), HUB_NAMESPACE, undefined, testLog, withoutManagedFields, { optionalKind: true });
    informer.start();
    expect(await informer.waitForSync(10_000)).toBe(true);
    expect(informer.status()).toMatchObject({ synced: true, objects: 0, lastError: undefined });
    informer.stop();
    // and the server, as its least-privilege identity, watched the installed Gateways without a complaint
    const gatewayFailures = hm.output().split('\n').filter((line) => line.includes('list/watch failed') && line.includes('"kind":"Gateway"'));
    expect(gatewayFailures).toEqual([]);
  });
});
