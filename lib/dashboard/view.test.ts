import { describe, expect, it } from 'vitest';
import type { Pod } from '../kube/pods';
import type { Service } from '../kube/services';
import { renderRouteVirtualService, type RenderContext } from '../routes/virtualservice';
import { parseQuery } from '../search-params';
import { podQuery, queryPods, queryRoutes, routeQuery } from './query';
import { buildDashboard, paginate, type DashboardInput } from './view';

const ctx: RenderContext = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/gw', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const route = (user: string, host = `jupyter-${user}.hub.svc.cluster.local`) =>
  renderRouteVirtualService(
    { path: `/user/${user}`, data: { target: `http://jupyter-${user}:8888`, jupyterhub: true, user, server_name: '' }, lastActivity: '2026-11-24T10:00:00.000Z' },
    { host, port: 8888 },
    ctx,
  );
const service = (user: string): Service => ({ metadata: { name: `jupyter-${user}`, namespace: 'hub' }, spec: { selector: { 'hub.jupyter.org/username': user }, ports: [{ name: 'http', port: 8888 }] } });
const pod = (user: string, options: { sidecar?: string | false; ready?: boolean } = {}): Pod => {
  const sidecar = options.sidecar ?? '1.28.1';
  const ready = options.ready ?? true;
  const containers = [{ name: 'notebook', image: 'jupyter/base' }, ...(sidecar ? [{ name: 'istio-proxy', image: `istio/proxyv2:${sidecar}` }] : [])];
  return {
    metadata: {
      name: `jupyter-${user}`,
      namespace: 'hub',
      labels: { component: 'singleuser-server', 'hub.jupyter.org/username': user, 'hub.jupyter.org/servername': '' },
      creationTimestamp: '2026-11-24T09:00:00Z',
    },
    spec: { nodeName: 'node-1', containers },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: containers.map((c) => ({ name: c.name, ready: c.name === 'istio-proxy' ? ready : true, restartCount: 0, image: c.image, state: { running: {} } })),
    },
  };
};
const input = (over: Partial<DashboardInput>): DashboardInput => ({
  virtualServices: [],
  pods: [],
  services: [],
  namespace: 'hub',
  clusterDomain: 'cluster.local',
  notebookSelector: 'component=singleuser-server',
  istioVersion: undefined,
  ...over,
});

