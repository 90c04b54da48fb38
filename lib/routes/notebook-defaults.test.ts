import { describe, expect, it } from 'vitest';
import { defaultsFromConfigMap } from './notebook-defaults-store';
import { describeDefaults, inheritedSections, isNotebookRoute, withNotebookDefaults, type NotebookDefaults } from './notebook-defaults';
import { patchedRouteNames, rateLimitedRoutes, renderRateLimitFilter } from './rate-limits';
import { notebookMatchName, renderRouteVirtualService, routeFromObject, type RenderContext } from './virtualservice';

const defaults: NotebookDefaults = { retries: { attempts: 3, retryOn: 'connect-failure,refused-stream,unavailable,reset' }, rateLimit: { requests: 20, per: 'second' } };
const alice = { target: 'http://jupyter-alice:8888', user: 'alice' };

describe('notebook defaults', () => {
  it("reach a notebook's route (a user's, not the hub's), for each section the route leaves unset", () => {
    expect([isNotebookRoute(alice), isNotebookRoute({ target: 'x', hub: true, user: 'a' }), isNotebookRoute({ target: 'x' })]).toEqual([true, false, false]);
    expect(inheritedSections({ rules: [] }, alice, defaults)).toEqual(['retries', 'rateLimit']);
    expect(inheritedSections({ rules: [], retries: 'off' }, alice, defaults)).toEqual(['rateLimit']);
    expect(inheritedSections({ rules: [] }, { target: 'http://hub:8081', hub: true }, defaults)).toEqual([]);
    expect(withNotebookDefaults({ rules: [], rateLimit: { requests: 5, per: 'minute' } }, alice, defaults)).toEqual({ rules: [], retries: defaults.retries, rateLimit: { requests: 5, per: 'minute' } });
    expect(describeDefaults(defaults)).toBe('every notebook: retries 3× on connect-failure,refused-stream,unavailable,reset; rate limit 20 per second');
    expect(describeDefaults({})).toBe('no notebook defaults');
  });

  it('render into the route but not into its stored overlays, and the route keeps what the defaults do not say', () => {
    const ctx: RenderContext = { namespace: 'hub', prefix: 'hubmesh', gateway: 'hub/gw', hosts: ['*'], hostRouting: false, routeTimeout: undefined, notebookDefaults: defaults };
    const vs = renderRouteVirtualService({ path: '/user/alice', data: alice, lastActivity: '2026-12-03T10:00:00.000Z' }, { host: 'jupyter-alice.hub.svc.cluster.local', port: 8888 }, ctx, { rules: [], timeout: '60s' });
    const [own] = vs.spec.http!;
    expect(own).toMatchObject({ name: 'route', retries: defaults.retries, timeout: '60s' });
    expect(own!.match!.map((m) => m.name)).toEqual(['hubmesh-notebooks', 'hubmesh-notebooks']);
    expect(routeFromObject(vs)?.overlays).toEqual({ rules: [], timeout: '60s' });

    // one patch per Envoy route name covers every notebook route that takes the defaults' limit
    const bob = renderRouteVirtualService({ path: '/user/bob', data: { target: 'http://jupyter-bob:8888', user: 'bob' }, lastActivity: '2026-12-03T10:00:00.000Z' }, { host: 'jupyter-bob.hub.svc.cluster.local', port: 8888 }, ctx);
    const own5 = renderRouteVirtualService({ path: '/user/carol', data: { target: 'http://jupyter-carol:8888', user: 'carol' }, lastActivity: '2026-12-03T10:00:00.000Z' }, { host: 'jupyter-carol.hub.svc.cluster.local', port: 8888 }, ctx, { rules: [], rateLimit: { requests: 5, per: 'second' } });
    const limited = rateLimitedRoutes([vs, bob, own5], { limit: defaults.rateLimit, matchName: notebookMatchName('hubmesh') });
    expect(limited.map((r) => [r.path, r.envoyRoutes, r.limit.requests])).toEqual([
      ['/user/carol', [`route.${own5.metadata.name}`], 5],
      ['*', ['route.hubmesh-notebooks'], 20],
    ]);
    const filter = renderRateLimitFilter(limited, { name: 'hubmesh-rate-limits', namespace: 'istio-system', prefix: 'hubmesh', gatewaySelector: { istio: 'ingressgateway' } });
    expect(patchedRouteNames(filter)).toEqual([`route.${own5.metadata.name}`, 'route.hubmesh-notebooks']);
    // defaults without a limit: the notebook routes' patch goes
    expect(rateLimitedRoutes([vs, bob], { limit: undefined, matchName: 'hubmesh-notebooks' })).toEqual([]);
  });

  it('read from their ConfigMap; a malformed one reads as none, saying why', () => {
    expect(defaultsFromConfigMap(undefined)).toEqual({ defaults: {} });
    expect(defaultsFromConfigMap({ metadata: { name: 'x' }, data: { 'defaults.json': JSON.stringify(defaults) } })).toEqual({ defaults });
    expect(defaultsFromConfigMap({ metadata: { name: 'x' }, data: { 'defaults.json': '{' } })).toEqual({ defaults: {}, error: 'defaults.json is not JSON' });
    expect(defaultsFromConfigMap({ metadata: { name: 'x' }, data: { 'defaults.json': '{"rateLimit":{"requests":0,"per":"second"}}' } })).toEqual({ defaults: {}, error: 'rateLimit.requests: must be 1 to 100000' });
  });
});
