import { describe, expect, it } from 'vitest';
import type { HTTPRouteObject } from '../kube/httproutes';
import type { Service } from '../kube/services';
import { gatewayDuration, httpRouteDestination, httpRouteUnstorable, isAcceptedHttpRoute, parentReference, renderRouteHTTPRoute, unavailableWithHttpRoute, withServicePorts, type HttpRouteContext } from './httproute';
import { NO_OVERLAYS, type Overlays, type Preview } from './overlays';
import { routeObjectStatus } from './route-objects';
import { routeFromObject, sameRoute } from './virtualservice';

const parent = parentReference('istio-ingress/hub-gateway', 'http');
const ctx: HttpRouteContext = {
  namespace: 'jupyterhub',
  prefix: 'hubmesh',
  gateway: 'istio-ingress/hub-gateway',
  hosts: ['hub.example.com'],
  hostRouting: false,
  routeTimeout: undefined,
  parent,
};
const dest = { host: 'jupyter-alice.jupyterhub.svc.cluster.local', port: 8888 };
const userRoute = { path: '/user/alice', data: { target: 'http://jupyter-alice:8888', user: 'alice', server_name: '' }, lastActivity: '2026-11-24T10:00:00.000Z' };
const withOverlays = (o: Partial<Overlays>): Overlays => ({ ...NO_OVERLAYS, ...o });
const routeHeader = (name: string) => ({ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'x-hubmesh-route', value: name }] } });

