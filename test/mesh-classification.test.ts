import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import { Informer } from '@/lib/kube/informer';
import { podKind, type Pod } from '@/lib/kube/pods';
import { summarizePod } from '@/lib/mesh/pod-status';
import { NO_SIDECAR, READY_SIDECAR, RUNNING_NOTEBOOK, SIDECAR_MESH, SIDECAR_MESH_WARNINGS } from '@/lib/mesh/test-fixtures';
import type { PodSummary } from '@/lib/mesh/types';
import { majorityVersion, podWarnings } from '@/lib/mesh/warnings';
import { clients, eventually, HUB_NAMESPACE, notebookPod, testLog, uniqueName } from './helpers';

/**
 * The classification core (lib/mesh) on what a real apiserver and kwok return: pods are created in the hub
 * namespace, read back as plain JSON through hubmesh's own watch cache (as the app identity), and classified.
 */

const RUN_LABEL = 'hubmesh.io/test-run';
const run = uniqueName('mesh');
const withRunLabel = (pod: V1Pod): V1Pod => ({ ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata?.labels, [RUN_LABEL]: run } } });
const withProxyImage = (pod: V1Pod, image: string): V1Pod => ({
  ...pod,
  spec: { ...pod.spec!, containers: pod.spec!.containers.map((c) => (c.name === 'istio-proxy' ? { ...c, image } : c)) },
});

/** The pod the way Istio's injector writes it in native-sidecar mode: istio-init, then istio-proxy as a restartable init container. */
function nativeSidecarPod(name: string, username: string): V1Pod {
  const pod = notebookPod(name, username, { sidecar: false });
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      annotations: { 'sidecar.istio.io/status': JSON.stringify({ initContainers: ['istio-init', 'istio-proxy'], containers: null }) },
    },
    spec: {
      ...pod.spec!,
      initContainers: [
        { name: 'istio-init', image: 'docker.io/istio/proxyv2:1.28.1' },
        { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1', restartPolicy: 'Always' },
      ],
    },
  };
}

const everythingFine = { expectedVersion: '1.28.1', hasRoute: true, ...SIDECAR_MESH_WARNINGS };

