import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { VirtualService } from '@/lib/kube/virtualservices';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { startHub, type HubProcess } from './jupyterhub/hub-process';

const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };
const adminToken = 'overlay-admin-token-0123456789';
const sessionSecret = 'overlay-session-secret-0123456789abcdef';

/**
 * A real JupyterHub 3.0 re-POSTs its own route `/` when it starts (and from check_routes when a route's
 * target differs): a canary, a selective rule and the resilience settings set on that route through the console must survive it,
 * even when the hub comes back on another port and the route's target changes.
 */
describe('overlays survive the hub re-adding its route', () => {
  const { adminCore, adminCustom } = clients();
  const prefix = uniqueName('hubov');
  const canaryService = uniqueName('hub-canary');
  let hubmesh: HubmeshProcess;
  let hub: HubProcess | undefined;
  const logs = () => `--- hub ---\n${hub?.output().slice(-6000)}\n--- hubmesh ---\n${hubmesh?.output().slice(-6000)}`;
  const startOurHub = () =>
    startHub({
      proxyUrl: hubmesh.url,
      proxyToken: hubmesh.token,
      kubeconfig: inject('adminKubeconfig'),
      namespace: HUB_NAMESPACE,
      hubRouteRegistered: async () => '/' in (await (await hubmesh.api('/api/routes')).json()),
    });
  const hubRouteVs = async () =>
    ((await adminCustom.listNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${prefix}` })) as { items: VirtualService[] }).items.find(
      (vs) => vs.metadata.annotations?.['hubmesh.io/route'] === '/',
    );

  beforeAll(async () => {
    await adminCore.createNamespacedService({ namespace: HUB_NAMESPACE, body: { metadata: { name: canaryService }, spec: { selector: { app: canaryService }, ports: [{ name: 'http', port: 8081 }] } } });
    hubmesh = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, env: { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_SESSION_SECRET: sessionSecret } });
    hub = await startOurHub();
  }, 120_000);

  afterAll(async () => {
    await hub?.stop().catch(() => undefined);
    await hubmesh?.stop().catch(() => undefined);
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${prefix}` }).catch(() => undefined);
    await adminCustom
      .deleteNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1alpha3', namespace: 'istio-system', plural: 'envoyfilters', name: `${prefix}-rate-limits` })
      .catch(() => undefined);
    await adminCore.deleteNamespacedService({ namespace: HUB_NAMESPACE, name: canaryService }).catch(() => undefined);
  }, 60_000);

  it('keeps a 10% canary, a header rule, retries, a timeout, a scoped fault and a rate limit on / when a new hub on another port re-adds the route', async () => {
    const session = await fetch(`${hubmesh.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: adminToken }) });
    const cookies = session.headers.getSetCookie();
    const headers = { cookie: cookies.map((c) => c.split(';')[0]).join('; '), 'x-csrf-token': cookies.find((c) => c.startsWith('hubmesh_csrf='))!.split(';')[0]!.slice('hubmesh_csrf='.length) };
    const name = (await hubRouteVs())!.metadata.name;
    const overlays = {
      canary: { weights: { current: 90, canary: 10 }, destination: { service: canaryService } },
      rules: [{ name: 'testers', match: { header: 'x-tester', exact: 'yes' }, destination: { service: canaryService } }],
      retries: { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset' },
      timeout: '60s',
      fault: { abort: { percent: 50, httpStatus: 503 }, scope: { header: 'x-hubmesh-fault', exact: 'demo' }, ttl: '1h' },
      rateLimit: { requests: 50, per: 'second' },
    };
    const put = await fetch(`${hubmesh.url}/api/v1/routes/${name}/overlays`, { method: 'PUT', headers, body: JSON.stringify({ overlays, dryRun: false }) });
    expect(put.status, await put.clone().text()).toBe(200);
    // as stored: the fault's ttl is its expiry now
    const stored = ((await put.json()) as { overlays: Record<string, unknown> }).overlays;
    expect(stored.fault).toMatchObject({ abort: { percent: 50, httpStatus: 503 }, expiresAt: expect.any(String) });
    const canaryHost = `${canaryService}.${HUB_NAMESPACE}.svc.cluster.local`;
    const hostsOf = (vs: VirtualService) => vs.spec.http?.map((r) => [r.name, r.route?.map((d) => [d.destination.host, d.weight ?? 100])]);
    const before = (await hubRouteVs())!;
    expect(hostsOf(before)).toContainEqual(['rule-testers', [[canaryHost, 100]]]);
    const oldTarget = JSON.parse(before.metadata.annotations!['hubmesh.io/data']!).target as string;

    // a new hub: new port, so its POST of / carries a new target and hubmesh re-renders the route
    await hub!.stop();
    hub = await startOurHub();
    const after = await eventually(async () => {
      const vs = await hubRouteVs();
      return vs && JSON.parse(vs.metadata.annotations!['hubmesh.io/data']!).target !== oldTarget ? vs : undefined;
    }, `the new hub's target on /\n${logs()}`);
    const routeRule = after.spec.http!.find((r) => r.name === 'route')!;
    expect(routeRule.route!.map((d) => d.weight)).toEqual([90, 10]);
    expect(routeRule.route![0]!.destination.port!.number).toBe(hub!.hubPort);
    expect(routeRule.route![1]!.destination.host).toBe(canaryHost);
    expect(after.spec.http!.map((r) => r.name)).toEqual(['fault', 'rule-testers', 'route']);
    expect(routeRule).toMatchObject({ retries: { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset' }, timeout: '60s' });
    expect(after.spec.http![0]!.fault).toMatchObject({ abort: { httpStatus: 503, percentage: { value: 50 } } });
    expect(routeRule.match!.every((m) => m.name === name)).toBe(true);
    expect(JSON.parse(after.metadata.annotations!['hubmesh.io/overlays']!)).toEqual(stored);
  });
});
