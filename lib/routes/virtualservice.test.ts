import { describe, expect, it } from 'vitest';
import type { VirtualService } from '../kube/virtualservices';
import { canonicalJson, renderRouteVirtualService, routeFromVirtualService, sameRoute, type RenderContext } from './virtualservice';

const ctx: RenderContext = {
  namespace: 'jupyterhub',
  prefix: 'hubmesh',
  gateway: 'jupyterhub/jupyterhub-gateway',
  hosts: ['hub.example.com'],
  hostRouting: false,
  routeTimeout: undefined,
};
const dest = { host: 'jupyter-alice.jupyterhub.svc.cluster.local', port: 8888 };
const userRoute = {
  path: '/user/alice',
  data: { target: 'http://jupyter-alice:8888', jupyterhub: true, user: 'alice', server_name: '', extra: { nested: [1, 2] } },
  lastActivity: '2026-11-24T10:00:00.000Z',
};

describe('renderRouteVirtualService', () => {
  it('renders a user route that cannot catch a longer user name', () => {
    const vs = renderRouteVirtualService(userRoute, dest, ctx);
    expect(vs.metadata.name).toMatch(/^hubmesh-user-alice-[0-9a-f]{10}$/);
    expect(vs.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'hubmesh',
      'hubmesh.io/prefix': 'hubmesh',
      'hubmesh.io/kind': 'route',
      'hubmesh.io/user': 'alice',
      'hubmesh.io/server-name': '',
    });
    expect(vs.spec).toEqual({
      hosts: ['hub.example.com'],
      gateways: ['jupyterhub/jupyterhub-gateway'],
      http: [
        {
          name: 'route',
          match: [{ uri: { prefix: '/user/alice/' } }, { uri: { exact: '/user/alice' } }],
          route: [{ destination: { host: dest.host, port: { number: 8888 } } }],
          headers: { response: { set: { 'x-hubmesh-route': vs.metadata.name } } },
        },
      ],
    });
  });

  it('renders / as the catch-all', () => {
    const vs = renderRouteVirtualService({ path: '/', data: { target: 'http://hub:8081', hub: true }, lastActivity: userRoute.lastActivity }, { host: 'hub.jupyterhub.svc.cluster.local', port: 8081 }, ctx);
    expect(vs.spec.http?.[0]?.match).toEqual([{ uri: { prefix: '/' } }]);
    expect(vs.metadata.labels?.['hubmesh.io/user']).toBeUndefined();
  });

  it('binds a host route to its own host', () => {
    const vs = renderRouteVirtualService({ ...userRoute, path: '/alice.hub.example.com/user/alice' }, dest, { ...ctx, hostRouting: true });
    expect(vs.spec.hosts).toEqual(['alice.hub.example.com']);
    expect(vs.spec.http?.[0]?.match).toEqual([{ uri: { prefix: '/user/alice/' } }, { uri: { exact: '/user/alice' } }]);
  });

  it('sets the route timeout only when configured', () => {
    expect(renderRouteVirtualService(userRoute, dest, ctx).spec.http?.[0]?.timeout).toBeUndefined();
    expect(renderRouteVirtualService(userRoute, dest, { ...ctx, routeTimeout: '3600s' }).spec.http?.[0]?.timeout).toBe('3600s');
  });
});

describe('routeFromVirtualService', () => {
  it('matches the quoted form clients send, not the decoded key', () => {
    const vs = renderRouteVirtualService({ ...userRoute, path: '/user/秀樹' }, dest, ctx);
    expect(vs.spec.http?.[0]?.match).toEqual([{ uri: { prefix: '/user/%E7%A7%80%E6%A8%B9/' } }, { uri: { exact: '/user/%E7%A7%80%E6%A8%B9' } }]);
    expect(vs.metadata.annotations?.['hubmesh.io/route']).toBe('/user/秀樹');
  });

  it('rebuilds exactly the route that was rendered, unicode and all', () => {
    const route = { ...userRoute, path: '/user/秀樹', data: { ...userRoute.data, user: '秀樹' } };
    expect(routeFromVirtualService(renderRouteVirtualService(route, dest, ctx))).toEqual(route);
  });

  it('ignores objects that are not hubmesh routes', () => {
    const vs = renderRouteVirtualService(userRoute, dest, ctx);
    expect(routeFromVirtualService({ ...vs, metadata: { ...vs.metadata, labels: {} } })).toBeUndefined();
    expect(routeFromVirtualService({ ...vs, metadata: { ...vs.metadata, annotations: { ...vs.metadata.annotations, 'hubmesh.io/data': '{' } } })).toBeUndefined();
    expect(routeFromVirtualService({ ...vs, metadata: { ...vs.metadata, annotations: { ...vs.metadata.annotations, 'hubmesh.io/data': '{"x":1}' } } })).toBeUndefined();
  });
});

describe('sameRoute', () => {
  const stored = (vs: VirtualService): VirtualService => JSON.parse(canonicalJson({ ...vs, metadata: { ...vs.metadata, resourceVersion: '7', uid: 'u' } }));

  it('ignores key order, server fields, last_activity and labels that are not ours', () => {
    const desired = renderRouteVirtualService(userRoute, dest, ctx);
    const later = renderRouteVirtualService({ ...userRoute, lastActivity: '2027-01-01T00:00:00.000Z' }, dest, ctx);
    const withForeignLabel = stored(desired);
    withForeignLabel.metadata.labels = { ...withForeignLabel.metadata.labels, 'team.example.com/owner': 'x' };
    expect(sameRoute(withForeignLabel, later)).toBe(true);
  });

  it('sees a changed target or changed data', () => {
    const desired = renderRouteVirtualService(userRoute, dest, ctx);
    expect(sameRoute(stored(desired), renderRouteVirtualService(userRoute, { ...dest, port: 9999 }, ctx))).toBe(false);
    expect(sameRoute(stored(desired), renderRouteVirtualService({ ...userRoute, data: { ...userRoute.data, extra: 2 } }, dest, ctx))).toBe(false);
  });
});