describe('classifying real pods from the test control plane', () => {
  const { adminCore } = clients();
  const connection = connect(parseConfig({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
  const informer = new Informer<Pod>(connection.backend(podKind), HUB_NAMESPACE, `${RUN_LABEL}=${run}`, testLog);
  const pods: string[] = [];
  const nodes: string[] = [];

  async function create(pod: V1Pod): Promise<string> {
    const name = pod.metadata!.name!;
    pods.push(name);
    await adminCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: withRunLabel(pod) });
    return name;
  }

  /** The pod's summary once `until` holds for it, as seen through the watch cache. */
  function summaryWhen(name: string, until: (s: PodSummary, pod: Pod) => boolean, what: string): Promise<{ summary: PodSummary; pod: Pod }> {
    return eventually(() => {
      const pod = informer.get(name);
      if (!pod) return undefined;
      const summary = summarizePod(pod, SIDECAR_MESH);
      return until(summary, pod) ? { summary, pod } : undefined;
    }, `${name}: ${what}`, 45_000);
  }
  const runningAndReady = (s: PodSummary) => s.status === 'Running' && s.totalContainers > 0 && s.readyContainers === s.totalContainers;

  beforeAll(async () => {
    informer.start();
    expect(await informer.waitForSync(10_000)).toBe(true);
  });

  afterAll(async () => {
    informer.stop();
    await Promise.all(pods.map((name) => adminCore.deleteNamespacedPod({ namespace: HUB_NAMESPACE, name, gracePeriodSeconds: 0 }).catch(() => undefined)));
    await Promise.all(nodes.map((name) => adminCore.deleteNode({ name }).catch(() => undefined)));
  });

  it('a notebook with a classic istio-proxy sidecar: Running 2/2, injected, ready, 1.28.1', async () => {
    const name = await create(notebookPod(uniqueName('jupyter-alice'), 'alice'));
    const { summary } = await summaryWhen(name, runningAndReady, 'Running and ready');
    expect(summary).toMatchObject({ ...RUNNING_NOTEBOOK, name, namespace: HUB_NAMESPACE });
    expect(summary.podIP).toMatch(/^10\.244\./);
    expect(Date.parse(summary.createdAt ?? '')).not.toBeNaN();
    expect(podWarnings(summary, everythingFine)).toEqual([]);
    expect(podWarnings(summary, { ...everythingFine, hasRoute: false }).map((w) => w.code)).toEqual(['pod-without-route']);
  });

  it('a notebook with a native sidecar (istio-proxy as a restartable init container): Running 2/2, not Init', async () => {
    const name = await create(nativeSidecarPod(uniqueName('jupyter-nadia'), 'nadia'));
    const { summary, pod } = await summaryWhen(name, (s) => s.phase === 'Running', 'Running');
    // what kwok's pod-ready stage really writes: the plain init container terminated with Completed, the
    // restartable one started, running and ready, and the app container running and ready
    const init = Object.fromEntries((pod.status?.initContainerStatuses ?? []).map((s) => [s.name, s]));
    expect(init['istio-init']).toMatchObject({ ready: true, state: { terminated: { reason: 'Completed', exitCode: 0 } } });
    expect(init['istio-proxy']).toMatchObject({ ready: true, started: true, state: { running: {} } });
    expect(pod.status?.containerStatuses?.map((s) => [s.name, s.ready])).toEqual([['notebook', true]]);
    expect(summary).toMatchObject({
      status: 'Running',
      readyContainers: 2,
      totalContainers: 2,
      sidecar: { ...READY_SIDECAR, native: true },
    });
    expect(podWarnings(summary, everythingFine)).toEqual([]);
  });

  it('a notebook without a sidecar gets a no-sidecar warning, which says so when the pod opted out', async () => {
    const plain = await create(notebookPod(uniqueName('jupyter-bob'), 'bob', { sidecar: false }));
    const base = notebookPod(uniqueName('jupyter-olga'), 'olga', { sidecar: false });
    const optedOut = await create({ ...base, metadata: { ...base.metadata, annotations: { 'sidecar.istio.io/inject': 'false' } } });
    const [a, b] = await Promise.all([summaryWhen(plain, runningAndReady, 'Running 1/1'), summaryWhen(optedOut, runningAndReady, 'Running 1/1')]);
    expect(a.summary).toMatchObject({ status: 'Running', readyContainers: 1, totalContainers: 1, sidecar: { injected: false, optedOut: false } });
    expect(b.summary.sidecar).toEqual({ ...NO_SIDECAR, optedOut: true });
    const [warning] = podWarnings(a.summary, everythingFine);
    expect(podWarnings(a.summary, everythingFine).map((w) => w.code)).toEqual(['no-sidecar']);
    expect(warning?.message).toContain('not mTLS-encrypted');
    const [optedOutWarning] = podWarnings(b.summary, everythingFine);
    expect(optedOutWarning?.code).toBe('no-sidecar');
    expect(optedOutWarning?.message).toContain('opted out');
  });

  it('a sidecar that is not ready, as a kubelet reports it, gets a sidecar-not-ready warning', async () => {
    // kwok makes every container ready, so this pod lives on a node no kubelet (and no kwok) manages, and its
    // status is written through the status subresource the way a kubelet would
    const node = uniqueName('hubmesh-no-kubelet');
    nodes.push(node);
    await adminCore.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name: node, labels: { 'kubernetes.io/hostname': node } } } });
    const base = notebookPod(uniqueName('jupyter-carol'), 'carol');
    const name = await create({ ...base, spec: { containers: base.spec!.containers, nodeName: node } });
    await summaryWhen(name, (s) => s.node === node, 'bound to the node');

    const now = new Date();
    const current = await adminCore.readNamespacedPod({ namespace: HUB_NAMESPACE, name });
    const condition = (type: string, status: 'True' | 'False') => ({ type, status, lastTransitionTime: now });
    await adminCore.replaceNamespacedPodStatus({
      namespace: HUB_NAMESPACE,
      name,
      body: {
        ...current,
        status: {
          phase: 'Running',
          hostIP: '10.240.0.99',
          podIP: '10.250.0.9',
          podIPs: [{ ip: '10.250.0.9' }],
          startTime: now,
          conditions: [
            condition('PodScheduled', 'True'),
            condition('Initialized', 'True'),
            condition('ContainersReady', 'False'),
            condition('Ready', 'False'),
          ],
          containerStatuses: base.spec!.containers.map((c) => ({
            name: c.name,
            image: c.image!,
            imageID: '',
            ready: c.name !== 'istio-proxy',
            started: true,
            restartCount: 0,
            state: { running: { startedAt: now } },
          })),
        },
      },
    });

    const { summary } = await summaryWhen(name, (s) => s.phase === 'Running', 'Running as written');
    expect(summary).toMatchObject({
      status: 'Running',
      readyContainers: 1,
      totalContainers: 2,
      node,
      podIP: '10.250.0.9',
      sidecar: { injected: true, native: false, ready: false, version: '1.28.1' },
    });
    const warnings = podWarnings(summary, everythingFine);
    expect(warnings.map((w) => w.code)).toEqual(['sidecar-not-ready']);
    expect(warnings[0]?.message).toContain('istio-proxy');
  });

  it('an odd sidecar version among three pods: the majority is 1.28.1, the 1.27.3 pod gets sidecar-version-skew', async () => {
    const names = await Promise.all([
      create(notebookPod(uniqueName('jupyter-dan'), 'dan')),
      create(notebookPod(uniqueName('jupyter-erin'), 'erin')),
      create(withProxyImage(notebookPod(uniqueName('jupyter-frank'), 'frank'), 'docker.io/istio/proxyv2:1.27.3')),
    ]);
    const summaries = (await Promise.all(names.map((n) => summaryWhen(n, runningAndReady, 'Running and ready')))).map((r) => r.summary);
    expect(summaries.map((s) => s.sidecar.version)).toEqual(['1.28.1', '1.28.1', '1.27.3']);
    const expectedVersion = majorityVersion(summaries);
    expect(expectedVersion).toBe('1.28.1');
    const warnings = summaries.map((s) => podWarnings(s, { expectedVersion, hasRoute: true, ...SIDECAR_MESH_WARNINGS }));
    expect(warnings.map((ws) => ws.map((w) => w.code))).toEqual([[], [], ['sidecar-version-skew']]);
    expect(warnings[2]?.[0]?.message).toContain('1.27.3');
    expect(warnings[2]?.[0]?.message).toContain('1.28.1');
  });
});