describe('renderRouteHTTPRoute', () => {
  it('renders a user route as one PathPrefix rule on the Gateway, every defaulted field written out', () => {
    const route = renderRouteHTTPRoute(userRoute, dest, ctx);
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.kind).toBe('HTTPRoute');
    expect(route.metadata.name).toMatch(/^hubmesh-user-alice-[0-9a-f]{10}$/);
    expect(route.metadata.labels?.['hubmesh.io/kind']).toBe('route');
    expect(route.spec).toEqual({
      parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'istio-ingress', name: 'hub-gateway', sectionName: 'http' }],
      hostnames: ['hub.example.com'],
      rules: [
        {
          name: 'route',
          matches: [{ path: { type: 'PathPrefix', value: '/user/alice' } }],
          filters: [routeHeader(route.metadata.name)],
          backendRefs: [{ group: '', kind: 'Service', name: 'jupyter-alice', port: 8888, weight: 1 }],
        },
      ],
    });
    // the annotations are the VirtualService's: the same route reads back from either kind
    expect(routeFromObject(route)).toMatchObject({ path: '/user/alice', data: userRoute.data });
    expect(httpRouteDestination(route, 'cluster.local')).toEqual(dest);
  });

  it('leaves hostnames out for "*", and gives a host route its own host', () => {
    expect(renderRouteHTTPRoute(userRoute, dest, { ...ctx, hosts: ['*'] }).spec.hostnames).toBeUndefined();
    const hostRoute = renderRouteHTTPRoute({ ...userRoute, path: '/lab.example.com/user/alice' }, dest, { ...ctx, hostRouting: true });
    expect(hostRoute.spec.hostnames).toEqual(['lab.example.com']);
    expect(hostRoute.spec.rules![0]!.matches).toEqual([{ path: { type: 'PathPrefix', value: '/user/alice' } }]);
  });

  it('quotes the path as Envoy sees it: a unicode or "@" user stays one exact PathPrefix', () => {
    const route = renderRouteHTTPRoute({ ...userRoute, path: "/user/zoë@x(1)" }, dest, ctx);
    expect(route.spec.rules![0]!.matches![0]!.path).toEqual({ type: 'PathPrefix', value: '/user/zo%C3%AB@x%281%29' });
  });

  it("puts a target's path before the request's path, as CHP does (URLRewrite of the matched prefix)", () => {
    const rewrite = (path: string) => renderRouteHTTPRoute({ ...userRoute, path, data: { target: 'http://hub:8081/base' } }, { host: 'hub.jupyterhub.svc.cluster.local', port: 8081 }, ctx).spec.rules![0]!.filters![1];
    expect(rewrite('/user/alice')).toEqual({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/base/user/alice' } } });
  });

  it('refuses a target path on the route at "/", which Istio would rewrite to "<path>x" (the oracle showed it)', () => {
    const root = (target: string) => renderRouteHTTPRoute({ ...userRoute, path: '/', data: { target } }, { host: 'hub.jupyterhub.svc.cluster.local', port: 8081 }, ctx);
    expect(httpRouteUnstorable(root('http://hub:8081/base'))).toMatch(/on "\/" Istio rewrites "\/x" to "<target path>x"/);
    expect(httpRouteUnstorable(root('http://hub:8081'))).toBeUndefined();
    expect(httpRouteUnstorable(renderRouteHTTPRoute({ ...userRoute, data: { target: 'http://hub:8081/base' } }, dest, ctx))).toBeUndefined();
  });

  it('splits a canary by backendRef weights, the route target first', () => {
    const route = renderRouteHTTPRoute(userRoute, dest, ctx, withOverlays({ canary: { weights: { current: 90, canary: 10 }, destination: { service: 'lab-next', port: 8888 } } }));
    expect(route.spec.rules![0]!.backendRefs).toEqual([
      { group: '', kind: 'Service', name: 'jupyter-alice', port: 8888, weight: 90 },
      { group: '', kind: 'Service', name: 'lab-next', port: 8888, weight: 10 },
    ]);
  });

  it('renders previews and selective rules as header matches, a cookie as a regular expression on the Cookie header', () => {
    const preview: Preview = {
      name: 'demo',
      pathPrefix: '/user/alice',
      destination: { service: 'lab-demo', port: 8888 },
      match: { header: true, cookie: true },
      owner: 'eng',
      createdAt: '2026-11-24T10:00:00Z',
      expiresAt: '2026-11-25T10:00:00Z',
    };
    const route = renderRouteHTTPRoute(userRoute, dest, ctx, withOverlays({ previews: [preview], rules: [{ name: 'beta', match: { header: 'x-beta', exact: '1' }, destination: { service: 'lab-beta', port: 8888 } }] }));
    expect(route.spec.rules!.map((r) => r.name)).toEqual(['preview-demo', 'rule-beta', 'route']);
    expect(route.spec.rules![0]!.matches).toEqual([
      { path: { type: 'PathPrefix', value: '/user/alice' }, headers: [{ type: 'Exact', name: 'x-hubmesh-preview', value: 'demo' }] },
      { path: { type: 'PathPrefix', value: '/user/alice' }, headers: [{ type: 'RegularExpression', name: 'cookie', value: '^(.*?;\\s*)?hubmesh-preview=demo(;.*)?$' }] },
    ]);
    expect(route.spec.rules![1]!.backendRefs).toEqual([{ group: '', kind: 'Service', name: 'lab-beta', port: 8888, weight: 1 }]);
  });

  it('keeps a preview on "/" off the hub API with a guard rule of its own, named uniquely when a rewrite splits it', () => {
    const preview: Preview = { name: 'demo', pathPrefix: '/', destination: { service: 'lab-demo' }, match: { header: true, cookie: true }, owner: 'eng', createdAt: '2026-11-24T10:00:00Z', expiresAt: '2026-11-25T10:00:00Z' };
    const hub = { path: '/', data: { target: 'http://hub:8081/x', hub: true }, lastActivity: userRoute.lastActivity };
    const route = renderRouteHTTPRoute(hub, { host: 'hub.jupyterhub.svc.cluster.local', port: 8081 }, ctx, withOverlays({ previews: [preview] }), { hubApiPath: '/hub/api' });
    expect(route.spec.rules!.map((r) => r.name)).toEqual(['preview-guard-hub-api', 'preview-guard-hub-api-2', 'preview-demo', 'route']);
    expect(route.spec.rules![0]!.matches).toEqual([{ path: { type: 'PathPrefix', value: '/hub/api' }, headers: [{ type: 'Exact', name: 'x-hubmesh-preview', value: 'demo' }] }]);
    expect(route.spec.rules![0]!.filters![1]).toEqual({ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/x/hub/api' } } });
  });

  it('writes the route timeout as a Gateway API duration', () => {
    expect(renderRouteHTTPRoute(userRoute, dest, { ...ctx, routeTimeout: '3600s' }).spec.rules![0]!.timeouts).toEqual({ request: '1h' });
    expect(gatewayDuration('0.250s')).toBe('250ms');
    expect(gatewayDuration('90s')).toBe('1m30s');
    expect(gatewayDuration('1.5h')).toBe('1h30m');
    expect(gatewayDuration('0s')).toBe('0s');
  });

  it("names another namespace's Service, and a host outside the cluster as Istio's Hostname", () => {
    const other = renderRouteHTTPRoute(userRoute, { host: 'lab.other.svc.cluster.local', port: 80 }, ctx);
    expect(other.spec.rules![0]!.backendRefs).toEqual([{ group: '', kind: 'Service', name: 'lab', namespace: 'other', port: 80, weight: 1 }]);
    expect(httpRouteDestination(other, 'cluster.local')).toEqual({ host: 'lab.other.svc.cluster.local', port: 80 });
    const outside = renderRouteHTTPRoute(userRoute, { host: 'lab.example.org', port: 443 }, ctx);
    expect(outside.spec.rules![0]!.backendRefs).toEqual([{ group: 'networking.istio.io', kind: 'Hostname', name: 'lab.example.org', port: 443, weight: 1 }]);
    expect(httpRouteDestination(outside, 'cluster.local')).toEqual({ host: 'lab.example.org', port: 443 });
  });

  it('compares equal to its own rendering whatever order the apiserver wrote the keys in', () => {
    const a = renderRouteHTTPRoute(userRoute, dest, ctx);
    const stored = JSON.parse(JSON.stringify({ ...a, metadata: { ...a.metadata, resourceVersion: '7' } })) as HTTPRouteObject;
    expect(sameRoute(stored, a)).toBe(true);
    expect(sameRoute(stored, renderRouteHTTPRoute(userRoute, { ...dest, port: 9999 }, ctx))).toBe(false);
  });
});

describe('what the httproute backend cannot say', () => {
  it('refuses retries, faults, rate limits and subsets, by field', () => {
    const overlays = withOverlays({
      retries: 'off',
      rateLimit: 'off',
      canary: { weights: { current: 50, canary: 50 }, destination: { service: 'lab', subset: 'v2' } },
    });
    expect(unavailableWithHttpRoute(overlays).map((e) => e.field)).toEqual(['retries', 'rateLimit', 'canary.destination.subset', 'canary.destination.port']);
    expect(unavailableWithHttpRoute(NO_OVERLAYS)).toEqual([]);
  });

  it("completes a destination without a port with its Service's only port, as Istio picks it for a VirtualService", () => {
    const service = (name: string, ports: number[]): Service => ({ metadata: { name }, spec: { ports: ports.map((port) => ({ port })) } });
    const services = [service('lab', [8888]), service('multi', [80, 8080])];
    const overlays = withOverlays({ rules: [{ name: 'a', match: { header: 'x-a', exact: '1' }, destination: { service: 'lab' } }, { name: 'b', match: { header: 'x-b', exact: '1' }, destination: { service: 'multi' } }] });
    const completed = withServicePorts(overlays, services);
    expect(completed.rules.map((r) => r.destination)).toEqual([{ service: 'lab', port: 8888 }, { service: 'multi' }]);
    expect(unavailableWithHttpRoute(completed)).toEqual([{ field: 'rules[1].destination.port', message: 'is required with the httproute backend: a Gateway API backendRef to a Service names its port' }]);
    expect(withServicePorts(overlays, undefined)).toEqual(overlays);
  });

  it('says when a route would hold more rules than an HTTPRoute may', () => {
    const rules = Array.from({ length: 16 }, (_, i) => ({ name: `r${i}`, match: { header: 'x-r', exact: String(i) }, destination: { service: 'lab' } }));
    expect(httpRouteUnstorable(renderRouteHTTPRoute(userRoute, dest, ctx, withOverlays({ rules: rules.slice(0, 15) })))).toBeUndefined();
    expect(httpRouteUnstorable(renderRouteHTTPRoute(userRoute, dest, ctx, withOverlays({ rules })))).toMatch(/17 rules, and an HTTPRoute holds at most 16/);
  });
});

describe('the Gateway controller status', () => {
  const route = (conditions: Array<{ type: string; status: 'True' | 'False'; reason?: string; message?: string; observedGeneration?: number }>): HTTPRouteObject => ({
    ...renderRouteHTTPRoute(userRoute, dest, ctx),
    metadata: { ...renderRouteHTTPRoute(userRoute, dest, ctx).metadata, generation: 2 },
    status: { parents: [{ parentRef: { ...parent }, controllerName: 'istio.io/gateway-controller', conditions }] },
  });

  it('is in force once this generation is Accepted with its refs resolved', () => {
    expect(isAcceptedHttpRoute(route([{ type: 'Accepted', status: 'True', observedGeneration: 2 }, { type: 'ResolvedRefs', status: 'True', observedGeneration: 2 }]), parent)).toBe(true);
    expect(isAcceptedHttpRoute(route([{ type: 'Accepted', status: 'True', observedGeneration: 1 }, { type: 'ResolvedRefs', status: 'True', observedGeneration: 1 }]), parent)).toBe(false);
    expect(isAcceptedHttpRoute(route([{ type: 'Accepted', status: 'True', observedGeneration: 2 }]), parent)).toBe(false);
    expect(isAcceptedHttpRoute(route([{ type: 'Accepted', status: 'True', observedGeneration: 2 }, { type: 'ResolvedRefs', status: 'True', observedGeneration: 2 }]), { ...parent, sectionName: 'https' })).toBe(false);
  });

  it("gives the page each Gateway's conditions and the negative ones as problems", () => {
    const status = routeObjectStatus(route([{ type: 'Accepted', status: 'True', observedGeneration: 2 }, { type: 'ResolvedRefs', status: 'False', reason: 'BackendNotFound', message: 'backend(jupyter-alice) not found', observedGeneration: 2 }]));
    expect(status.inForce).toBe(false);
    expect(status.problems).toEqual(['Gateway istio-ingress/hub-gateway#http: ResolvedRefs is False (BackendNotFound): backend(jupyter-alice) not found']);
    expect(status.conditions).toHaveLength(2);
    expect(routeObjectStatus(renderRouteHTTPRoute(userRoute, dest, ctx))).toEqual({ inForce: undefined, problems: [] });
  });
});
