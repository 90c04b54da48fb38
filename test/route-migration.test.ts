import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RouteObject } from '@/lib/routes/route-objects';
import { isAcceptedHttpRoute, parentReference } from '@/lib/routes/httproute';
import type { HTTPRouteObject } from '@/lib/kube/httproutes';
import { virtualServiceName } from '@/lib/routes/routespec';
import { clients, HUB_NAMESPACE, uniqueName } from './helpers';
import { routeBackend, startHubmesh, TEST_HTTPROUTE_GATEWAY, type HubmeshProcess, type RouteApi } from './hubmesh-process';
import { GatewayStatusWriter, testGatewayObject } from './gateway-status';
import { Oracle, oracleBinary } from './oracle/client';
import { destinationOf, listRouteObjects, routeObjectGroup } from './route-objects';

/**
 * Switching HUBMESH_ROUTE_API on a running hub: hubmesh restarts with the other backend while the hub keeps adding and
 * deleting routes, and the leader moves every route over (route-migration.ts). No istiod runs here: the HTTPRoutes'
 * status comes from Istio's own gateway controller in istio-oracle (test/gateway-status.ts).
 */
const { adminCore, adminCustom } = clients();
const ROUTES = 12;
const STORM_PATHS = 8;

type Table = Record<string, Record<string, unknown>>;

