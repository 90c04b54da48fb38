import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../json';
import type { VirtualService } from '../kube/virtualservices';
import { NO_OVERLAYS, type Overlays, type Preview } from './overlays';
import { canonicalJson, HUB_API_GUARD_RULE, primaryDestination, renderRouteVirtualService, routeFromObject, sameRoute, type RenderContext } from './virtualservice';

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

describe('routeFromObject', () => {
  it('matches the quoted form clients send, not the decoded key', () => {
    const vs = renderRouteVirtualService({ ...userRoute, path: '/user/秀樹' }, dest, ctx);
    expect(vs.spec.http?.[0]?.match).toEqual([{ uri: { prefix: '/user/%E7%A7%80%E6%A8%B9/' } }, { uri: { exact: '/user/%E7%A7%80%E6%A8%B9' } }]);
    expect(vs.metadata.annotations?.['hubmesh.io/route']).toBe('/user/秀樹');
  });

  it('rebuilds exactly the route that was rendered, unicode and all', () => {
    const route = { ...userRoute, path: '/user/秀樹', data: { ...userRoute.data, user: '秀樹' } };
    expect(routeFromObject(renderRouteVirtualService(route, dest, ctx))).toEqual({ ...route, overlays: NO_OVERLAYS });
  });

  it('ignores objects that are not hubmesh routes', () => {
    const vs = renderRouteVirtualService(userRoute, dest, ctx);
    expect(routeFromObject({ ...vs, metadata: { ...vs.metadata, labels: {} } })).toBeUndefined();
    expect(routeFromObject({ ...vs, metadata: { ...vs.metadata, annotations: { ...vs.metadata.annotations, 'hubmesh.io/data': '{' } } })).toBeUndefined();
    expect(routeFromObject({ ...vs, metadata: { ...vs.metadata, annotations: { ...vs.metadata.annotations, 'hubmesh.io/data': '{"x":1}' } } })).toBeUndefined();
    const tooDeep = `{"target":"http://a:1","x":${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}}`;
    expect(routeFromObject({ ...vs, metadata: { ...vs.metadata, annotations: { ...vs.metadata.annotations, 'hubmesh.io/data': tooDeep } } })).toBeUndefined();
  });

  it('reads data keys back exactly, also escaped ones after a key holding a backslash (nodejs/node#63785)', () => {
    // the annotation holds JSON.stringify's text, which writes a backslash, a quote or a newline in a key escaped
    for (const key of ['\\', '"', '\n', 'Ω']) {
      const route = { ...userRoute, data: { target: userRoute.data.target, [key]: key } };
      expect(routeFromObject(renderRouteVirtualService(route, dest, ctx))).toEqual({ ...route, overlays: NO_OVERLAYS });
    }
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

describe('overlays in the route VirtualService', () => {
  const ns = (service: string) => `${service}.jupyterhub.svc.cluster.local`;
  const responseHeader = (vs: { metadata: { name: string } }) => ({ response: { set: { 'x-hubmesh-route': vs.metadata.name } } });
  const paths = [{ uri: { prefix: '/user/alice/' } }, { uri: { exact: '/user/alice' } }];
  const render = (o: Overlays, c: RenderContext = ctx) => renderRouteVirtualService(userRoute, dest, c, o);

  it('renders a header exact rule before the route, on both path matches', () => {
    const vs = render({ rules: [{ name: 'preview', match: { header: 'x-preview', exact: 'feature-x' }, destination: { service: 'preview', port: 80 } }] });
    expect(vs.spec.http).toEqual([
      {
        name: 'rule-preview',
        match: paths.map((m) => ({ ...m, headers: { 'x-preview': { exact: 'feature-x' } } })),
        route: [{ destination: { host: ns('preview'), port: { number: 80 } } }],
        headers: responseHeader(vs),
      },
      { name: 'route', match: paths, route: [{ destination: { host: dest.host, port: { number: 8888 } } }], headers: responseHeader(vs) },
    ]);
  });

  it('renders a header regex rule as given, to a subset', () => {
    const vs = render({ rules: [{ name: 'beta', match: { header: 'user-agent', regex: '.*Beta.*' }, destination: { service: 'jupyter-alice', subset: 'v2' } }] });
    expect(vs.spec.http?.[0]).toMatchObject({
      match: paths.map((m) => ({ ...m, headers: { 'user-agent': { regex: '.*Beta.*' } } })),
      route: [{ destination: { host: ns('jupyter-alice'), subset: 'v2' } }],
    });
  });

  it('renders a cookie rule as an escaped regex on the cookie header', () => {
    const vs = render({ rules: [{ name: 'c', match: { cookie: 'hubmesh-preview', value: 'v1.2+x' }, destination: { service: 'preview' } }] });
    expect(vs.spec.http?.[0]?.match?.[0]?.headers).toEqual({ cookie: { regex: '^(.*?;\\s*)?hubmesh-preview=v1\\.2\\+x(;.*)?$' } });
  });

  it('renders a canary as a weighted split, the current target first', () => {
    const vs = render({ canary: { weights: { current: 90, canary: 10 }, destination: { service: 'hub-canary', port: 8081 } }, rules: [] });
    expect(vs.spec.http).toEqual([
      {
        name: 'route',
        match: paths,
        route: [
          { destination: { host: dest.host, port: { number: 8888 } }, weight: 90 },
          { destination: { host: ns('hub-canary'), port: { number: 8081 } }, weight: 10 },
        ],
        headers: responseHeader(vs),
      },
    ]);
    expect(primaryDestination(vs)).toEqual(dest);
  });

  it('keeps a 0 % canary in the split, so it still shows as set', () => {
    const vs = render({ canary: { weights: { current: 100, canary: 0 }, destination: { service: 'hub-canary' } }, rules: [] });
    expect(vs.spec.http?.[0]?.route?.map((r) => r.weight)).toEqual([100, 0]);
  });

  it('orders the rules as given, then the route; each keeps the timeout; on / the rules match everything', () => {
    const overlays: Overlays = {
      canary: { weights: { current: 50, canary: 50 }, destination: { service: 'hub-canary' } },
      rules: [
        { name: 'zeta', match: { header: 'x-a', exact: '1' }, destination: { service: 'a' } },
        { name: 'alpha', match: { cookie: 'b', value: '2' }, destination: { service: 'b' } },
      ],
    };
    const hub = renderRouteVirtualService({ path: '/', data: { target: 'http://hub:8081' }, lastActivity: userRoute.lastActivity }, { host: ns('hub'), port: 8081 }, { ...ctx, routeTimeout: '60s' }, overlays);
    expect(hub.spec.http?.map((r) => [r.name, r.timeout])).toEqual([
      ['rule-zeta', '60s'],
      ['rule-alpha', '60s'],
      ['route', '60s'],
    ]);
    expect(hub.spec.http?.[0]?.match).toEqual([{ uri: { prefix: '/' }, headers: { 'x-a': { exact: '1' } } }]);
  });

  it('uses the cluster domain it is given', () => {
    const vs = render({ rules: [{ name: 'a', match: { header: 'x-a', exact: '1' }, destination: { service: 'a' } }] }, { ...ctx, clusterDomain: 'corp.internal' });
    expect(vs.spec.http?.[0]?.route?.[0]?.destination.host).toBe('a.jupyterhub.svc.corp.internal');
  });

  it('stores the overlays canonically, reads them back, and without them is exactly the plain route', () => {
    const overlays: Overlays = { rules: [{ name: 'a', match: { header: 'x-a', exact: '1' }, destination: { port: 80, service: 'a' } }], canary: { destination: { service: 'c' }, weights: { canary: 5, current: 95 } } };
    const reordered: Overlays = JSON.parse(canonicalJson(overlays));
    const vs = render(overlays);
    expect(vs.metadata.annotations?.['hubmesh.io/overlays']).toBe(render(reordered).metadata.annotations?.['hubmesh.io/overlays']);
    expect(routeFromObject(vs)).toEqual({ ...userRoute, overlays });

    const plain = renderRouteVirtualService(userRoute, dest, ctx);
    expect(render(NO_OVERLAYS)).toEqual(plain);
    expect(JSON.stringify(render({ rules: [] }))).toBe(JSON.stringify(plain));
    expect(plain.metadata.annotations).not.toHaveProperty(['hubmesh.io/overlays']);
  });

  it('reads a route whose overlays annotation is malformed, as one without overlays, and says why', () => {
    const vs = render(NO_OVERLAYS);
    const withAnnotation = (value: string) => routeFromObject({ ...vs, metadata: { ...vs.metadata, annotations: { ...vs.metadata.annotations, 'hubmesh.io/overlays': value } } });
    expect(withAnnotation('{')).toEqual({ ...userRoute, overlays: NO_OVERLAYS, overlaysError: 'annotation hubmesh.io/overlays is not JSON' });
    expect(withAnnotation('{"rules":[{"name":"A"}]}')).toMatchObject({ path: userRoute.path, overlays: NO_OVERLAYS, overlaysError: expect.stringContaining('rules[0].name') });
  });

  it('counts a change of overlays as a change of the route', () => {
    const overlays: Overlays = { rules: [{ name: 'a', match: { header: 'x-a', exact: '1' }, destination: { service: 'a' } }] };
    expect(sameRoute(render(overlays), render(overlays))).toBe(true);
    expect(sameRoute(render(overlays), render(NO_OVERLAYS))).toBe(false);
  });
});

describe('previews in the route VirtualService', () => {
  const preview = (name: string, over: Partial<Preview> = {}): Preview => ({
    name,
    pathPrefix: '/user/alice',
    destination: { service: `demo-${name}`, port: 80 },
    match: { header: true, cookie: true },
    owner: 'alice',
    createdAt: '2026-11-24T10:00:00.000Z',
    expiresAt: '2026-11-24T12:00:00.000Z',
    ...over,
  });
  const rule = { name: 'testers', match: { header: 'x-tester', exact: 'yes' }, destination: { service: 'preview', port: 80 } };
  const cookieRe = (name: string) => `^(.*?;\\s*)?hubmesh-preview=${name}(;.*)?$`;

  it('come first, by name, then the selective rules, then the route', () => {
    const vs = renderRouteVirtualService(userRoute, dest, ctx, { rules: [rule], previews: [preview('zeta'), preview('alpha')] });
    expect(vs.spec.http?.map((r) => r.name)).toEqual(['preview-alpha', 'preview-zeta', 'rule-testers', 'route']);
    expect(vs.spec.http?.[0]).toEqual({
      name: 'preview-alpha',
      match: [
        { uri: { prefix: '/user/alice/' }, headers: { 'x-hubmesh-preview': { exact: 'alpha' } } },
        { uri: { prefix: '/user/alice/' }, headers: { cookie: { regex: cookieRe('alpha') } } },
        { uri: { exact: '/user/alice' }, headers: { 'x-hubmesh-preview': { exact: 'alpha' } } },
        { uri: { exact: '/user/alice' }, headers: { cookie: { regex: cookieRe('alpha') } } },
      ],
      route: [{ destination: { host: 'demo-alpha.jupyterhub.svc.cluster.local', port: { number: 80 } } }],
      headers: { response: { set: { 'x-hubmesh-route': vs.metadata.name } } },
    });
  });

  it('match only the conditions enabled, on the preview’s own (quoted) path below the route', () => {
    const vs = renderRouteVirtualService(userRoute, dest, ctx, { rules: [], previews: [preview('hdr', { match: { header: true, cookie: false }, pathPrefix: '/user/alice/lab/tree/a b' })] });
    expect(vs.spec.http?.[0]?.match).toEqual([
      { uri: { prefix: '/user/alice/lab/tree/a%20b/' }, headers: { 'x-hubmesh-preview': { exact: 'hdr' } } },
      { uri: { exact: '/user/alice/lab/tree/a%20b' }, headers: { 'x-hubmesh-preview': { exact: 'hdr' } } },
    ]);
    const cookieOnly = renderRouteVirtualService(userRoute, dest, ctx, { rules: [], previews: [preview('ck', { match: { header: false, cookie: true } })] });
    expect(cookieOnly.spec.http?.[0]?.match?.map((m) => Object.keys(m.headers ?? {}))).toEqual([['cookie'], ['cookie']]);
  });

  it('on the hub route "/", match "/" and keep the hub API for the route unless shadowing was allowed', () => {
    const hubRoute = { path: '/', data: { target: 'http://hub:8081' }, lastActivity: userRoute.lastActivity };
    const hub = { host: 'hub.jupyterhub.svc.cluster.local', port: 8081 };
    const vs = renderRouteVirtualService(hubRoute, hub, ctx, { rules: [], previews: [preview('demo', { pathPrefix: '/', match: { header: true, cookie: false } })] });
    expect(vs.spec.http?.map((r) => r.name)).toEqual([HUB_API_GUARD_RULE, 'preview-demo', 'route']);
    expect(vs.spec.http?.[0]).toMatchObject({
      match: [
        { uri: { prefix: '/hub/api/' }, headers: { 'x-hubmesh-preview': { exact: 'demo' } } },
        { uri: { exact: '/hub/api' }, headers: { 'x-hubmesh-preview': { exact: 'demo' } } },
      ],
      route: [{ destination: { host: hub.host, port: { number: 8081 } } }],
    });
    expect(vs.spec.http?.[1]?.match).toEqual([{ uri: { prefix: '/' }, headers: { 'x-hubmesh-preview': { exact: 'demo' } } }]);

    const allowed = renderRouteVirtualService(hubRoute, hub, ctx, { rules: [], previews: [preview('demo', { pathPrefix: '/', allowShadow: true })] });
    expect(allowed.spec.http?.map((r) => r.name)).toEqual(['preview-demo', 'route']);
    const below = renderRouteVirtualService(hubRoute, hub, ctx, { rules: [], previews: [preview('demo', { pathPrefix: '/services/demo' })] });
    expect(below.spec.http?.map((r) => r.name)).toEqual(['preview-demo', 'route']);
  });

  it('keep an expired preview (only the janitor removes them), and read back as stored', () => {
    const overlays: Overlays = { rules: [], previews: [preview('old', { expiresAt: '2000-01-01T00:00:00.000Z' })] };
    const vs = renderRouteVirtualService(userRoute, dest, ctx, overlays);
    expect(vs.spec.http?.map((r) => r.name)).toEqual(['preview-old', 'route']);
    expect(routeFromObject(vs)?.overlays).toEqual(overlays);
  });

  it('with host routing, match the path within the host', () => {
    const hostCtx = { ...ctx, hostRouting: true };
    const hostRoute = { ...userRoute, path: '/lab.example.com/user/alice' };
    const vs = renderRouteVirtualService(hostRoute, dest, hostCtx, { rules: [], previews: [preview('h', { pathPrefix: '/lab.example.com/user/alice/x', match: { header: true, cookie: false } })] });
    expect(vs.spec.hosts).toEqual(['lab.example.com']);
    expect(vs.spec.http?.[0]?.match?.map((m) => m.uri)).toEqual([{ prefix: '/user/alice/x/' }, { exact: '/user/alice/x' }]);
  });
});

describe('every overlay section together', () => {
  it('renders, byte for byte, the guard, the preview, the rule and the split route, each with the timeout; the annotation is canonical', () => {
    const hubRoute = { path: '/', data: { target: 'http://hub:8081' }, lastActivity: '2026-11-24T10:00:00.000Z' };
    const vs = renderRouteVirtualService(hubRoute, { host: 'hub.jupyterhub.svc.cluster.local', port: 8081 }, { ...ctx, routeTimeout: '30s' }, {
      canary: { weights: { current: 90, canary: 10 }, destination: { service: 'hub-next', subset: 'v2' } },
      rules: [{ name: 'testers', match: { cookie: 'beta', value: 'on' }, destination: { service: 'preview', port: 80 } }],
      previews: [{ name: 'demo', pathPrefix: '/', destination: { service: 'demo', port: 80 }, match: { header: true, cookie: false }, owner: 'alice', createdAt: '2026-11-24T10:00:00.000Z', expiresAt: '2026-11-24T12:00:00.000Z' }],
    });
    const by = { response: { set: { 'x-hubmesh-route': 'hubmesh-root-8a5edab282' } } };
    const split = [
      { destination: { host: 'hub.jupyterhub.svc.cluster.local', port: { number: 8081 } }, weight: 90 },
      { destination: { host: 'hub-next.jupyterhub.svc.cluster.local', subset: 'v2' }, weight: 10 },
    ];
    const previewHeader = { 'x-hubmesh-preview': { exact: 'demo' } };
    const expected = [
      { name: 'preview-guard-hub-api', match: [{ uri: { prefix: '/hub/api/' }, headers: previewHeader }, { uri: { exact: '/hub/api' }, headers: previewHeader }], route: split, headers: by, timeout: '30s' },
      { name: 'preview-demo', match: [{ uri: { prefix: '/' }, headers: previewHeader }], route: [{ destination: { host: 'demo.jupyterhub.svc.cluster.local', port: { number: 80 } } }], headers: by, timeout: '30s' },
      { name: 'rule-testers', match: [{ uri: { prefix: '/' }, headers: { cookie: { regex: '^(.*?;\\s*)?beta=on(;.*)?$' } } }], route: [{ destination: { host: 'preview.jupyterhub.svc.cluster.local', port: { number: 80 } } }], headers: by, timeout: '30s' },
      { name: 'route', match: [{ uri: { prefix: '/' } }], route: split, headers: by, timeout: '30s' },
    ];
    expect(JSON.stringify(vs.spec.http)).toBe(JSON.stringify(expected));
    expect(vs.metadata.annotations?.['hubmesh.io/overlays']).toBe(
      '{"canary":{"destination":{"service":"hub-next","subset":"v2"},"weights":{"canary":10,"current":90}},' +
        '"previews":[{"createdAt":"2026-11-24T10:00:00.000Z","destination":{"port":80,"service":"demo"},"expiresAt":"2026-11-24T12:00:00.000Z","match":{"cookie":false,"header":true},"name":"demo","owner":"alice","pathPrefix":"/"}],' +
        '"rules":[{"destination":{"port":80,"service":"preview"},"match":{"cookie":"beta","value":"on"},"name":"testers"}]}',
    );
  });
});

describe('resilience sections in the route VirtualService', () => {
  const expiresAt = '2026-12-01T13:00:00.000Z';
  const ownRuleKeys = (vs: VirtualService) => vs.spec.http!.map((r) => ({ name: r.name, retries: r.retries, timeout: r.timeout, fault: r.fault }));

  it('puts retries and the timeout on every rule of the route, the scoped fault rule first; "off" overrides the configured timeout', () => {
    const vs = renderRouteVirtualService(userRoute, dest, { ...ctx, routeTimeout: '30s' }, {
      rules: [{ name: 'beta', match: { header: 'x-beta', exact: 'on' }, destination: { service: 'beta' } }],
      retries: { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset', perTryTimeout: '2s' },
      timeout: 'off',
      fault: { abort: { percent: 50, httpStatus: 503 }, scope: { header: 'x-hubmesh-fault', exact: 'demo' }, expiresAt },
    });
    const retries = { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset', perTryTimeout: '2s' };
    expect(ownRuleKeys(vs)).toEqual([
      { name: 'fault', retries, timeout: undefined, fault: { abort: { percentage: { value: 50 }, httpStatus: 503 } } },
      { name: 'rule-beta', retries, timeout: undefined, fault: undefined },
      { name: 'route', retries, timeout: undefined, fault: undefined },
    ]);
    expect(vs.spec.http![0]!.match).toEqual([
      { uri: { prefix: '/user/alice/' }, headers: { 'x-hubmesh-fault': { exact: 'demo' } } },
      { uri: { exact: '/user/alice' }, headers: { 'x-hubmesh-fault': { exact: 'demo' } } },
    ]);
    expect(vs.spec.http![0]!.route).toEqual(vs.spec.http![2]!.route);
  });

  it('sets an unscoped fault on every rule, but never on the 404 of a root route', () => {
    const fault = { delay: { percent: 10, fixedDelay: '2s' }, scope: 'everyone' as const, expiresAt };
    const vs = renderRouteVirtualService(userRoute, dest, ctx, { rules: [], fault, timeout: '45s' });
    expect(ownRuleKeys(vs)).toEqual([{ name: 'route', retries: undefined, timeout: '45s', fault: { delay: { percentage: { value: 10 }, fixedDelay: '2s' } } }]);
    const root = renderRouteVirtualService({ path: '/jupyter', data: { target: 'http://hub:8081', hub: true }, lastActivity: userRoute.lastActivity }, dest, ctx, { rules: [], fault, retries: 'off' }, { mode: 'root', carried: [] });
    expect(ownRuleKeys(root)).toEqual([
      { name: 'not-found', retries: undefined, timeout: undefined, fault: undefined },
      { name: 'route', retries: { attempts: 0 }, timeout: undefined, fault: { delay: { percentage: { value: 10 }, fixedDelay: '2s' } } },
    ]);
  });

  it('without resilience sections renders exactly the plain route, and turning them off gives it back', () => {
    const plain = renderRouteVirtualService(userRoute, dest, ctx);
    expect(renderRouteVirtualService(userRoute, dest, ctx, NO_OVERLAYS)).toEqual(plain);
    const withAll = renderRouteVirtualService(userRoute, dest, ctx, { rules: [], retries: { attempts: 2, retryOn: '5xx' }, timeout: '10s' });
    expect(sameRoute(withAll, plain)).toBe(false);
    expect(routeFromObject(withAll)?.overlays).toEqual({ rules: [], retries: { attempts: 2, retryOn: '5xx' }, timeout: '10s' });
  });
});
