import { describe, expect, it } from 'vitest';
import type { VirtualService } from '../kube/virtualservices';
import { renderRouteVirtualService, type RenderContext } from '../routes/virtualservice';
import { ANNOTATIONS } from '../kube/labels';
import {
  activeServicesQuery,
  activityFromSamples,
  forEachBounded,
  planActivityUpdates,
  routeServices,
  serviceKey,
  serviceOfHost,
  type ServiceActivity,
} from './last-activity';

const ctx: RenderContext = { namespace: 'jupyterhub', prefix: 'hubmesh', gateway: 'jupyterhub/jupyterhub-gateway', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const T0 = '2026-11-24T10:00:00.000Z';
const now = new Date('2026-11-24T11:00:00.000Z');

function route(user: string, lastActivity = T0, resourceVersion = '100'): VirtualService {
  const vs = renderRouteVirtualService(
    { path: `/user/${user}`, data: { target: `http://jupyter-${user}:8888`, user }, lastActivity },
    { host: `jupyter-${user}.jupyterhub.svc.cluster.local`, port: 8888 },
    ctx,
  );
  vs.metadata.resourceVersion = resourceVersion;
  return vs;
}

const active = (entries: Record<string, string>): ServiceActivity => new Map(Object.entries(entries).map(([k, v]) => [k, new Date(v)]));

describe('planActivityUpdates', () => {
  it('moves only the routes whose Service had requests, to the end of the window', () => {
    const updates = planActivityUpdates([route('alice'), route('bob')], active({ 'jupyterhub/jupyter-alice': '2026-11-24T10:30:00.000Z' }), now, 'cluster.local');
    expect(updates).toEqual([{ name: route('alice').metadata.name, resourceVersion: '100', lastActivity: '2026-11-24T10:30:00.000Z' }]);
  });

  it('never moves a timestamp backward, nor writes an equal one', () => {
    const vs = [route('alice', '2026-11-24T10:45:00.000Z'), route('bob', '2026-11-24T10:30:00.000Z')];
    const traffic = active({ 'jupyterhub/jupyter-alice': '2026-11-24T10:30:00.000Z', 'jupyterhub/jupyter-bob': '2026-11-24T10:30:00.000Z' });
    expect(planActivityUpdates(vs, traffic, now, 'cluster.local')).toEqual([]);
  });

  it('never writes a time past now, whatever the source says', () => {
    const [update] = planActivityUpdates([route('alice')], active({ 'jupyterhub/jupyter-alice': '2026-11-24T12:00:00.000Z' }), now, 'cluster.local');
    expect(update?.lastActivity).toBe(now.toISOString());
  });

  it('counts traffic to any weighted destination of the route rule', () => {
    const vs = route('alice');
    vs.spec.http![0]!.route = [
      { destination: { host: 'jupyter-alice.jupyterhub.svc.cluster.local' }, weight: 90 },
      { destination: { host: 'jupyter-alice-next.jupyterhub.svc.cluster.local' }, weight: 10 },
    ];
    expect(routeServices(vs, 'cluster.local').map(serviceKey)).toEqual(['jupyterhub/jupyter-alice', 'jupyterhub/jupyter-alice-next']);
    expect(planActivityUpdates([vs], active({ 'jupyterhub/jupyter-alice-next': '2026-11-24T10:10:00.000Z' }), now, 'cluster.local')).toHaveLength(1);
  });

  it('ignores VirtualServices that are not hubmesh routes, and a Service of the same name elsewhere', () => {
    const foreign = route('alice');
    delete foreign.metadata.annotations![ANNOTATIONS.data];
    expect(planActivityUpdates([foreign], active({ 'jupyterhub/jupyter-alice': '2026-11-24T10:30:00.000Z' }), now, 'cluster.local')).toEqual([]);
    expect(planActivityUpdates([route('alice')], active({ 'other/jupyter-alice': '2026-11-24T10:30:00.000Z' }), now, 'cluster.local')).toEqual([]);
  });

  it('writes over a missing or unreadable annotation', () => {
    const vs = route('alice');
    vs.metadata.annotations![ANNOTATIONS.lastActivity] = 'yesterday';
    expect(planActivityUpdates([vs], active({ 'jupyterhub/jupyter-alice': '2026-11-24T10:30:00.000Z' }), now, 'cluster.local')).toHaveLength(1);
  });
});

describe('serviceOfHost', () => {
  it('reads full names and short names the way Istio does', () => {
    expect(serviceOfHost('jupyter-alice.jupyterhub.svc.cluster.local', 'x', 'cluster.local')).toEqual({ name: 'jupyter-alice', namespace: 'jupyterhub' });
    expect(serviceOfHost('jupyter-alice', 'jupyterhub', 'cluster.local')).toEqual({ name: 'jupyter-alice', namespace: 'jupyterhub' });
    expect(serviceOfHost('hub.example.org', 'jupyterhub', 'cluster.local')).toBeUndefined();
    expect(serviceOfHost('10.0.0.7', 'jupyterhub', 'cluster.local')).toBeUndefined();
    expect(serviceOfHost('a.b.c.svc.cluster.local', 'jupyterhub', 'cluster.local')).toBeUndefined();
  });
});

describe('Prometheus query and answer', () => {
  it('asks for Services with requests received in the window', () => {
    expect(activeServicesQuery('jupyterhub', 60)).toBe(
      'sum by (destination_service_namespace, destination_service_name) (increase(istio_requests_total{reporter="destination", destination_service_namespace="jupyterhub"}[60s])) > 0',
    );
    expect(activeServicesQuery('we"ird\\', 60)).toContain('destination_service_namespace="we\\"ird\\\\"');
    expect(() => activeServicesQuery('jupyterhub', 0.5)).toThrow(/whole number/);
  });

  it("reads each sample's labels and time", () => {
    const activity = activityFromSamples([
      { metric: { destination_service_namespace: 'jupyterhub', destination_service_name: 'jupyter-alice' }, time: 1_795_000_000, value: 3 },
      { metric: { destination_service_namespace: 'jupyterhub', destination_service_name: 'jupyter-bob' }, time: 1_795_000_000, value: 0 },
      { metric: { destination_service_namespace: 'jupyterhub' }, time: 1_795_000_000, value: 1 },
    ]);
    expect([...activity]).toEqual([['jupyterhub/jupyter-alice', new Date(1_795_000_000_000)]]);
  });
});

describe('forEachBounded', () => {
  it('runs at most the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await forEachBounded([...Array(20).keys()], 3, new AbortController().signal, async (i) => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      running--;
      done.push(i);
    });
    expect(peak).toBe(3);
    expect(done.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('starts nothing more once the signal aborts', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    await forEachBounded([...Array(20).keys()], 2, controller.signal, async (i) => {
      started.push(i);
      if (i === 4) controller.abort();
      await new Promise((r) => setTimeout(r, 1));
    });
    // item 4 starts while 3 is running; once it aborts, neither worker picks up another
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });
});
