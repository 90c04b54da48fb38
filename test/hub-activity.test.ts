import { CoordinationV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { clients, eventually, HUB_NAMESPACE, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { removeSpawnedObjects, startHub, type HubProcess } from './jupyterhub/hub-process';
import { startIstioExporter, type IstioExporter } from './prometheus/exporter';
import { startPrometheus, type PrometheusServer } from './prometheus/harness';

const vsGroup = { group: 'networking.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'virtualservices' };

type ServerModel = { ready: boolean; last_activity: string | null };

/**
 * The point of real last_activity: a real JupyterHub 3.0 reads it from hubmesh's routes
 * (update_last_activity, here every 2 s instead of 300 s) and records it on the user's server, which is
 * what its idle culler acts on. Only the user whose Service got requests, as Istio's metrics in Debian's
 * Prometheus say, becomes active; the other stays as idle as it was.
 */
describe('JupyterHub sees real activity through hubmesh', () => {
  const { admin, adminCore, adminCustom } = clients();
  const prefix = uniqueName('hubact');
  const [busy, quiet] = ['busy', 'quiet'].map((u) => `${u}${uniqueName('').slice(1)}`) as [string, string];
  let exporter: IstioExporter;
  let prometheus: PrometheusServer;
  let hubmesh: HubmeshProcess;
  let hub: HubProcess | undefined;
  const logs = () => `--- hub ---\n${hub?.output().slice(-6000)}\n--- hubmesh ---\n${hubmesh?.output().slice(-6000)}`;
  const server = async (name: string): Promise<ServerModel | undefined> => {
    const r = await hub!.api(`/users/${name}`);
    if (r.status !== 200) throw new Error(`hub GET /users/${name}: ${r.status} ${await r.text()}`);
    return ((await r.json()) as { servers?: Record<string, ServerModel> }).servers?.[''];
  };

  beforeAll(async () => {
    exporter = await startIstioExporter();
    prometheus = await startPrometheus({ targets: [exporter.target] });
    hubmesh = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, env: { HUBMESH_PROMETHEUS_URL: prometheus.url, HUBMESH_ACTIVITY_INTERVAL_S: '2' } });
    hub = await startHub({
      proxyUrl: hubmesh.url,
      proxyToken: hubmesh.token,
      kubeconfig: inject('adminKubeconfig'),
      namespace: HUB_NAMESPACE,
      lastActivityIntervalSeconds: 2,
      hubRouteRegistered: async () => '/' in (await (await hubmesh.api('/api/routes')).json()),
    });
  }, 120_000);

  afterAll(async () => {
    await hub?.stop().catch(() => undefined);
    await hubmesh?.stop().catch(() => undefined);
    await prometheus?.stop();
    await exporter?.close();
    await admin.makeApiClient(CoordinationV1Api).deleteNamespacedLease({ name: `${prefix}-last-activity`, namespace: HUB_NAMESPACE }).catch(() => undefined);
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...vsGroup, labelSelector: `hubmesh.io/prefix=${prefix}` }).catch(() => undefined);
    if (hub) await removeSpawnedObjects(hub, adminCore, HUB_NAMESPACE);
  }, 60_000);

  it('moves the busy user’s last_activity forward in the hub, and leaves the quiet one alone', async () => {
    for (const name of [busy, quiet]) {
      expect((await hub!.api(`/users/${name}`, { method: 'POST' })).status).toBe(201);
      expect([201, 202], logs()).toContain((await hub!.api(`/users/${name}/server`, { method: 'POST' })).status);
    }
    for (const name of [busy, quiet]) await eventually(async () => ((await server(name))?.ready ? true : undefined), `${name}'s server ready\n${logs()}`, 60_000);
    const proxyRoutes = async () => (await (await hubmesh.api('/api/routes')).json()) as Record<string, { last_activity: string }>;
    // a route's last_activity starts as its creation time (which the hub may already have taken); only traffic moves it later
    const created = await proxyRoutes();
    const busyRoute = created[`/user/${busy}`]!.last_activity;
    const quietRoute = created[`/user/${quiet}`]!.last_activity;

    // requests reach the busy user's Service (KubeSpawner's name for it) through the mesh
    exporter.requests({ source: { namespace: HUB_NAMESPACE, workload: 'proxy' }, destination: { namespace: HUB_NAMESPACE, service: `jupyter-${busy}` }, policy: 'mutual_tls' }, 2);
    exporter.requests({ source: { namespace: HUB_NAMESPACE, workload: 'proxy' }, destination: { namespace: HUB_NAMESPACE, service: `jupyter-${quiet}` }, policy: 'mutual_tls' }, 0);

    const seen = await eventually(
      async () => {
        const now = (await server(busy))!.last_activity!;
        return Date.parse(now) > Date.parse(busyRoute) ? now : undefined;
      },
      `the hub to record newer activity for ${busy}\n${logs()}`,
      45_000,
    );
    // it is the value hubmesh serves for the route, which its writer took from the traffic
    const routes = await proxyRoutes();
    expect(Date.parse(seen)).toBeLessThanOrEqual(Date.parse(routes[`/user/${busy}`]!.last_activity));
    // the quiet user's route never moved, so the hub never saw activity after it was created
    expect(routes[`/user/${quiet}`]!.last_activity).toBe(quietRoute);
    expect(Date.parse((await server(quiet))!.last_activity!)).toBeLessThanOrEqual(Date.parse(quietRoute));
  });
});
