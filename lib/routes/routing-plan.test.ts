import { describe, expect, it } from 'vitest';
import { NO_OVERLAYS, type Overlays, type Preview } from './overlays';
import { RouteTree } from './route-tree';
import { dependents, hubApiPath, placementFor, rootRoutePath, type PlanInput, type TreeValue } from './routing-plan';
import { virtualServiceName } from './routespec';
import { renderRouteVirtualService, type RenderContext, type RouteData, type StoredRoute } from './virtualservice';

const ctx: RenderContext = { namespace: 'jupyterhub', prefix: 'hubmesh', gateway: 'jupyterhub/gw', hosts: ['*'], hostRouting: false, routeTimeout: undefined };
const at = '2026-12-01T00:00:00.000Z';

type Spec = { path: string; data?: Partial<RouteData>; overlays?: Overlays; port?: number };

function plan(specs: Spec[], c: RenderContext = ctx) {
  const tree = new RouteTree<TreeValue>(c.hostRouting);
  const hubPaths = new Set<string>();
  const stored = new Map<string, StoredRoute>();
  for (const spec of specs) {
    const data = { target: `http://t${stored.size}:${spec.port ?? 8888}`, jupyterhub: true, ...spec.data } as RouteData;
    stored.set(spec.path, { path: spec.path, data, lastActivity: at, overlays: spec.overlays ?? NO_OVERLAYS });
    tree.set(spec.path, { name: virtualServiceName(c.prefix, spec.path), hub: data.hub === true });
    if (data.hub === true) hubPaths.add(spec.path);
  }
  const destination = (path: string) => ({ host: `t${[...stored.keys()].indexOf(path)}.jupyterhub.svc.cluster.local`, port: stored.get(path)!.data.target.endsWith('8081') ? 8081 : 8888 });
  const input: PlanInput = {
    tree,
    hubPaths,
    ctx: c,
    lookup: (path) => (stored.has(path) ? { route: stored.get(path)!, destination: destination(path) } : undefined),
  };
  const render = (path: string) => {
    const route = stored.get(path)!;
    return renderRouteVirtualService(route, destination(path), c, route.overlays, placementFor(path, input));
  };
  return { input, render };
}

const ruleNames = (vs: ReturnType<ReturnType<typeof plan>['render']>) => vs.spec.http!.map((r) => `${r.name}@${r.headers?.response?.set?.['x-hubmesh-route']}`);
const name = (path: string) => virtualServiceName('hubmesh', path);

const preview = (over: Partial<Preview>): Preview => ({
  name: 'demo',
  pathPrefix: '/',
  destination: { service: 'hub-next' },
  match: { header: true, cookie: false },
  owner: 'eng',
  createdAt: at,
  expiresAt: '2026-12-02T00:00:00.000Z',
  ...over,
});

