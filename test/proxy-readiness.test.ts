import http from 'node:http';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { virtualServiceName } from '@/lib/routes/routespec';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { freePort, startHubmesh, type HubmeshProcess } from './hubmesh-process';

const group = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
const { adminCustom } = clients();
const body = (user: string) => JSON.stringify({ target: `http://jupyter-${user}:8888`, jupyterhub: true, user, server_name: '' });
const started: HubmeshProcess[] = [];
const prefixes: string[] = [];

afterAll(async () => {
  await Promise.all(started.map((hm) => hm.stop()));
  for (const prefix of prefixes) await adminCustom.deleteCollectionNamespacedCustomObject({ ...group, labelSelector: `hubmesh.io/prefix=${prefix}` });
});

async function hubmeshWith(env: Record<string, string>) {
  const prefix = `rd${uniqueName('x').slice(2)}`;
  prefixes.push(prefix);
  const hm = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, env });
  started.push(hm);
  return hm;
}

async function timedPost(hm: HubmeshProcess, user: string) {
  const t0 = Date.now();
  const r = await hm.api(`/api/routes/user/${user}`, { method: 'POST', body: body(user) });
  return { status: r.status, ms: Date.now() - t0 };
}

describe('waiting until the gateway serves a new route', () => {
  it('waits for the Reconciled condition istiod writes, and gives up with a 201 and a warning at the timeout', async () => {
    const hm = await hubmeshWith({ HUBMESH_READINESS: 'reconciled', HUBMESH_READINESS_TIMEOUT_MS: '3000' });
    const name = virtualServiceName(hm.prefix, '/user/rec');
    // what istiod does when PILOT_ENABLE_STATUS is on: mark the generation acknowledged by the proxies
    const reconcileLater = (async () => {
      await new Promise((r) => setTimeout(r, 700));
      const vs = (await adminCustom.getNamespacedCustomObject({ ...group, name })) as VirtualService;
      const status = { observedGeneration: String(vs.metadata.generation), conditions: [{ type: 'Reconciled', status: 'True', message: 'Reconciled', lastTransitionTime: new Date().toISOString() }] };
      await adminCustom.replaceNamespacedCustomObjectStatus({ ...group, name, body: { ...vs, status } });
    })();
    const served = await timedPost(hm, 'rec');
    await reconcileLater;
    expect(served.status).toBe(201);
    expect(served.ms).toBeGreaterThanOrEqual(650);
    expect(served.ms).toBeLessThan(3000);

    const unserved = await timedPost(hm, 'never');
    expect(unserved.status).toBe(201);
    expect(unserved.ms).toBeGreaterThanOrEqual(2900);
    expect(unserved.ms).toBeLessThan(4500);
    await eventually(() => (hm.output().includes('route not confirmed served before the readiness timeout') ? true : undefined), 'the time-out warning in the log');

    const again = await timedPost(hm, 'rec');
    expect(again.status).toBe(201);
    expect(again.ms).toBeLessThan(1000); // nothing changed: no write, nothing to wait for
  });

  it("probes the gateway for the route's header, with the configured host", async () => {
    // a stand-in for the Istio ingress gateway: it starts serving a route 500 ms after the
    // VirtualService appears in the apiserver, answering with the header the route sets
    const seen: Array<{ host: string | undefined; path: string | undefined }> = [];
    const firstSeen = new Map<string, number>();
    const port = await freePort();
    const gateway = http.createServer(async (req, res) => {
      seen.push({ host: req.headers.host, path: req.url });
      const user = req.url?.match(/^\/user\/([^/]+)\//)?.[1];
      const name = user && virtualServiceName(prefix, `/user/${user}`);
      const exists = name && (await adminCustom.getNamespacedCustomObject({ ...group, name }).then(() => true, () => false));
      if (exists && !firstSeen.has(name)) firstSeen.set(name, Date.now());
      const serving = exists && Date.now() - firstSeen.get(name)! >= 500;
      res.writeHead(serving ? 302 : 404, serving ? { 'x-hubmesh-route': name } : {});
      res.end();
    });
    await new Promise<void>((r) => gateway.listen(port, '127.0.0.1', () => r()));
    const hm = await hubmeshWith({
      HUBMESH_READINESS: 'gateway',
      HUBMESH_GATEWAY_URL: `http://127.0.0.1:${port}`,
      HUBMESH_HOSTS: 'hub.example.com',
      HUBMESH_READINESS_TIMEOUT_MS: '4000',
    });
    const prefix = hm.prefix;
    try {
      const served = await timedPost(hm, 'gw');
      expect(served.status).toBe(201);
      expect(served.ms).toBeGreaterThanOrEqual(450);
      expect(served.ms).toBeLessThan(4000);
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.every((s) => s.host === 'hub.example.com' && s.path === '/user/gw/')).toBe(true);
      expect(hm.output()).not.toContain('route not confirmed served');
    } finally {
      gateway.close();
    }
  });
});
