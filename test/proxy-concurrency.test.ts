import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';

const group = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
const { adminCustom } = clients();

describe('two hubmesh replicas against one cluster', () => {
  const prefix = `cc${uniqueName('x').slice(2)}`;
  let a: HubmeshProcess;
  let b: HubmeshProcess;
  const ours = async () =>
    ((await adminCustom.listNamespacedCustomObject({ ...group, labelSelector: `hubmesh.io/prefix=${prefix}` })) as { items: VirtualService[] }).items;
  const post = (hm: HubmeshProcess, user: string, target = `http://jupyter-${user}:8888`) =>
    hm.api(`/api/routes/user/${user}`, { method: 'POST', body: JSON.stringify({ target, jupyterhub: true, user, server_name: '' }) });
  const table = async (hm: HubmeshProcess) => (await (await hm.api('/api/routes')).json()) as Record<string, { target: string }>;

  beforeAll(async () => {
    const kubeconfig = inject('appKubeconfig');
    a = await startHubmesh({ kubeconfig, prefix });
    b = await startHubmesh({ kubeconfig, prefix, token: a.token });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...group, labelSelector: `hubmesh.io/prefix=${prefix}` });
  });

  it('gives exactly one VirtualService per route under concurrent POSTs of the same and of different routes, and no 5xx', async () => {
    const users = Array.from({ length: 30 }, (_, i) => `u${i}`);
    const requests = users.flatMap((u) => [post(a, u), post(b, u), post(a, u), post(b, u)]);
    const statuses = (await Promise.all(requests)).map((r) => r.status);
    expect(statuses.filter((s) => s !== 201)).toEqual([]);
    const items = await ours();
    expect(items).toHaveLength(users.length);
    expect(new Set(items.map((vs) => vs.metadata.annotations?.['hubmesh.io/route']))).toEqual(new Set(users.map((u) => `/user/${u}`)));
    for (const hm of [a, b]) {
      await eventually(async () => (Object.keys(await table(hm)).length === users.length ? true : undefined), 'both replicas list every route');
    }
  });

  it('settles concurrent POSTs of different targets for one route on one of them, the same on both replicas', async () => {
    const results = await Promise.all([post(a, 'race', 'http://jupyter-race-a:8888'), post(b, 'race', 'http://jupyter-race-b:8888')]);
    expect(results.map((r) => r.status)).toEqual([201, 201]);
    const items = (await ours()).filter((vs) => vs.metadata.annotations?.['hubmesh.io/route'] === '/user/race');
    expect(items).toHaveLength(1);
    const stored = JSON.parse(items[0]!.metadata.annotations!['hubmesh.io/data']!).target;
    expect(['http://jupyter-race-a:8888', 'http://jupyter-race-b:8888']).toContain(stored);
    for (const hm of [a, b]) {
      await eventually(async () => ((await table(hm))['/user/race']?.target === stored ? true : undefined), 'replicas agree on the winner');
    }
  });

  it('answers concurrent DELETEs of one route with one 204 and otherwise 204 or 404, never 5xx', async () => {
    expect((await post(a, 'gone')).status).toBe(201);
    await eventually(async () => ((await table(b))['/user/gone'] ? true : undefined), 'replica b sees the route');
    const statuses = (await Promise.all([a, b, a, b].map((hm) => hm.api('/api/routes/user/gone', { method: 'DELETE' })))).map((r) => r.status);
    expect(statuses.filter((s) => s === 204).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 204 || s === 404)).toBe(true);
    expect((await ours()).some((vs) => vs.metadata.annotations?.['hubmesh.io/route'] === '/user/gone')).toBe(false);
  });
});