describe('placementFor', () => {
  it('has a route carry the rules of every route below it, most specific first', () => {
    const { render } = plan([{ path: '/', data: { hub: true } }, { path: '/user/alice' }, { path: '/user/alice/lab2' }, { path: '/user/alice/lab2/deep' }]);
    expect(ruleNames(render('/user/alice'))).toEqual([
      `route@${name('/user/alice/lab2/deep')}`,
      `route@${name('/user/alice/lab2')}`,
      `route@${name('/user/alice')}`,
    ]);
    // "/" is moved last by Istio itself: it carries nothing
    expect(ruleNames(render('/'))).toEqual([`route@${name('/')}`]);
    expect(render('/user/alice/lab2/deep').spec.http).toHaveLength(1);
  });

  it('renders the hub route under a base URL as the catch-all with 404 outside it, carrying only the routes outside', () => {
    const { input, render } = plan([{ path: '/jupyter', data: { hub: true }, port: 8081 }, { path: '/jupyter/user/alice' }, { path: '/extra' }, { path: '/extra/inner' }]);
    expect(rootRoutePath(input)).toBe('/jupyter');
    expect(hubApiPath(input)).toBe('/jupyter/hub/api');
    const hub = render('/jupyter');
    expect(ruleNames(hub)).toEqual([`route@${name('/extra/inner')}`, `route@${name('/extra')}`, `not-found@${name('/jupyter')}`, `route@${name('/jupyter')}`]);
    expect(hub.spec.http!.at(-1)!.match).toEqual([{ uri: { prefix: '/' } }]);
    expect(hub.spec.http!.at(-2)).toMatchObject({ directResponse: { status: 404 }, match: [{ uri: { regex: expect.any(String) } }] });
    expect(render('/jupyter/user/alice').spec.http).toHaveLength(1);
  });

  it('bounds what it builds regexes from: a huge segment or base URL never reaches the regex builders', () => {
    const long = `/${'a'.repeat(16_000)}`;
    const overlays: Overlays = { rules: [], previews: [preview({ name: 'hub-next' })] };
    const { render } = plan([{ path: '/', data: { hub: true }, overlays }, { path: `${long}/x` }]);
    // the preview cannot keep off that segment within Istio's regex limit: it is not rendered
    expect(render('/').spec.http!.map((r) => r.name)).toEqual(['preview-guard-hub-api', 'route']);
    const huge = plan([{ path: long, data: { hub: true } }, { path: `${long}/user/alice` }]);
    expect(rootRoutePath(huge.input)).toBeUndefined();
    expect(huge.render(long).spec.http!.map((r) => r.name)).toEqual(['route', 'route']);
  });

  it('has no root once "/" exists, or with host routing', () => {
    expect(rootRoutePath(plan([{ path: '/', data: { extra: true } }, { path: '/jupyter', data: { hub: true } }]).input)).toBeUndefined();
    expect(rootRoutePath(plan([{ path: '/jupyter', data: { hub: true } }], { ...ctx, hostRouting: true }).input)).toBeUndefined();
  });

  it('keeps overlays on the catch-all off the segments that hold routes, and drops a preview another route now covers', () => {
    const overlays: Overlays = { rules: [], previews: [preview({ name: 'hub-next' }), preview({ name: 'under-alice', pathPrefix: '/user/alice/x', allowShadow: true })] };
    const { render } = plan([{ path: '/', data: { hub: true }, overlays }, { path: '/user/alice' }, { path: '/services/s' }]);
    const http = render('/').spec.http!;
    expect(http.map((r) => r.name)).toEqual(['preview-guard-hub-api', 'preview-hub-next', 'route']);
    const uri = http[1]!.match![0]!.uri!;
    expect(uri.regex).toBeDefined();
    expect(http[1]!.match![0]!.headers).toEqual({ 'x-hubmesh-preview': { exact: 'hub-next' } });
  });

  it('puts a nested route\'s overlays into the routes above it, ahead of theirs', () => {
    const rules: Overlays = { rules: [{ name: 'beta', match: { header: 'x-beta', exact: '1' }, destination: { service: 'beta' } }] };
    const { render } = plan([{ path: '/user/alice', overlays: rules }, { path: '/user/alice/lab2', overlays: rules }]);
    expect(ruleNames(render('/user/alice'))).toEqual([
      `rule-beta@${name('/user/alice/lab2')}`,
      `route@${name('/user/alice/lab2')}`,
      `rule-beta@${name('/user/alice')}`,
      `route@${name('/user/alice')}`,
    ]);
  });

  it("gives a target's path CHP's meaning with a rewrite, separately for the prefix and the exact match", () => {
    const { render } = plan([{ path: '/has space/foo', data: { target: 'http://localhost:9999/test' } }, { path: '/', data: { target: 'http://hub:8081/base/', hub: true } }]);
    const http = render('/has space/foo').spec.http!;
    expect(http.map((r) => [r.name, r.match, r.rewrite])).toEqual([
      ['route', [{ uri: { prefix: '/has%20space/foo/' } }], { uri: '/test/has%20space/foo/' }],
      ['route-exact', [{ uri: { exact: '/has%20space/foo' } }], { uri: '/test/has%20space/foo' }],
    ]);
    expect(render('/').spec.http![0]).toMatchObject({ match: [{ uri: { prefix: '/' } }], rewrite: { uri: '/base/' } });
  });

  it('ends a host\'s top routes with the hub route, as CHP falls back to "/"', () => {
    const hostCtx = { ...ctx, hostRouting: true };
    const { render } = plan([{ path: '/', data: { hub: true } }, { path: '/alice.hub.example.com/user/alice' }, { path: '/alice.hub.example.com/user/alice/lab2' }], hostCtx);
    expect(ruleNames(render('/alice.hub.example.com/user/alice'))).toEqual([
      `route@${name('/alice.hub.example.com/user/alice/lab2')}`,
      `route@${name('/alice.hub.example.com/user/alice')}`,
      `route@${name('/')}`,
    ]);
    expect(render('/alice.hub.example.com/user/alice/lab2').spec.http).toHaveLength(1);
  });
});

describe('dependents', () => {
  it('are the route, the routes above it and the hub routes', () => {
    const { input } = plan([{ path: '/jupyter', data: { hub: true } }, { path: '/jupyter/user/alice' }, { path: '/jupyter/user/alice/lab2' }, { path: '/extra' }]);
    expect(dependents('/jupyter/user/alice/lab2', input).sort()).toEqual(['/jupyter', '/jupyter/user/alice', '/jupyter/user/alice/lab2']);
    expect(dependents('/extra', input).sort()).toEqual(['/extra', '/jupyter']);
  });

  it('with host routing, include the hosts\' top routes when "/" changes', () => {
    const { input } = plan([{ path: '/', data: { hub: true } }, { path: '/a.example.com/user/a' }, { path: '/b.example.com/user/b' }, { path: '/b.example.com/user/b/x' }], { ...ctx, hostRouting: true });
    expect(dependents('/', input).sort()).toEqual(['/', '/a.example.com/user/a', '/b.example.com/user/b']);
  });
});