describe('buildDashboard', () => {
  it('joins a route to its Service and ready pod', () => {
    const d = buildDashboard(input({ virtualServices: [route('alice')], services: [service('alice')], pods: [pod('alice')] }));
    expect(d.routes).toHaveLength(1);
    expect(d.routes[0]).toMatchObject({ path: '/user/alice', user: 'alice', serverName: '', serviceExists: true, podReady: true, pods: ['jupyter-alice'], status: 'ok', problems: [] });
    expect(d.pods[0]).toMatchObject({ name: 'jupyter-alice', route: '/user/alice', warnings: [] });
    expect(d.users).toEqual([{ user: 'alice', servers: [{ serverName: '', route: '/user/alice', pod: 'jupyter-alice', podStatus: 'Running', warnings: 0 }], warnings: 0 }]);
  });

  it('marks routes whose Service is missing or has no ready pod, and leaves outside destinations unknown', () => {
    const d = buildDashboard(
      input({
        virtualServices: [route('nosvc'), route('nopod'), route('notready'), route('far', 'jupyter-far.other.svc.cluster.local')],
        services: [service('nopod'), service('notready')],
        pods: [pod('notready', { ready: false })],
      }),
    );
    const byPath = Object.fromEntries(d.routes.map((r) => [r.path, r]));
    expect(byPath['/user/nosvc']).toMatchObject({ status: 'degraded', serviceExists: false, problems: ['Service jupyter-nosvc does not exist'] });
    expect(byPath['/user/nopod']).toMatchObject({ status: 'degraded', podReady: false, problems: ['no pod behind the Service'] });
    expect(byPath['/user/notready']).toMatchObject({ status: 'degraded', problems: ['no ready pod behind the Service'] });
    expect(byPath['/user/far']).toMatchObject({ status: 'ok', serviceExists: undefined, podReady: undefined });
  });

  it('warns about notebook pods without a sidecar, with a skewed one, and without a route', () => {
    const d = buildDashboard(
      input({
        virtualServices: [route('a'), route('b'), route('c')],
        services: [service('a'), service('b'), service('c')],
        pods: [pod('a'), pod('b'), pod('c', { sidecar: '1.27.3' }), pod('d', { sidecar: false })],
      }),
    );
    expect(d.expectedSidecarVersion).toBe('1.28.1');
    const codes = Object.fromEntries(d.pods.map((p) => [p.name, p.warnings.map((w) => w.code)]));
    expect(codes).toEqual({
      'jupyter-a': [],
      'jupyter-b': [],
      'jupyter-c': ['sidecar-version-skew'],
      'jupyter-d': ['no-sidecar', 'pod-without-route'],
    });
  });

  it('compares sidecars with the configured control-plane version when one is set', () => {
    const d = buildDashboard(input({ pods: [pod('a'), pod('b')], istioVersion: '1.29.0' }));
    expect(d.expectedSidecarVersion).toBe('1.29.0');
    expect(d.pods.every((p) => p.warnings.some((w) => w.code === 'sidecar-version-skew'))).toBe(true);
  });

  it('reads ambient pods with the mesh around them: their namespace, the waypoints and the policies that need one', () => {
    const withAnnotations = (p: Pod, annotations: Record<string, string>, labels: Record<string, string> = {}): Pod => ({
      ...p,
      metadata: { ...p.metadata, annotations, labels: { ...p.metadata.labels, ...labels } },
    });
    const redirected = { 'ambient.istio.io/redirection': 'enabled' };
    const mesh = {
      namespaces: [{ metadata: { name: 'hub', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } } }],
      waypoints: [{ namespace: 'hub', name: 'waypoint', for: 'all' as const }],
      authorizationPolicies: [{ metadata: { name: 'gets', namespace: 'hub' }, spec: { selector: { matchLabels: { l7: 'yes' } }, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] } }],
      rootNamespace: 'istio-system',
    };
    const d = buildDashboard(
      input({
        virtualServices: ['a', 'b', 'c', 'd'].map((u) => route(u)),
        pods: [
          withAnnotations(pod('a', { sidecar: false }), redirected),
          withAnnotations(pod('b', { sidecar: false }), {}),
          withAnnotations(pod('c', { sidecar: false }), redirected, { 'istio.io/use-waypoint': 'none', l7: 'yes' }),
          withAnnotations(pod('d', { sidecar: false }), {}, { 'istio.io/dataplane-mode': 'none' }),
        ],
        mesh,
      }),
    );
    const byName = Object.fromEntries(d.pods.map((p) => [p.name, p]));
    expect(Object.fromEntries(d.pods.map((p) => [p.name, [p.dataplane, ...p.warnings.map((w) => w.code)]]))).toEqual({
      'jupyter-a': ['ambient'],
      'jupyter-b': ['ambient', 'ztunnel-not-redirecting'],
      'jupyter-c': ['ambient', 'waypoint-missing'],
      'jupyter-d': ['none', 'not-enrolled'],
    });
    expect(byName['jupyter-a']!.ambient.waypoint).toMatchObject({ name: 'waypoint', found: true, ready: true });
    // without the mesh (local mode) the same pods have no data plane, in the old words
    expect(buildDashboard(input({ pods: [withAnnotations(pod('a', { sidecar: false }), redirected)] })).pods[0]).toMatchObject({ dataplane: 'none', warnings: [{ code: 'no-sidecar' }, { code: 'pod-without-route' }] });
    expect(queryPods(d.pods, parseQuery(podQuery, new URLSearchParams('dataplane=ambient'))).items.map((p) => p.name)).toEqual(['jupyter-a', 'jupyter-b', 'jupyter-c']);
  });

  it('only counts pods that match the notebook selector', () => {
    const hub = { ...pod('hub'), metadata: { ...pod('hub').metadata, name: 'hub-0', labels: { component: 'hub' } } };
    expect(buildDashboard(input({ pods: [hub, pod('a')] })).pods.map((p) => p.name)).toEqual(['jupyter-a']);
  });
});

describe('dashboard queries', () => {
  const d = buildDashboard(
    input({
      virtualServices: ['carol', 'alice', 'bob'].map((u) => route(u)),
      services: [service('alice')],
      pods: [pod('alice'), pod('zed', { sidecar: false })],
    }),
  );

  it('searches, filters, sorts and pages routes', () => {
    const q = (params: string) => {
      return queryRoutes(d.routes, parseQuery(routeQuery, new URLSearchParams(params)));
    };
    expect(q('').items.map((r) => r.user)).toEqual(['alice', 'bob', 'carol']);
    expect(q('order=desc').items.map((r) => r.user)).toEqual(['carol', 'bob', 'alice']);
    expect(q('q=BO').items.map((r) => r.user)).toEqual(['bob']);
    expect(q('status=ok').items.map((r) => r.user)).toEqual(['alice']);
    expect(q('status=degraded&sort=user&order=desc').items.map((r) => r.user)).toEqual(['carol', 'bob']);
    expect(q('user=carol').total).toBe(1);
    expect(q('pageSize=2&page=2')).toMatchObject({ total: 3, page: 2, pageSize: 2, items: [{ user: 'carol' }] });
  });

  it('filters pods by warning', () => {
    expect(queryPods(d.pods, parseQuery(podQuery, new URLSearchParams('warning=no-sidecar'))).items.map((p) => p.name)).toEqual(['jupyter-zed']);
  });

  it('names the parameter it cannot read', () => {
    expect(() => parseQuery(routeQuery, new URLSearchParams('pageSize=5000'))).toThrow(
      expect.objectContaining({ status: 400, code: 'invalid-input', field: 'pageSize', message: expect.stringMatching(/^query parameter pageSize: /) }),
    );
    expect(() => parseQuery(routeQuery, new URLSearchParams('status=weird'))).toThrow(expect.objectContaining({ field: 'status', message: expect.stringMatching(/^query parameter status: /) }));
  });

  it('clamps pages to what exists', () => {
    expect(paginate([1, 2, 3], 9, 2)).toEqual({ items: [3], total: 3, page: 2, pageSize: 2 });
    expect(paginate([], 1, 50)).toEqual({ items: [], total: 0, page: 1, pageSize: 50 });
  });
});
