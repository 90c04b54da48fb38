import type { RouteObject } from '@/lib/routes/route-objects';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import type { ResourceBackend } from '@/lib/kube/types';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { routeReplica, testRenderContext } from './route-replica';
import { clients, HUB_NAMESPACE } from './helpers';

/**
 * What routing equal to CHP costs in apiserver writes: the nested rules make a named server's add or delete
 * write its user's object too, and nothing else grows with the table. Counted on the real apiserver.
 */
const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
const { adminCustom } = clients();
const app = connect(parseConfig({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));

describe('apiserver writes per route change', () => {
  const writes = { create: 0, replace: 0, delete: 0 };
  const counting = (b: ResourceBackend<RouteObject>): ResourceBackend<RouteObject> =>
    Object.assign(Object.create(b) as ResourceBackend<RouteObject>, {
      create: (ns: string, o: VirtualService) => (writes.create++, b.create(ns, o)),
      replace: (ns: string, o: VirtualService) => (writes.replace++, b.replace(ns, o)),
      delete: (ns: string, name: string) => (writes.delete++, b.delete(ns, name)),
    });
  const ctxs = { plain: testRenderContext('wr'), base: testRenderContext('wb') };
  const replicas: Array<Awaited<ReturnType<typeof routeReplica>>> = [];
  const cleanups: string[] = [];

  /** The writes one call makes: create+replace+delete calls. */
  const count = async (call: () => Promise<unknown>) => {
    const before = writes.create + writes.replace + writes.delete;
    await call();
    return writes.create + writes.replace + writes.delete - before;
  };
  const body = (target: string, extra: Record<string, unknown> = {}) => ({ target, jupyterhub: true, ...extra });

  beforeAll(async () => {
    for (const ctx of Object.values(ctxs)) replicas.push(await routeReplica(app, ctx, counting));
  });

  afterAll(async () => {
    for (const r of replicas) r.stop();
    for (const prefix of [...Object.values(ctxs).map((c) => c.prefix), ...cleanups]) await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${prefix}` });
  });

  it('at "/": a user 1, a named server 2 (with its user), unchanged 0, deletes the same', async () => {
    const { routes } = replicas[0]!;
    const table: Record<string, number> = {
      'add /': await count(() => routes.upsert('/', body('http://hub:8081', { hub: true }))),
      'add /user/alice': await count(() => routes.upsert('/user/alice', body('http://jupyter-alice:8888'))),
      'add /user/alice/lab2': await count(() => routes.upsert('/user/alice/lab2', body('http://jupyter-alice-lab2:8888'))),
      'add /user/alice/lab2 again (unchanged)': await count(() => routes.upsert('/user/alice/lab2', body('http://jupyter-alice-lab2:8888'))),
      'add /user/alice again (unchanged)': await count(() => routes.upsert('/user/alice', body('http://jupyter-alice:8888'))),
      'change /user/alice/lab2 target': await count(() => routes.upsert('/user/alice/lab2', body('http://jupyter-alice-lab2:9999'))),
      'add /services/announce': await count(() => routes.upsert('/services/announce', body('http://announce:8000'))),
    };
    for (let i = 0; i < 20; i++) table[`add /user/u${i}`] = await count(() => routes.upsert(`/user/u${i}`, body(`http://jupyter-u${i}:8888`)));
    table['delete /user/alice/lab2'] = await count(() => routes.remove('/user/alice/lab2'));
    table['delete /user/alice'] = await count(() => routes.remove('/user/alice'));
    console.info(`route writes at "/": ${JSON.stringify(table)}`);
    expect(table).toMatchObject({
      'add /': 1,
      'add /user/alice': 1,
      'add /user/alice/lab2': 2,
      'add /user/alice/lab2 again (unchanged)': 0,
      'add /user/alice again (unchanged)': 0,
      'change /user/alice/lab2 target': 2,
      'add /services/announce': 1,
      'delete /user/alice/lab2': 2,
      'delete /user/alice': 1,
    });
    for (let i = 0; i < 20; i++) expect(table[`add /user/u${i}`]).toBe(1);
  });

  it("a dependent the apiserver refuses does not fail the route that changed, and is logged", async () => {
    const ctx = testRenderContext('wf');
    const logged: string[] = [];
    // alice's object becomes one the CRD's schema refuses (a timeout that is no duration): a real 422
    const refusing = (b: ResourceBackend<RouteObject>): ResourceBackend<RouteObject> =>
      Object.assign(Object.create(b) as ResourceBackend<RouteObject>, {
        replace: (ns: string, o: VirtualService) =>
          b.replace(ns, o.metadata.annotations?.['hubmesh.io/route'] === '/user/alice' ? { ...o, spec: { ...o.spec, http: o.spec.http!.map((r) => ({ ...r, timeout: 'soon' })) } } : o),
      });
    const log = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    const replica = await routeReplica(app, ctx, refusing, log);
    replicas.push(replica);
    cleanups.push(ctx.prefix);
    await replica.routes.upsert('/user/alice', body('http://jupyter-alice:8888'));
    const outcome = await replica.routes.upsert('/user/alice/lab2', body('http://jupyter-alice-lab2:8888'));
    expect(outcome).toMatchObject({ written: true, dependentsWritten: 0 });
    expect(logged).toEqual([expect.stringContaining('the apiserver refused a route that depends on this one')]);
    expect(logged[0]).toContain('/user/alice');
  });

  it('under a base URL: the hub route does not grow with users, so a user costs 1 write', async () => {
    const { routes, store } = replicas[1]!;
    const table: Record<string, number> = { 'add /jupyter (hub)': await count(() => routes.upsert('/jupyter', body('http://hub:8081', { hub: true }))) };
    for (let i = 0; i < 20; i++) table[`add /jupyter/user/u${i}`] = await count(() => routes.upsert(`/jupyter/user/u${i}`, body(`http://jupyter-u${i}:8888`)));
    table['add /extra (outside)'] = await count(() => routes.upsert('/extra', body('http://extra:80')));
    table['delete /jupyter/user/u0'] = await count(() => routes.remove('/jupyter/user/u0'));
    console.info(`route writes under /jupyter: ${JSON.stringify(table)}`);
    expect(table['add /jupyter (hub)']).toBe(1);
    for (let i = 0; i < 20; i++) expect(table[`add /jupyter/user/u${i}`]).toBe(1);
    // a route outside the base URL must come before the hub's 404 rule: the hub's object carries it
    expect(table['add /extra (outside)']).toBe(2);
    expect(table['delete /jupyter/user/u0']).toBe(1);
    const hub = store.cache.list().find((vs) => vs.metadata.annotations?.['hubmesh.io/route'] === '/jupyter')!;
    expect((hub as VirtualService).spec.http!.map((r) => r.name)).toEqual(['route', 'not-found', 'route']);
  });
});
