import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { cuttableApiserver } from './tcp-cut';

const group = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
const { adminCustom } = clients();

/** JupyterHub's exponential_backoff around api_request: retry 5xx and connection errors for 30 s. */
async function asTheHubWould(request: () => Promise<Response>): Promise<{ response: Response; attempts: number; statuses: number[] }> {
  const deadline = Date.now() + 30_000;
  const statuses: number[] = [];
  let wait = 200;
  for (let attempts = 1; ; attempts++) {
    const response = await request();
    statuses.push(response.status);
    if (response.status < 500 || Date.now() > deadline) return { response, attempts, statuses };
    await new Promise((r) => setTimeout(r, wait * (0.5 + Math.random())));
    wait = Math.min(wait * 2, 5000);
  }
}

describe('when the apiserver goes away', () => {
  const prefix = `fl${uniqueName('x').slice(2)}`;
  let hm: HubmeshProcess;
  let path: Awaited<ReturnType<typeof cuttableApiserver>>;
  const body = (user: string) => JSON.stringify({ target: `http://jupyter-${user}:8888`, jupyterhub: true, user, server_name: '' });

  beforeAll(async () => {
    path = await cuttableApiserver(inject('appKubeconfig'));
    hm = await startHubmesh({ kubeconfig: path.kubeconfig, prefix });
  });
  afterAll(async () => {
    await hm?.stop();
    await path?.close();
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...group, labelSelector: `hubmesh.io/prefix=${prefix}` });
  });

  it('answers 503 quickly, says so in the log and /readyz, and the hub-style retry succeeds once it is back; nothing is lost', async () => {
    expect((await hm.api('/api/routes/user/before', { method: 'POST', body: body('before') })).status).toBe(201);
    await path.cut();

    const started = Date.now();
    const refused = await hm.api('/api/routes/user/during', { method: 'POST', body: body('during') });
    expect(refused.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(((await refused.json()) as { error: string }).error).toMatch(/Kubernetes API (unreachable|unavailable)|not synced/);
    await eventually(async () => ((await fetch(`${hm.url}/readyz`)).status === 503 ? true : undefined), '/readyz to fail');
    const getWhileDown = await hm.api('/api/routes');
    expect(getWhileDown.status).toBe(503);
    expect(hm.output()).toMatch(/"msg":"(Kubernetes API unavailable|list\/watch failed; cache unsynced)"/);

    const restoredAt = Date.now() + 2000;
    setTimeout(() => void path.restore(), 2000);
    const retried = await asTheHubWould(() => hm.api('/api/routes/user/during', { method: 'POST', body: body('during') }));
    expect(retried.response.status).toBe(201);
    // back within the hub's backoff step after the apiserver returns, far inside its 30 s budget
    expect(Date.now() - restoredAt).toBeLessThan(6000);
    expect(retried.attempts).toBeGreaterThan(1);
    expect(retried.statuses.slice(0, -1).every((s) => s === 503)).toBe(true);

    await eventually(async () => ((await fetch(`${hm.url}/readyz`)).status === 200 ? true : undefined), '/readyz to recover');
    const table = (await (await hm.api('/api/routes')).json()) as Record<string, unknown>;
    expect(Object.keys(table).sort()).toEqual(['/user/before', '/user/during']);
    const stored = (await adminCustom.listNamespacedCustomObject({ ...group, labelSelector: `hubmesh.io/prefix=${prefix}` })) as { items: unknown[] };
    expect(stored.items).toHaveLength(2);
  });
});
