import type { RouteObject } from '@/lib/routes/route-objects';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import { isConflict } from '@/lib/kube/errors';
import type { ResourceBackend } from '@/lib/kube/types';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { NO_OVERLAYS, type Overlays } from '@/lib/routes/overlays';
import { primaryDestination, renderRouteVirtualService, routeFromObject } from '@/lib/routes/virtualservice';
import { ANNOTATIONS } from '@/lib/kube/labels';
import { CLUSTER_DOMAIN, routeReplica, testRenderContext } from './route-replica';
import { clients, HUB_NAMESPACE } from './helpers';

const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
const { adminCore, adminCustom } = clients();
const app = connect(parseConfig({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));

const ctx = testRenderContext('ov');
const suffix = ctx.prefix.slice(2);
const target = `jupyter-ov-${suffix}`;
const canaryTarget = `${target}-next`;
const preview = `preview-${suffix}`;
const host = (service: string) => `${service}.${HUB_NAMESPACE}.svc.${CLUSTER_DOMAIN}`;
const hubData = (service = target) => ({ target: `http://${service}:8888`, jupyterhub: true, user: 'ov', server_name: '' });

const replicas: Array<{ stop(): void }> = [];

/** A replica as the app identity; `wrap` may wrap its VirtualService backend. */
async function replica(wrap?: (b: ResourceBackend<RouteObject>) => ResourceBackend<RouteObject>) {
  const r = await routeReplica(app, ctx, wrap);
  replicas.push(r);
  return r;
}

const stored = (name: string) => adminCustom.getNamespacedCustomObject({ ...vsGroup, name }) as Promise<VirtualService>;

/** What a fresh render says, but for last_activity, which only the route's own history sets. */
const plainParts = (vs: VirtualService) => {
  const { [ANNOTATIONS.lastActivity]: lastActivity, ...annotations } = vs.metadata.annotations ?? {};
  expect(lastActivity).toBeDefined();
  return { spec: vs.spec, labels: vs.metadata.labels, annotations };
};

describe('route overlays on the real apiserver', () => {
  let hubmesh: Awaited<ReturnType<typeof replica>>;

  beforeAll(async () => {
    const service = (name: string, ports: Array<{ name: string; port: number }>) =>
      adminCore.createNamespacedService({ namespace: HUB_NAMESPACE, body: { metadata: { name }, spec: { selector: { app: name }, ports } } });
    await service(target, [{ name: 'http', port: 8888 }]);
    await service(canaryTarget, [{ name: 'http', port: 8888 }]);
    await service(preview, [
      { name: 'http', port: 80 },
      { name: 'metrics', port: 9090 },
    ]);
    hubmesh = await replica();
  });

  afterAll(async () => {
    for (const r of replicas) r.stop();
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${ctx.prefix}` });
    for (const name of [target, canaryTarget, preview]) await adminCore.deleteNamespacedService({ namespace: HUB_NAMESPACE, name }).catch(() => undefined);
  });

  /** A new route as the hub POSTs it, and its stored object. */
  async function route(path: string) {
    const { name } = await hubmesh.routes.upsert(path, hubData());
    return stored(name);
  }

  const overlaysOfKind: Array<[string, Overlays]> = [
    ['header exact', { rules: [{ name: 'testers', match: { header: 'x-tester', exact: 'yes' }, destination: { service: preview, port: 80 } }] }],
    ['header regex', { rules: [{ name: 'beta', match: { header: 'user-agent', regex: '(?i).*beta[0-9]+.*' }, destination: { service: canaryTarget, subset: 'v2' } }] }],
    ['cookie', { rules: [{ name: 'preview', match: { cookie: 'hubmesh-preview', value: 'feature-x.1+2' }, destination: { service: preview, port: 80 } }] }],
    ['canary', { canary: { weights: { current: 90, canary: 10 }, destination: { service: canaryTarget } }, rules: [] }],
    [
      'all together',
      {
        canary: { weights: { current: 100, canary: 0 }, destination: { service: canaryTarget, port: 8888 } },
        rules: [
          { name: 'z-first', match: { cookie: 'c', value: 'v' }, destination: { service: preview, port: 80 } },
          { name: 'a-second', match: { header: 'x-a', exact: 'b' }, destination: { service: canaryTarget } },
        ],
      },
    ],
  ];

  it.each(overlaysOfKind)('stores a %s overlay as Istio’s CRD accepts it, and reads it back as rendered', async (kind, overlays) => {
    const path = `/user/ov-${kind.replace(/ /g, '-')}`;
    const plain = await route(path);
    const { before, after } = await hubmesh.routes.setOverlays(path, overlays);
    expect(before.metadata.resourceVersion).toBe(plain.metadata.resourceVersion);

    const back = await stored(plain.metadata.name);
    expect(back.metadata.resourceVersion).toBe(after.metadata.resourceVersion);
    const expected = renderRouteVirtualService(routeFromObject(plain)!, primaryDestination(plain)!, { ...ctx, clusterDomain: CLUSTER_DOMAIN }, overlays);
    expect(back.spec).toEqual(expected.spec);
    expect(back.metadata.annotations).toEqual(expected.metadata.annotations);
    expect(routeFromObject(back)).toEqual({ ...routeFromObject(plain), overlays });
    expect(back.spec.http?.map((r) => r.name)).toEqual([...overlays.rules.map((r) => `rule-${r.name}`), 'route']);
  });

  it('keeps the overlays when the hub re-POSTs the route, unchanged (writing nothing) or with a new target', async () => {
    const plain = await route('/user/ov-repost');
    const overlays = overlaysOfKind.at(-1)![1];
    const { after } = await hubmesh.routes.setOverlays(plain.metadata.name, overlays);

    expect(await hubmesh.routes.upsert('/user/ov-repost', hubData())).toMatchObject({ written: false });
    expect((await stored(plain.metadata.name)).metadata.resourceVersion).toBe(after.metadata.resourceVersion);

    expect(await hubmesh.routes.upsert('/user/ov-repost', hubData(preview))).toMatchObject({ written: true });
    const moved = await stored(plain.metadata.name);
    expect(primaryDestination(moved)).toEqual({ host: host(preview), port: 8888 });
    const record = routeFromObject(moved)!;
    expect(record.overlays).toEqual(overlays);
    expect(moved.spec).toEqual(renderRouteVirtualService(record, { host: host(preview), port: 8888 }, { ...ctx, clusterDomain: CLUSTER_DOMAIN }, overlays).spec);
  });

  it('turning the overlays off restores the plain route exactly', async () => {
    const plain = await route('/user/ov-off');
    await hubmesh.routes.setOverlays('/user/ov-off', overlaysOfKind.at(-1)![1]);
    const { after } = await hubmesh.routes.setOverlays('/user/ov-off', NO_OVERLAYS);
    const fresh = renderRouteVirtualService({ path: '/user/ov-off', data: hubData(), lastActivity: new Date().toISOString() }, { host: host(target), port: 8888 }, ctx);
    expect(plainParts(await stored(plain.metadata.name))).toEqual(plainParts(fresh));
    expect(plainParts(after as VirtualService)).toEqual(plainParts(plain));
  });

  it('a dry run answers with what the apiserver would store, and stores nothing', async () => {
    const plain = await route('/user/ov-dry');
    const overlays = overlaysOfKind[0]![1];
    const { before, after } = await hubmesh.routes.setOverlays('/user/ov-dry', overlays, { dryRun: true });
    expect(before.metadata.resourceVersion).toBe(plain.metadata.resourceVersion);
    expect((after as VirtualService).spec.http?.map((r) => r.name)).toEqual(['rule-testers', 'route']);
    expect(routeFromObject(after)?.overlays).toEqual(overlays);
    const unchanged = await stored(plain.metadata.name);
    expect(unchanged.metadata.resourceVersion).toBe(plain.metadata.resourceVersion);
    expect(unchanged.spec).toEqual(plain.spec);
  });

  it('refuses overlays whose destinations the namespace does not have, naming the field', async () => {
    await route('/user/ov-bad');
    const rule = overlaysOfKind[0]![1].rules[0]!;
    await expect(hubmesh.routes.setOverlays('/user/ov-bad', { rules: [{ ...rule, destination: { service: `gone-${suffix}` } }] })).rejects.toMatchObject({
      status: 400,
      message: `rules[0].destination.service: no Service "gone-${suffix}" in namespace ${HUB_NAMESPACE}`,
    });
    await expect(hubmesh.routes.setOverlays('/user/ov-bad', { rules: [{ ...rule, destination: { service: preview } }] })).rejects.toMatchObject({
      status: 400,
      message: `rules[0].destination.port: required: Service ${preview} has 2 ports (80 (http), 9090 (metrics)), so Istio cannot pick one`,
    });
    await expect(hubmesh.routes.setOverlays('/user/ov-none', overlaysOfKind[0]![1])).rejects.toMatchObject({ status: 404 });
  });

  /**
   * Two replicas: `racer`'s next VirtualService write waits until `other` has finished its own request
   * against the same object, so the racer's write meets a real 409 from the apiserver.
   */
  async function race(other: () => Promise<unknown>) {
    let pending: (() => Promise<unknown>) | undefined = other;
    const conflicts: unknown[] = [];
    const racer = await replica((b) => ({
      ...b,
      replace: async (ns, object) => {
        const first = pending;
        pending = undefined;
        await first?.();
        return b.replace(ns, object).catch((error: unknown) => {
          if (isConflict(error)) conflicts.push(error);
          throw error;
        });
      },
    }));
    return { racer: racer.routes, conflicts };
  }

  it('a hub re-POST that meets a 409 from an overlay update keeps the overlays and the new target', async () => {
    const plain = await route('/user/ov-race-post');
    const overlays = overlaysOfKind[3]![1];
    const { racer, conflicts } = await race(() => hubmesh.routes.setOverlays('/user/ov-race-post', overlays));
    expect(await racer.upsert('/user/ov-race-post', hubData(preview))).toMatchObject({ written: true });
    expect(conflicts).toHaveLength(1);
    const final = await stored(plain.metadata.name);
    expect(primaryDestination(final)).toEqual({ host: host(preview), port: 8888 });
    expect(routeFromObject(final)?.overlays).toEqual(overlays);
    expect(final.spec.http?.find((r) => r.name === 'route')?.route?.map((d) => [d.destination.host, d.weight])).toEqual([
      [host(preview), 90],
      [host(canaryTarget), 10],
    ]);
  });

  it('an overlay update that meets a 409 from a hub re-POST keeps the new target and the overlays', async () => {
    const plain = await route('/user/ov-race-set');
    const overlays = overlaysOfKind[2]![1];
    const { racer, conflicts } = await race(() => hubmesh.routes.upsert('/user/ov-race-set', hubData(preview)));
    const { after } = await racer.setOverlays('/user/ov-race-set', overlays);
    expect(conflicts).toHaveLength(1);
    const final = await stored(plain.metadata.name);
    expect(final.metadata.resourceVersion).toBe(after.metadata.resourceVersion);
    expect(primaryDestination(final)).toEqual({ host: host(preview), port: 8888 });
    expect(routeFromObject(final)?.overlays).toEqual(overlays);
    expect(final.spec.http?.map((r) => r.name)).toEqual(['rule-preview', 'route']);
  });
});
