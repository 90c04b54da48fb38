import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RouteObject } from '@/lib/routes/route-objects';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { ROUTE_APIS, routeBackend, startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { destinationOf, expectedPathMatches, listRouteObjects, ownPathMatches, routeKindOfApi, routeObjectGroup } from './route-objects';
import { quoteRoutePath as hubQuote } from '@/lib/routes/routespec';
import { removeSpawnedObjects, startHub, type HubProcess } from './jupyterhub/hub-process';

/**
 * A real JupyterHub 3.0 (Debian's) with hubmesh as its external configurable-http-proxy: the hub
 * spawns users through a KubeSpawner-like mock (Pod + Service in the test cluster, JupyterHub's
 * mock single-user server behind a DNS stand-in), and every route it adds or removes must land in
 * the apiserver as a route object: a VirtualService, or an HTTPRoute with HUBMESH_ROUTE_API=httproute (the same
 * tests run for both backends).
 */

const USERS = ['zoe', '秀樹', 'has@', '~TestJH'] as const;
const SPAWN_TIMEOUT_MS = 60_000;

type ProxyRoute = { target: string; jupyterhub?: boolean; hub?: boolean; user?: string; server_name?: string; last_activity: string };
type HubRoute = { routespec: string; target: string; data: Record<string, unknown> };

/** kubespawner's escaping of a user name into a Kubernetes name, as test/jupyterhub/k8s_mock_spawner.py does it */
function escapeUser(name: string): string {
  let out = '';
  for (const ch of name) {
    if (/[a-z0-9]/.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `-${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}
const serviceName = (user: string) => `jupyter-${escapeUser(user)}`;
const serviceHost = (user: string) => `${serviceName(user)}.${HUB_NAMESPACE}.svc.cluster.local`;


describe.each(ROUTE_APIS)('a real JupyterHub 3.0 on hubmesh (%s)', (api) => {
  const { adminCore, adminCustom } = clients();
  const vsGroup = routeObjectGroup(api);
  const kindName = routeKindOfApi(api);
  const backend = routeBackend(api, inject('appKubeconfig'));
  const prefix = uniqueName('hube2e');
  const selector = `app.kubernetes.io/managed-by=hubmesh,hubmesh.io/prefix=${prefix}`;
  let hubmesh: HubmeshProcess;
  let hub: HubProcess | undefined;

  const routes = async (): Promise<Record<string, ProxyRoute>> => {
    const r = await hubmesh.api('/api/routes');
    if (r.status !== 200) throw new Error(`GET /api/routes: ${r.status} ${await r.text()}`);
    return (await r.json()) as Record<string, ProxyRoute>;
  };
  const hubRoutes = async (): Promise<Record<string, HubRoute>> => {
    const r = await hub!.api('/proxy');
    if (r.status !== 200) throw new Error(`hub GET /proxy: ${r.status} ${await r.text()}`);
    return (await r.json()) as Record<string, HubRoute>;
  };
  const virtualServices = (): Promise<RouteObject[]> => listRouteObjects(adminCustom, api, selector);
  const vsFor = async (route: string) => (await virtualServices()).find((vs) => vs.metadata.annotations?.['hubmesh.io/route'] === route);
  const userModel = async (name: string) => {
    const r = await hub!.api(`/users/${encodeURIComponent(name)}`);
    if (r.status !== 200) throw new Error(`hub GET /users/${name}: ${r.status} ${await r.text()}`);
    return (await r.json()) as { name: string; servers?: Record<string, { ready: boolean; pending: string | null; url: string }> };
  };
  /** on failure, what the processes said */
  const logs = (max = 8000) => `--- hub ---\n${hub?.output().slice(-max)}\n--- hubmesh ---\n${hubmesh?.output().slice(-max)}`;

  beforeAll(async () => {
    hubmesh = await startHubmesh({ ...backend, prefix });
    hub = await startHub({
      proxyUrl: hubmesh.url,
      proxyToken: hubmesh.token,
      kubeconfig: inject('adminKubeconfig'),
      namespace: HUB_NAMESPACE,
      hubRouteRegistered: async () => '/' in (await routes()),
    });
  }, 120_000);

  afterAll(async () => {
    // the hub first: on SIGTERM it stops its servers (deleting Pods, Services and routes through hubmesh)
    await hub?.stop().catch(() => undefined);
    await hubmesh?.stop().catch(() => undefined);
    if (process.env.HUBE2E_DUMP_LOGS) console.log(logs(Infinity));
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: selector }).catch(() => undefined);
    if (hub) await removeSpawnedObjects(hub, adminCore, HUB_NAMESPACE);
  }, 60_000);

  it('registers the hub at / on start-up', async () => {
    const hubTarget = `http://hub:${hub!.hubPort}`;
    const list = await routes();
    expect(list['/'], logs()).toMatchObject({ target: hubTarget, jupyterhub: true, hub: true });
    expect(new Date(list['/']!.last_activity).toISOString()).toBe(list['/']!.last_activity);

    const vs = await vsFor('/');
    expect(vs, `${kindName} for /`).toBeDefined();
    expect(vs!.kind).toBe(kindName);
    expect(destinationOf(vs!)).toEqual({ host: `hub.${HUB_NAMESPACE}.svc.cluster.local`, port: hub!.hubPort });
    expect(JSON.parse(vs!.metadata.annotations!['hubmesh.io/data']!)).toEqual({ target: hubTarget, jupyterhub: true, hub: true });
    expect(ownPathMatches(vs!)).toEqual(expectedPathMatches(api, '/'));

    // the hub reads the route back through hubmesh
    expect((await hubRoutes())['/']).toMatchObject({ routespec: '/', target: hubTarget, data: { hub: true } });
  });

  it(
    'adds a route per spawned server, unicode and escaped names included',
    async () => {
      for (const name of USERS) {
        const created = await hub!.api(`/users/${encodeURIComponent(name)}`, { method: 'POST' });
        expect(created.status, `create user ${name}: ${await created.text()}`).toBe(201);
      }
      await Promise.all(
        USERS.map(async (name) => {
          const r = await hub!.api(`/users/${encodeURIComponent(name)}/server`, { method: 'POST' });
          expect([201, 202], `spawn ${name}: ${await r.text()}\n${logs()}`).toContain(r.status);
        }),
      );
      for (const name of USERS) {
        await eventually(
          async () => ((await userModel(name)).servers?.['']?.ready ? true : undefined),
          `${name}'s server to be ready\n${logs()}`,
          SPAWN_TIMEOUT_MS,
        );
      }

      // hubmesh lists the decoded paths with the hub's data
      const list = await routes();
      for (const name of USERS) {
        expect(list[`/user/${name}`], `route /user/${name} in ${JSON.stringify(list)}`).toMatchObject({
          target: `http://${serviceHost(name)}:8888`,
          jupyterhub: true,
          user: name,
          server_name: '',
        });
      }
      expect(Object.keys(list).sort()).toEqual(['/', ...USERS.map((n) => `/user/${n}`)].sort());

      // one route object per route, to the user's Service
      const items = await virtualServices();
      expect(items).toHaveLength(USERS.length + 1);
      for (const name of USERS) {
        const vs = items.find((v) => v.metadata.annotations?.['hubmesh.io/route'] === `/user/${name}`);
        expect(vs, `${kindName} for /user/${name}`).toBeDefined();
        expect(destinationOf(vs!)).toEqual({ host: serviceHost(name), port: 8888 });
        // the match carries the URL form the hub links to (browsers ask for /user/%E7%A7%80%E6%A8%B9/, not /user/秀樹/)
        const quoted = `/user/${hubQuote(name)}`;
        expect(ownPathMatches(vs!)).toEqual(expectedPathMatches(api, quoted));
        expect(JSON.parse(vs!.metadata.annotations!['hubmesh.io/data']!)).toEqual({
          target: `http://${serviceHost(name)}:8888`,
          jupyterhub: true,
          user: name,
          server_name: '',
        });
        expect(vs!.metadata.labels?.['hubmesh.io/kind']).toBe('route');
      }

      // the spawner really made the Pod and the Service the route points at
      for (const name of USERS) {
        const svc = await adminCore.readNamespacedService({ namespace: HUB_NAMESPACE, name: serviceName(name) });
        expect(svc.spec?.ports?.[0]).toMatchObject({ name: 'http', port: 8888 });
        const pod = await adminCore.readNamespacedPod({ namespace: HUB_NAMESPACE, name: serviceName(name) });
        expect(pod.status?.phase).toBe('Running');
      }

      // and the hub sees every route as present: its keys are routespecs, quote(name, safe='@~') plus "/"
      const fromHub = await hubRoutes();
      expect(Object.keys(fromHub).sort()).toEqual(['/', ...USERS.map((n) => `/user/${hubQuote(n)}/`)].sort());
      for (const name of USERS) {
        expect(fromHub[`/user/${hubQuote(name)}/`]).toMatchObject({
          target: `http://${serviceHost(name)}:8888`,
          data: { user: name, server_name: '' },
        });
      }
    },
    SPAWN_TIMEOUT_MS + 30_000,
  );

  it(
    "deletes a stopped server's route",
    async () => {
      const zoeVs = await vsFor('/user/zoe');
      expect(zoeVs).toBeDefined();
      const r = await hub!.api('/users/zoe/server', { method: 'DELETE' });
      expect([202, 204], `stop zoe: ${await r.text()}`).toContain(r.status);
      await eventually(async () => ((await userModel('zoe')).servers?.[''] ? undefined : true), `zoe's server to stop\n${logs()}`, 30_000);

      await eventually(async () => ('/user/zoe' in (await routes()) ? undefined : true), 'hubmesh to drop /user/zoe');
      await eventually(async () => ((await vsFor('/user/zoe')) ? undefined : true), `the ${kindName} of /user/zoe to be deleted`);
      const gone = await adminCustom.getNamespacedCustomObject({ ...vsGroup, name: zoeVs!.metadata.name }).then(
        () => false,
        (e: { code?: number }) => e.code === 404,
      );
      expect(gone).toBe(true);
      expect(Object.keys(await hubRoutes())).not.toContain('/user/zoe/');
      // the others stay
      expect(Object.keys(await routes()).sort()).toEqual(['/', '/user/has@', '/user/~TestJH', '/user/秀樹'].sort());
      expect(await virtualServices()).toHaveLength(USERS.length);
      // and the spawner cleaned up the Service
      await eventually(
        async () => ((await adminCore.listNamespacedService({ namespace: HUB_NAMESPACE, labelSelector: `e2e.hubmesh.io/run=${hub!.runId}` })).items.some((s) => s.metadata?.name === serviceName('zoe')) ? undefined : true),
        "zoe's Service to be deleted",
      );
    },
    60_000,
  );

  it(
    'loses nothing when hubmesh restarts',
    async () => {
      const before = await routes();
      const vsBefore = await virtualServices();
      expect(Object.keys(before).sort()).toEqual(['/', '/user/has@', '/user/~TestJH', '/user/秀樹'].sort());
      const { url, token } = hubmesh;
      await hubmesh.stop();
      hubmesh = await startHubmesh({ ...backend, prefix, token, port: Number(new URL(url).port) });
      expect(hubmesh.url).toBe(url);

      // same paths, same data, same last_activity: read back from the route objects
      expect(await routes()).toEqual(before);
      // nothing was rewritten
      const vsAfter = await virtualServices();
      const versions = (items: RouteObject[]) => Object.fromEntries(items.map((v) => [v.metadata.name, v.metadata.resourceVersion]));
      expect(versions(vsAfter)).toEqual(versions(vsBefore));

      // the hub, still on the same api_url, checks its routes against the new process and finds them all
      const check = await hub!.api('/proxy', { method: 'POST' });
      expect(check.status, `hub POST /proxy: ${await check.text()}\n${logs()}`).toBe(200);
      expect(Object.keys(await hubRoutes()).sort()).toEqual(['/', ...USERS.filter((n) => n !== 'zoe').map((n) => `/user/${hubQuote(n)}/`)].sort());
      expect(versions(await virtualServices())).toEqual(versions(vsBefore));
    },
    60_000,
  );

  it(
    'restores a route deleted behind its back when the hub resyncs (POST /hub/api/proxy)',
    async () => {
      const route = '/user/秀樹';
      const before = (await routes())[route];
      expect(before).toBeDefined();
      const vs = await vsFor(route);
      expect(vs).toBeDefined();
      await adminCustom.deleteNamespacedCustomObject({ ...vsGroup, name: vs!.metadata.name });
      await eventually(async () => (route in (await routes()) ? undefined : true), `hubmesh to notice ${route} is gone`);
      expect(Object.keys(await hubRoutes())).not.toContain(`/user/${hubQuote('秀樹')}/`);

      const check = await hub!.api('/proxy', { method: 'POST' });
      expect(check.status, `hub POST /proxy: ${await check.text()}\n${logs()}`).toBe(200);

      const after = await eventually(async () => (await routes())[route], `hubmesh to list ${route} again\n${logs()}`);
      expect(after).toMatchObject({ target: before!.target, jupyterhub: true, user: '秀樹', server_name: '' });
      expect(Date.parse(after.last_activity)).toBeGreaterThanOrEqual(Date.parse(before!.last_activity));
      const restored = await vsFor(route);
      expect(restored, `${kindName} for ${route}`).toBeDefined();
      expect(restored!.metadata.name).toBe(vs!.metadata.name);
      expect(restored!.metadata.uid).not.toBe(vs!.metadata.uid);
      expect(destinationOf(restored!)).toEqual({ host: serviceHost('秀樹'), port: 8888 });
      expect((await hubRoutes())[`/user/${hubQuote('秀樹')}/`]).toMatchObject({ data: { user: '秀樹', server_name: '' } });
      // the others were left alone
      expect(Object.keys(await routes()).sort()).toEqual(['/', '/user/has@', '/user/~TestJH', '/user/秀樹'].sort());
    },
    60_000,
  );
});
