import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { quoteRoutePath } from '@/lib/routes/routespec';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { removeSpawnedObjects, startHub, type HubProcess } from './jupyterhub/hub-process';
import { ChpReference } from './oracle/chp';
import { Oracle, oracleBinary, type OracleRequest } from './oracle/client';
import { ageOrders, disagreement, gatewayObject, objectsYaml, serviceObjects, withAges } from './oracle/routing-case';

/**
 * The two cases that broke under Istio, driven by a real JupyterHub 3.0: a hub with
 * `base_url = '/jupyter/'` (its own route is /jupyter, not "/") and a user with a default and a named
 * server. The routes the hub registered through hubmesh, as the apiserver stores them, go to Istio's own
 * config generator in every order of age; each request must reach what configurable-http-proxy picks.
 */
const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
const SPAWN_TIMEOUT_MS = 60_000;

describe('a real JupyterHub 3.0 with base_url and named servers, judged by Istio', () => {
  const { adminCore, adminCustom } = clients();
  const prefix = uniqueName('hubrt');
  let hubmesh: HubmeshProcess;
  let hub: HubProcess | undefined;
  let oracle: Oracle | undefined;

  const routes = async (): Promise<Record<string, { target: string; server_name?: string }>> => {
    const r = await hubmesh.api('/api/routes');
    if (r.status !== 200) throw new Error(`GET /api/routes: ${r.status} ${await r.text()}`);
    return (await r.json()) as Record<string, { target: string }>;
  };
  const logs = () => `--- hub ---\n${hub?.output().slice(-6000)}\n--- hubmesh ---\n${hubmesh?.output().slice(-6000)}`;

  beforeAll(async () => {
    hubmesh = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix });
    hub = await startHub({
      proxyUrl: hubmesh.url,
      proxyToken: hubmesh.token,
      kubeconfig: inject('adminKubeconfig'),
      namespace: HUB_NAMESPACE,
      baseUrl: '/jupyter/',
      hubRouteRegistered: async () => '/jupyter' in (await routes()),
    });
  }, 120_000);

  afterAll(async () => {
    await hub?.stop().catch(() => undefined);
    await hubmesh?.stop().catch(() => undefined);
    await oracle?.close();
    if (hub) await removeSpawnedObjects(hub, adminCore, HUB_NAMESPACE).catch(() => undefined);
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${prefix}` }).catch(() => undefined);
  });

  it('routes /jupyter/user/alice/lab2 to the named server and every user past the hub, whatever the ages', { timeout: 240_000 }, async () => {
    const spawn = async (path: string) => {
      const r = await hub!.api(path, { method: 'POST', body: '{}' });
      expect([201, 202], `${path}: ${r.status} ${await r.text()}\n${logs()}`).toContain(r.status);
    };
    const created = await hub!.api('/users/alice', { method: 'POST', body: '{}' });
    expect([201, 409]).toContain(created.status);
    // the named server first, then the default one: the shorter route is the younger here, and also the other way round below
    await spawn('/users/alice/servers/lab2');
    await spawn('/users/alice/server');
    const table = await eventually(async () => {
      const r = await routes();
      return ['/jupyter', '/jupyter/user/alice', '/jupyter/user/alice/lab2'].every((p) => p in r) ? r : undefined;
    }, 'the hub route and both of alice’s servers in the proxy', SPAWN_TIMEOUT_MS);
    expect(Object.keys(table).sort()).toEqual(['/jupyter', '/jupyter/user/alice', '/jupyter/user/alice/lab2']);
    // the hub's own route is at its base URL, not "/"
    expect(table['/jupyter']!.target).toMatch(/^http:\/\/[^/]+:\d+$/);

    const chp = new ChpReference();
    for (const [path, route] of Object.entries(table)) await chp.add(path, route.target);
    const stored = ((await adminCustom.listNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${prefix}` })) as { items: VirtualService[] }).items;
    const requests: OracleRequest[] = ['/jupyter/user/alice/lab2/api/kernels', '/jupyter/user/alice/lab2', '/jupyter/user/alice/api/kernels', '/jupyter/user/alice', '/jupyter/user/bob/', '/jupyter/hub/home', '/jupyter', '/jupyterx', '/other', '/'].map((p) => ({
      host: 'hub.example.com',
      path: quoteRoutePath(p),
    }));
    const choices = await Promise.all(requests.map((r) => chp.choose(r)));
    expect(choices[0]?.prefix).toBe('/jupyter/user/alice/lab2');
    expect(choices[8]).toBeUndefined();

    oracle = new Oracle(oracleBinary());
    const services = serviceObjects(HUB_NAMESPACE, Object.values(table).map((r) => r.target));
    const problems: string[] = [];
    for (const { ranks, tieWidth } of ageOrders(stored.length)) {
      const verdict = await oracle.judge({ objects: objectsYaml([gatewayObject(HUB_NAMESPACE), ...services, ...withAges(stored, ranks, tieWidth)]), requests });
      expect(verdict.error).toBe('');
      expect(verdict.messages).toEqual([]);
      requests.forEach((request, i) => {
        const problem = disagreement(request, choices[i], verdict.results[i]!, HUB_NAMESPACE);
        if (problem) problems.push(`ages ${ranks.join(',')}: ${problem}`);
      });
    }
    expect(problems, logs()).toEqual([]);
  });
});
