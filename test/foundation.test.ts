import { ApiException } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { parseConfig } from '@/lib/config';
import { clusterBackend } from '@/lib/kube/cluster-backend';
import { connect } from '@/lib/kube/connection';
import { Informer, type ChangeType } from '@/lib/kube/informer';
import { podKind, type Pod } from '@/lib/kube/pods';
import { virtualServiceKind, type VirtualService } from '@/lib/kube/virtualservices';
import { clients, eventually, HUB_NAMESPACE, notebookPod, testLog, uniqueName } from './helpers';

const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };

function virtualService(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'hubmesh' } },
    spec,
  };
}

async function rejection(promise: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) {
      const body = typeof error.body === 'string' ? JSON.parse(error.body) : error.body;
      return { code: error.code, message: String(body?.message) };
    }
    throw error;
  }
  throw new Error('expected the apiserver to refuse the request');
}

describe('the test control plane is real', () => {
  const { adminCore, adminCustom, appCustom, appCore } = clients();
  const connection = connect(parseConfig({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('connects in cluster mode as the app identity', () => {
    expect(connection.mode).toBe('cluster');
    expect(connection.mode === 'cluster' && connection.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(connection.namespace).toBe(HUB_NAMESPACE);
  });

  it('stores a networking.istio.io/v1 VirtualService created through client-node', async () => {
    const name = uniqueName('vs-valid');
    cleanups.push(() => adminCustom.deleteNamespacedCustomObject({ ...vsGroup, name }));
    const spec = {
      hosts: ['*'],
      gateways: ['istio-system/jupyterhub-gateway'],
      http: [{ match: [{ uri: { prefix: '/user/alice/' } }], route: [{ destination: { host: 'jupyter-alice.jupyterhub.svc.cluster.local', port: { number: 8888 } } }], timeout: '3600s' }],
    };
    await appCustom.createNamespacedCustomObject({ ...vsGroup, body: virtualService(name, spec) });
    const stored = (await adminCustom.getNamespacedCustomObject({ ...vsGroup, name })) as VirtualService;
    expect(stored.apiVersion).toBe('networking.istio.io/v1');
    expect(stored.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(stored.spec).toEqual(spec);
  });

  it('rejects a VirtualService that breaks the CRD schema (type check)', async () => {
    const refused = await rejection(
      appCustom.createNamespacedCustomObject({ ...vsGroup, body: virtualService(uniqueName('vs-bad-type'), { hosts: 'not-a-list' }) }),
    );
    expect(refused.code).toBe(422);
    expect(refused.message).toContain('spec.hosts');
    expect(refused.message).toMatch(/must be of type array/);
  });

  it("rejects a VirtualService that breaks one of the CRD's CEL rules", async () => {
    const refused = await rejection(
      appCustom.createNamespacedCustomObject({
        ...vsGroup,
        body: virtualService(uniqueName('vs-bad-cel'), { hosts: ['*'], http: [{ route: [{ destination: { host: 'x' } }], timeout: '0s' }] }),
      }),
    );
    expect(refused.code).toBe(422);
    expect(refused.message).toContain('spec.http[0].timeout');
    expect(refused.message).toContain('must be a valid duration greater than 1ms');
  });

  it("limits the app identity to its Role: it may not read Secrets, nor write outside the hub namespace", async () => {
    const secrets = await rejection(appCore.listNamespacedSecret({ namespace: HUB_NAMESPACE }));
    expect(secrets.code).toBe(403);
    expect(secrets.message).toContain('User "hubmesh-app" cannot list resource "secrets"');
    const elsewhere = await rejection(
      appCustom.createNamespacedCustomObject({ ...vsGroup, namespace: 'default', body: virtualService(uniqueName('vs'), { hosts: ['*'] }) }),
    );
    expect(elsewhere.code).toBe(403);
    const pods = await rejection(appCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: notebookPod(uniqueName('p'), 'x') }));
    expect(pods.code).toBe(403);
  });

  it('lists and watches VirtualServices through the app kube layer', async () => {
    const informer = new Informer<VirtualService>(connection.backend(virtualServiceKind), HUB_NAMESPACE, 'app.kubernetes.io/managed-by=hubmesh', testLog);
    const seen: Array<[ChangeType, string]> = [];
    informer.subscribe((type, o) => seen.push([type, o.metadata.name]));
    informer.start();
    try {
      expect(await informer.waitForSync(10_000)).toBe(true);
      const name = uniqueName('vs-watched');
      await adminCustom.createNamespacedCustomObject({ ...vsGroup, body: virtualService(name, { hosts: ['*'] }) });
      await eventually(() => informer.get(name), `${name} in the cache`);
      await adminCustom.deleteNamespacedCustomObject({ ...vsGroup, name });
      await eventually(() => (informer.get(name) ? undefined : true), `${name} gone from the cache`);
      expect(seen.filter(([, n]) => n === name)).toEqual([
        ['ADDED', name],
        ['DELETED', name],
      ]);
      // objects without hubmesh's label are not in the cache
      const foreign = uniqueName('vs-foreign');
      cleanups.push(() => adminCustom.deleteNamespacedCustomObject({ ...vsGroup, name: foreign }));
      await adminCustom.createNamespacedCustomObject({ ...vsGroup, body: { ...virtualService(foreign, { hosts: ['*'] }), metadata: { name: foreign } } });
      const marker = uniqueName('vs-marker');
      cleanups.push(() => adminCustom.deleteNamespacedCustomObject({ ...vsGroup, name: marker }));
      await adminCustom.createNamespacedCustomObject({ ...vsGroup, body: virtualService(marker, { hosts: ['*'] }) });
      await eventually(() => informer.get(marker), 'the marker VirtualService');
      expect(informer.get(foreign)).toBeUndefined();
    } finally {
      informer.stop();
    }
  });

  it('lists in pages from one snapshot, shaping each item as it arrives', async () => {
    if (connection.mode !== 'cluster') throw new Error('expected cluster mode');
    const run = uniqueName('paged');
    const names = Array.from({ length: 5 }, (_, i) => `${run}-${i}`);
    for (const name of names) {
      cleanups.push(() => adminCustom.deleteNamespacedCustomObject({ ...vsGroup, name }));
      await adminCustom.createNamespacedCustomObject({ ...vsGroup, body: { ...virtualService(name, { hosts: ['*'] }), metadata: { name, labels: { 'hubmesh.io/test-run': run } } } });
    }
    const gets: number[] = [];
    const observer = connection.rest.observer;
    connection.rest.observer = (verb, status) => verb === 'GET' && gets.push(status);
    try {
      const paged = clusterBackend<VirtualService>(connection.rest, virtualServiceKind, 'hubmesh', 2);
      const list = await paged.list(HUB_NAMESPACE, `hubmesh.io/test-run=${run}`, (vs) => ({ ...vs, spec: { hosts: ['shaped'] } }));
      expect(list.items.map((vs) => vs.metadata.name).sort()).toEqual(names);
      expect(list.items.every((vs) => vs.spec.hosts?.[0] === 'shaped')).toBe(true);
      expect(Number(list.resourceVersion)).toBeGreaterThan(0);
      expect(gets).toEqual([200, 200, 200]); // 2 + 2 + 1
    } finally {
      connection.rest.observer = observer;
    }
  });

  it('runs a notebook pod with an istio-proxy sidecar to 2/2 ready under kwok, seen through the watch cache', async () => {
    const informer = new Informer<Pod>(connection.backend(podKind), HUB_NAMESPACE, 'component=singleuser-server', testLog);
    const phases: string[] = [];
    const name = uniqueName('jupyter-alice');
    informer.subscribe((_t, pod) => {
      if (pod.metadata.name === name) phases.push(pod.status?.phase ?? 'none');
    });
    informer.start();
    try {
      expect(await informer.waitForSync(10_000)).toBe(true);
      cleanups.push(() => adminCore.deleteNamespacedPod({ namespace: HUB_NAMESPACE, name, gracePeriodSeconds: 0 }));
      await adminCore.createNamespacedPod({ namespace: HUB_NAMESPACE, body: notebookPod(name, 'alice') });
      const running = await eventually(() => {
        const pod = informer.get(name);
        const statuses = pod?.status?.containerStatuses ?? [];
        return pod?.status?.phase === 'Running' && statuses.length === 2 && statuses.every((s) => s.ready) ? pod : undefined;
      }, `${name} Running with 2/2 ready`);
      expect(running.spec?.nodeName).toBe('kwok-node-0');
      expect(running.status?.containerStatuses?.map((s) => s.name).sort()).toEqual(['istio-proxy', 'notebook']);
      expect(running.status?.podIP).toMatch(/^10\.244\./);
      expect(phases.at(-1)).toBe('Running');
      expect(phases.length).toBeGreaterThanOrEqual(2); // created (Pending), then updated by the scheduler and kwok
    } finally {
      informer.stop();
    }
  });
});
