import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import { leaseKind, type Lease } from '@/lib/kube/leases';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { renderRouteVirtualService, type RenderContext } from '@/lib/routes/virtualservice';
import { clients, eventually, HUB_NAMESPACE } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { Oracle, oracleBinary } from './oracle/client';
import { expectedCluster, gatewayObject, objectsYaml, serviceObjects } from './oracle/routing-case';

/**
 * Upgrading hubmesh: objects the previous version wrote (each route alone, no nested rules) are rendered
 * again by the built server once it leads `<prefix>-routes`, in place (same uid: no object is ever missing,
 * so no request finds no route), and then Istio routes a named server to its own server.
 */
const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
const { adminCustom } = clients();
const admin = connect(parseConfig({ KUBECONFIG: inject('adminKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
const prefix = `up${randomBytes(3).toString('hex')}`;
const ctx: RenderContext = { namespace: HUB_NAMESPACE, prefix, gateway: `${HUB_NAMESPACE}/jupyterhub-gateway`, hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const routes = [
  { path: '/', target: 'http://hub:8081', port: 8081, extra: { hub: true } },
  { path: '/user/alice', target: 'http://jupyter-alice:8888', port: 8888, extra: { user: 'alice', server_name: '' } },
  { path: '/user/alice/lab2', target: 'http://jupyter-alice-lab2:8888', port: 8888, extra: { user: 'alice', server_name: 'lab2' } },
];

describe('upgrade from the previous rendering', () => {
  let hubmesh: HubmeshProcess | undefined;
  let oracle: Oracle | undefined;

  afterAll(async () => {
    await hubmesh?.stop();
    await oracle?.close();
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${prefix}` });
    await admin.backend<Lease>(leaseKind).delete(HUB_NAMESPACE, `${prefix}-routes`).catch(() => undefined);
  });

  it('renders the old objects again in place once the server leads, and Istio then routes the named server right', { timeout: 120_000 }, async () => {
    // as the previous version wrote them: each route alone, in this order (alice older than her named server)
    const before: VirtualService[] = [];
    for (const r of routes) {
      const body = renderRouteVirtualService(
        { path: r.path, data: { target: r.target, jupyterhub: true, ...r.extra }, lastActivity: new Date().toISOString() },
        { host: `${r.target.slice(7).split(':')[0]}.${HUB_NAMESPACE}.svc.cluster.local`, port: r.port },
        ctx,
      );
      before.push((await adminCustom.createNamespacedCustomObject({ ...vsGroup, body })) as VirtualService);
    }
    const byPath = (items: VirtualService[], path: string) => items.find((vs) => vs.metadata.annotations?.['hubmesh.io/route'] === path)!;

    hubmesh = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, readyTimeoutMs: 60_000 });
    const server = hubmesh;
    const alice = await eventually(async () => {
      const vs = (await adminCustom.getNamespacedCustomObject({ ...vsGroup, name: byPath(before, '/user/alice').metadata.name })) as VirtualService;
      return vs.spec.http!.length > 1 ? vs : undefined;
    }, 'alice’s route rendered again', 30_000);
    // the reconciler logs its pass once every write has returned, which can be after the object is visible
    await eventually(() => (/"routes":3,"written":1,"failed":0[^\n]*routes: rendered every route again/.test(server.output()) ? true : undefined), 'the reconciler’s log line', 10_000);

    const after = ((await adminCustom.listNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${prefix}` })) as { items: VirtualService[] }).items;
    // in place: the same three objects; only alice's changed, now carrying lab2's rule ahead of her own
    expect(after.map((vs) => vs.metadata.uid).sort()).toEqual(before.map((vs) => vs.metadata.uid).sort());
    expect(alice.spec.http!.map((r) => r.headers?.response?.set?.['x-hubmesh-route'])).toEqual([byPath(before, '/user/alice/lab2').metadata.name, alice.metadata.name]);
    for (const path of ['/', '/user/alice/lab2']) expect(byPath(after, path).metadata.resourceVersion).toBe(byPath(before, path).metadata.resourceVersion);
    const lease = await admin.backend<Lease>(leaseKind).get(HUB_NAMESPACE, `${prefix}-routes`);
    expect(lease.spec?.holderIdentity).toBeTruthy();
    // the hub's view is unchanged
    expect(Object.keys((await (await server.api('/api/routes')).json()) as object).sort()).toEqual(['/', '/user/alice', '/user/alice/lab2']);

    oracle = new Oracle(oracleBinary());
    const verdict = await oracle.judge({
      objects: objectsYaml([gatewayObject(HUB_NAMESPACE), ...serviceObjects(HUB_NAMESPACE, routes.map((r) => r.target)), ...after.map((vs) => ({ ...vs, metadata: { ...vs.metadata, managedFields: undefined } }))]),
      requests: [{ host: 'hub.example.com', path: '/user/alice/lab2/api/kernels' }, { host: 'hub.example.com', path: '/user/alice/tree' }],
    });
    expect(verdict.messages).toEqual([]);
    expect(verdict.results.map((r) => r.cluster)).toEqual([expectedCluster('http://jupyter-alice-lab2:8888', HUB_NAMESPACE), expectedCluster('http://jupyter-alice:8888', HUB_NAMESPACE)]);
  });
});
