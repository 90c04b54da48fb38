import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DiagnoseAnswer } from '@/lib/diagnose/api';
import type { HTTPRouteObject } from '@/lib/kube/httproutes';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { routeBackend, startHubmesh, type HubmeshProcess } from './hubmesh-process';

/**
 * The console of a hubmesh that stores routes as Gateway API HTTPRoutes (HUBMESH_ROUTE_API=httproute), on the real
 * apiserver with Gateway API's standard CRDs, run as the app's own identity. No Gateway controller runs in the test
 * cluster, so the admin writes the route's status as istiod would: the console must show it.
 */
describe('the console with the httproute backend', () => {
  const { adminCustom } = clients();
  const adminToken = randomBytes(16).toString('hex');
  const run = uniqueName('hr');
  const user = `${run}-alice`;
  const service = `jupyter-${user}`;
  const gateway = `${run}-gw`;
  const httpRoutes = { group: 'gateway.networking.k8s.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'httproutes' };
  let hm: HubmeshProcess;
  let routeName: string;

  const api = (path: string, init: RequestInit = {}) => fetch(`${hm.url}${path}`, { ...init, headers: { authorization: `Bearer ${adminToken}`, ...(init.headers as Record<string, string>) } });
  const json = async (path: string, init?: RequestInit) => {
    const r = await api(path, init);
    return { status: r.status, body: await r.json() };
  };
  type Row = { path: string; kind: string; virtualService: string; status: string; problems: string[]; reconciled: boolean | undefined; conditions?: Array<Record<string, string>> };
  const rowOf = async (): Promise<Row | undefined> => ((await json(`/api/v1/routes?q=${user}`)).body.items as Row[]).find((r) => r.path === `/user/${user}`);

  beforeAll(async () => {
    hm = await startHubmesh({
      // the app's identity for this backend, as the chart grants it (test/deploy.test.ts)
      kubeconfig: routeBackend('httproute', inject('appKubeconfig')).kubeconfig,
      prefix: run,
      env: { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_ROUTE_API: 'httproute', HUBMESH_GATEWAY: `${HUB_NAMESPACE}/${gateway}` },
    });
    const posted = await hm.api(`/api/routes/user/${user}`, { method: 'POST', body: JSON.stringify({ target: `http://${service}:8888`, user, server_name: '' }) });
    expect(posted.status).toBe(201);
    routeName = (await eventually(rowOf, 'the route in the console')).virtualService;
  });
  afterAll(async () => {
    if (!hm) return;
    await hm.api(`/api/routes/user/${user}`, { method: 'DELETE' });
    await hm.stop();
  });

  it('says the backend, and lists the route as an HTTPRoute with no Gateway status yet', async () => {
    expect((await json('/api/v1/overview')).body).toMatchObject({ routeApi: 'httproute', gateway: `${HUB_NAMESPACE}/${gateway}` });
    const row = await rowOf();
    // no Gateway reported on it: not in force, not refused either; only its missing Service degrades it
    expect(row).toMatchObject({ kind: 'HTTPRoute', status: 'degraded', problems: [`Service ${service} does not exist`] });
    expect(row!.reconciled).toBeUndefined();
    expect(row!.conditions).toBeUndefined();
    const detail = await json(`/api/v1/routes/${routeName}`);
    expect(detail.body).toMatchObject({ kind: 'HTTPRoute', row: { kind: 'HTTPRoute' } });
    expect(detail.body.yaml).toContain('kind: HTTPRoute');
    expect(detail.body.yaml).toContain(`name: ${gateway}`);
    expect((await json('/api/v1/routes/no-such-route')).body).toMatchObject({ status: 404, error: 'no route with HTTPRoute "no-such-route"' });
  });

  it("shows the Gateway's conditions, and a negative ResolvedRefs as degraded with its message", async () => {
    const stored = (await adminCustom.getNamespacedCustomObject({ ...httpRoutes, name: routeName })) as HTTPRouteObject;
    const generation = stored.metadata.generation ?? 1;
    const condition = (type: string, status: 'True' | 'False', reason: string, message: string) => ({ type, status, reason, message, observedGeneration: generation, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
    const notFound = `backend(${service}.${HUB_NAMESPACE}.svc.cluster.local) not found`;
    await adminCustom.replaceNamespacedCustomObjectStatus({
      ...httpRoutes,
      name: routeName,
      body: {
        ...stored,
        status: {
          parents: [
            {
              parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: HUB_NAMESPACE, name: gateway },
              controllerName: 'istio.io/gateway-controller',
              conditions: [condition('Accepted', 'True', 'Accepted', 'Route was valid'), condition('ResolvedRefs', 'False', 'BackendNotFound', notFound)],
            },
          ],
        },
      },
    });
    const row = await eventually(async () => ((await rowOf())?.conditions ? rowOf() : undefined), "the route's conditions in the console");
    expect(row).toMatchObject({ kind: 'HTTPRoute', reconciled: false, status: 'degraded' });
    expect(row!.problems).toContain(`Gateway ${HUB_NAMESPACE}/${gateway}: ResolvedRefs is False (BackendNotFound): ${notFound}`);
    expect(row!.conditions).toEqual([
      { gateway: `${HUB_NAMESPACE}/${gateway}`, type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Route was valid' },
      { gateway: `${HUB_NAMESPACE}/${gateway}`, type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound', message: notFound },
    ]);
    expect(((await json('/api/v1/routes?status=degraded')).body.items as Row[]).map((r) => r.path)).toContain(`/user/${user}`);

    // the diagnosis reads the same conditions for hop 1, and judges hop 2 only once the Gateway accepts the route
    const diagnosis = (await json(`/api/v1/users/${user}/diagnose`)).body as DiagnoseAnswer;
    expect(diagnosis.hops.find((h) => h.id === 'route')).toMatchObject({ status: 'fail', summary: expect.stringContaining(`ResolvedRefs is False (BackendNotFound): ${notFound}`) });
    expect(diagnosis.hops.find((h) => h.id === 'routing')).toMatchObject({ status: 'unknown' });
    // the validations follow the HTTPRoute's backendRef to the missing Service
    const validations = (await json('/api/v1/validations')).body as { findings: Array<{ code: string; object: { kind: string; name: string } }> };
    expect(validations.findings).toContainEqual(expect.objectContaining({ code: 'HM2001', object: { kind: 'HTTPRoute', namespace: HUB_NAMESPACE, name: routeName } }));
  });

  it('tells the editor which settings an HTTPRoute cannot store, refuses them by field, and sets a timeout', async () => {
    const overlays = await json(`/api/v1/routes/${routeName}/overlays`);
    expect(overlays.body).toMatchObject({ kind: 'HTTPRoute', routeApi: 'httproute', inherited: {} });
    expect(Object.keys(overlays.body.unavailable).sort()).toEqual(['fault', 'rateLimit', 'retries', 'subset']);
    const put = (body: unknown) => json(`/api/v1/routes/${routeName}/overlays`, { method: 'PUT', body: JSON.stringify(body) });
    const retries = await put({ overlays: { rules: [], retries: { attempts: 3, retryOn: 'connect-failure' } }, dryRun: true });
    expect(retries.status).toBe(400);
    expect(retries.body).toMatchObject({ field: 'retries', error: expect.stringContaining("retries: is not available with the httproute backend (HUBMESH_ROUTE_API=httproute): the Gateway API's standard channel has no retries") });
    const timeout = await put({ overlays: { rules: [], timeout: '30s' }, dryRun: true });
    expect(timeout.status).toBe(200);
    expect(timeout.body.preview).toContain('request: 30s');
  });

  it('refuses retries and rate limit notebook defaults with this backend, and takes circuit breaking', async () => {
    const defaults = await json('/api/v1/notebook-defaults');
    expect(Object.keys(defaults.body.unavailable).sort()).toEqual(['rateLimit', 'retries']);
    const put = (body: unknown) => json('/api/v1/notebook-defaults', { method: 'PUT', body: JSON.stringify(body) });
    const retries = await put({ defaults: { retries: { attempts: 3 } }, dryRun: true });
    expect(retries.status).toBe(400);
    expect(retries.body).toMatchObject({ field: 'defaults.retries', error: expect.stringContaining('not available with the httproute backend') });
    expect((await put({ defaults: { rateLimit: { requests: 10, per: 'minute' } }, dryRun: true })).body).toMatchObject({ status: 400, field: 'defaults.rateLimit' });
    const breaking = await put({ defaults: { circuitBreaking: { connectionPool: { maxConnections: 100 } } }, dryRun: true });
    expect(breaking.status).toBe(200);
  });
});