describe('migrating the routes between the backends under a POST/DELETE storm', () => {
  const prefix = `mg${uniqueName('x').slice(2)}`;
  const selector = `hubmesh.io/prefix=${prefix}`;
  const services: string[] = [];
  const appKubeconfig = inject('appKubeconfig');
  let oracle: Oracle;
  let statusWriter: GatewayStatusWriter;
  let hm: HubmeshProcess | undefined;
  /** what the hub last got a 2xx for: the table GET must answer */
  const expected = new Map<string, Record<string, unknown>>();

  const serviceFor = (i: number | string) => `jupyter-${prefix}-${i}`;
  const body = (i: number | string, extra: Record<string, unknown> = {}) => ({ target: `http://${serviceFor(i)}:8888`, jupyterhub: true, user: `u${i}`, server_name: '', ...extra });
  const objects = (api: RouteApi) => listRouteObjects(adminCustom, api, selector);
  const table = async (): Promise<Table> => {
    const r = await hm!.api('/api/routes');
    if (r.status !== 200) throw new Error(`GET /api/routes: ${r.status}`);
    return (await r.json()) as Table;
  };
  const withoutActivity = (t: Table) => Object.fromEntries(Object.entries(t).map(([path, { last_activity: _, ...data }]) => [path, data]));

  /** One hub request, repeated (as the hub's own retries and periodic check do) until hubmesh answers it. */
  async function hubCall(path: string, method: 'POST' | 'DELETE', data?: unknown): Promise<number> {
    for (;;) {
      const process = hm;
      const r = await process?.api(`/api/routes${path}`, { method, ...(data ? { body: JSON.stringify(data) } : {}) }).catch(() => undefined);
      if (r && (r.status < 500 || r.status === 404)) return r.status;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Keeps adding and deleting the storm's routes until `stop` resolves, recording what the hub was told. */
  async function storm(stop: Promise<void>): Promise<number> {
    let stopped = false;
    void stop.then(() => (stopped = true));
    let calls = 0;
    await Promise.all(
      Array.from({ length: STORM_PATHS }, async (_, i) => {
        const path = `/user/storm${i}`;
        for (let round = 0; !stopped; round++) {
          if (round % 2 === 0) {
            const data = body(`s${i}`, { round });
            expect(await hubCall(path, 'POST', data)).toBe(201);
            expected.set(path, data);
          } else {
            expect([204, 404]).toContain(await hubCall(path, 'DELETE'));
            expected.delete(path);
          }
          calls++;
        }
      }),
    );
    return calls;
  }

  /** Every expected route exactly once, of `api`'s kind only, with its data; GET answers the expected table. */
  async function expectMigrated(api: RouteApi, other: RouteApi, activityBefore: Record<string, unknown>) {
    const stored = await objects(api);
    const byRoute = new Map<string, RouteObject[]>();
    for (const object of stored) {
      const route = object.metadata.annotations?.['hubmesh.io/route'] ?? '';
      byRoute.set(route, [...(byRoute.get(route) ?? []), object]);
    }
    expect([...byRoute.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [path, data] of expected) {
      const [object, ...more] = byRoute.get(path)!;
      expect(more, `one object for ${path}`).toEqual([]);
      expect(object!.metadata.name).toBe(virtualServiceName(prefix, path));
      expect(JSON.parse(object!.metadata.annotations!['hubmesh.io/data']!)).toEqual(data);
      expect(destinationOf(object!)).toEqual({ host: `${String(data.target).slice('http://'.length, -':8888'.length)}.${HUB_NAMESPACE}.svc.cluster.local`, port: 8888 });
    }
    expect(await objects(other), `no ${other} left`).toEqual([]);
    const listed = await table();
    expect(withoutActivity(listed)).toEqual(Object.fromEntries(expected));
    // routes the storm left alone keep the last_activity they had
    for (const [path, activity] of Object.entries(activityBefore)) if (expected.has(path) && !path.startsWith('/user/storm')) expect(listed[path]!.last_activity, path).toBe(activity);
  }

  beforeAll(async () => {
    oracle = new Oracle(oracleBinary());
    await adminCustom.createNamespacedCustomObject({ group: 'gateway.networking.k8s.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'gateways', body: testGatewayObject() }).catch((error: { code?: number }) => {
      if (error.code !== 409) throw error;
    });
    // every route's Service exists, so Istio resolves the HTTPRoutes' backendRefs (ResolvedRefs True)
    for (const name of [...Array.from({ length: ROUTES }, (_, i) => serviceFor(i)), ...Array.from({ length: STORM_PATHS }, (_, i) => serviceFor(`s${i}`)), serviceFor('canary')]) {
      await adminCore.createNamespacedService({ namespace: HUB_NAMESPACE, body: { metadata: { name }, spec: { selector: { app: name }, ports: [{ name: 'http', port: 8888 }] } } });
      services.push(name);
    }
    statusWriter = new GatewayStatusWriter(oracle, inject('adminKubeconfig'), prefix);
    await statusWriter.start();
  }, 300_000);

  afterAll(async () => {
    await hm?.stop();
    statusWriter?.stop();
    await oracle?.close();
    for (const api of ['virtualservice', 'httproute'] as const) await adminCustom.deleteCollectionNamespacedCustomObject({ ...routeObjectGroup(api), labelSelector: selector }).catch(() => undefined);
    for (const name of services) await adminCore.deleteNamespacedService({ namespace: HUB_NAMESPACE, name }).catch(() => undefined);
  }, 60_000);

  it('HUBMESH_READINESS=reconciled with httproute answers a POST once Istio accepted the HTTPRoute', async () => {
    const readinessPrefix = `${prefix}r`;
    const writer = new GatewayStatusWriter(oracle, inject('adminKubeconfig'), readinessPrefix);
    await writer.start();
    const backend = routeBackend('httproute', appKubeconfig);
    const process = await startHubmesh({ ...backend, prefix: readinessPrefix, env: { ...backend.env, HUBMESH_READINESS: 'reconciled', HUBMESH_READINESS_TIMEOUT_MS: '9000' } });
    try {
      const r = await process.api('/api/routes/user/ready', { method: 'POST', body: JSON.stringify(body(0)) });
      expect(r.status).toBe(201);
      // the 201 came after the status Istio computes: accepted, references resolved, for this generation
      const stored = (await adminCustom.getNamespacedCustomObject({ ...routeObjectGroup('httproute'), name: virtualServiceName(readinessPrefix, '/user/ready') })) as HTTPRouteObject;
      expect(isAcceptedHttpRoute(stored, parentReference(TEST_HTTPROUTE_GATEWAY, undefined))).toBe(true);
      expect(process.output()).not.toContain('route not confirmed served before the readiness timeout');
      expect(writer.errors).toEqual([]);
    } finally {
      await process.stop();
      writer.stop();
      await adminCustom.deleteCollectionNamespacedCustomObject({ ...routeObjectGroup('httproute'), labelSelector: `hubmesh.io/prefix=${readinessPrefix}` });
    }
  }, 120_000);

  it('moves every route from VirtualServices to HTTPRoutes and back, losing nothing and resurrecting nothing', async () => {
    hm = await startHubmesh({ ...routeBackend('virtualservice', appKubeconfig), prefix });
    for (let i = 0; i < ROUTES; i++) {
      expect(await hubCall(`/user/u${i}`, 'POST', body(i))).toBe(201);
      expected.set(`/user/u${i}`, body(i));
    }
    // overlays set by an admin: a canary HTTPRoutes can hold, and retries they cannot
    const group = routeObjectGroup('virtualservice');
    const overlays = {
      '/user/u1': { canary: { weights: { current: 90, canary: 10 }, destination: { service: serviceFor('canary'), port: 8888 } } },
      '/user/u2': { retries: { attempts: 3 } },
    };
    for (const [path, value] of Object.entries(overlays)) {
      await adminCustom.patchNamespacedCustomObject(
        { ...group, name: virtualServiceName(prefix, path), body: { metadata: { annotations: { 'hubmesh.io/overlays': JSON.stringify(value) } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    }
    const activityBefore = Object.fromEntries(Object.entries(await table()).map(([path, data]) => [path, data.last_activity]));

    for (const [from, to] of [['virtualservice', 'httproute'], ['httproute', 'virtualservice']] as const) {
      const { token, port } = hm!;
      let endStorm!: () => void;
      const stormDone = storm(new Promise<void>((resolve) => (endStorm = resolve)));
      await hm!.stop();
      hm = undefined;
      hm = await startHubmesh({ ...routeBackend(to, appKubeconfig, { migrating: true }), prefix, token, port, readyTimeoutMs: 60_000 });
      const process = hm;
      // every GET while the routes move answers every route the storm leaves alone, with its data and last_activity:
      // the ones not migrated yet from the old kind's objects
      const fixed = [...expected.keys()].filter((path) => !path.startsWith('/user/storm'));
      let samples = 0;
      const deadline = Date.now() + 120_000;
      for (let done = false; !done; samples++) {
        done = /routes: migration (finished|left)/.test(process.output());
        const listed = await table();
        for (const path of fixed) expect({ path, ...listed[path] }, `GET sample ${samples}`).toEqual({ path, ...expected.get(path), last_activity: activityBefore[path] });
        expect(Date.now(), `the migration from ${from} to ${to} to end\n${process.output().slice(-4000)}`).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(samples).toBeGreaterThan(1);
      endStorm();
      const calls = await stormDone;
      expect(calls).toBeGreaterThan(STORM_PATHS);
      expect(process.output()).toContain('routes: migration finished');
      await statusWriter.settled();
      await expectMigrated(to, from, activityBefore);

      const audit = process.output().split('\n').filter((line) => line.includes('"audit":"change"')).map((line) => JSON.parse(line) as { action: string; name: string; outcome: string; eventError?: string });
      expect(audit.filter((a) => a.action === 'MigrateRoutes')).toEqual([expect.objectContaining({ name: HUB_NAMESPACE, outcome: 'MigrationFinished', event: expect.any(String) })]);
      if (to === 'httproute') {
        expect(audit.filter((a) => a.action === 'MigrateRoute')).toEqual([expect.objectContaining({ name: virtualServiceName(prefix, '/user/u2'), outcome: 'OverlaysDropped', event: expect.any(String) })]);
        expect(process.output()).toMatch(/route \/user\/u2: left out of its HTTPRoute: retries/);
        const canary = (await objects('httproute')).find((o) => o.metadata.annotations?.['hubmesh.io/route'] === '/user/u1')!;
        expect(JSON.parse(canary.metadata.annotations!['hubmesh.io/overlays']!)).toMatchObject(overlays['/user/u1']);
        expect(canary.metadata.annotations!['hubmesh.io/overlays']).not.toContain('retries');
      }
    }
    expect(statusWriter.errors).toEqual([]);
    expect(statusWriter.passes).toBeGreaterThan(0);
  }, 400_000);
});
