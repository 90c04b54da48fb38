import { describe, expect, it } from 'vitest';
import type { VirtualService } from '../../kube/virtualservices';
import { hubRouteContested } from './hub-route-contested';
import { hubRouteShadowed } from './hub-route-shadowed';
import { gateway, hubRoute, NS, prefixRule, snapshot, virtualService } from './test-fixtures';

const run = (...virtualServices: VirtualService[]) => {
  const s = snapshot({ virtualServices });
  return { shadowed: hubRouteShadowed.check(s), contested: hubRouteContested.check(s) };
};

describe('HM1003 hubRouteShadowed and HM1004 hubRouteContested', () => {
  it('reports an older /user/ prefix as taking every request of a hub route', () => {
    const route = hubRoute('/user/alice', { created: 5 });
    const { shadowed, contested } = run(virtualService('users', [prefixRule('/user/')], { created: 1 }), route);
    expect(shadowed).toHaveLength(1);
    expect(shadowed[0]).toMatchObject({
      code: 'HM1003',
      severity: 'error',
      object: { kind: 'VirtualService', namespace: NS, name: 'users' },
      related: [{ kind: 'VirtualService', namespace: NS, name: route.metadata.name }],
    });
    expect(shadowed[0]!.message).toContain('takes every request for that route');
    expect(shadowed[0]!.message).toContain('hub route /user/alice');
    expect(contested).toEqual([]);
  });

  it('reports an older rule on a sub-path as taking part of the requests', () => {
    const { shadowed } = run(virtualService('lab', [prefixRule('/user/alice/lab/')], { created: 1 }), hubRoute('/user/alice', { created: 5 }));
    expect(shadowed.map((f) => f.message)).toEqual([expect.stringContaining('takes part of the requests')]);
  });

  it('reports a younger overlapping VirtualService as latent, since the route is re-created on every server start', () => {
    const { shadowed, contested } = run(hubRoute('/user/alice', { created: 1 }), virtualService('users', [prefixRule('/user/')], { created: 5 }));
    expect(shadowed).toEqual([]);
    expect(contested).toHaveLength(1);
    expect(contested[0]).toMatchObject({ code: 'HM1004', severity: 'warning', object: { name: 'users' } });
  });

  it('never reports a catch-all /, which istiod moves behind every route', () => {
    const catchAll = virtualService('default', [{ route: [{ destination: { host: 'x' } }] }, prefixRule('/')], { created: 1 });
    expect(run(catchAll, hubRoute('/user/alice', { created: 5 }))).toEqual({ shadowed: [], contested: [] });
  });

  it('does not count rules with further conditions, which take only some requests', () => {
    const preview = virtualService('preview', [{ match: [{ uri: { prefix: '/user/' }, headers: { 'x-preview': { exact: 'a' } } }], route: [] }], { created: 1 });
    expect(run(preview, hubRoute('/user/alice', { created: 5 }))).toEqual({ shadowed: [], contested: [] });
  });

  it("reports a foreign catch-all ahead of the hub's own catch-all route, but not paths carved out of it", () => {
    const hubDefault = hubRoute('/', { created: 5 });
    expect(run(virtualService('landing', [prefixRule('/')], { created: 1 }), hubDefault).shadowed).toHaveLength(1);
    expect(run(virtualService('grafana', [prefixRule('/grafana/')], { created: 1 }), hubDefault)).toEqual({ shadowed: [], contested: [] });
  });

  it('ignores other hosts, other paths, and other prefixes of hubmesh as routes (but treats them as foreign)', () => {
    expect(run(virtualService('users', [prefixRule('/user/')], { created: 1, hosts: ['other.example.org'] }), hubRoute('/user/alice', { created: 5 }))).toEqual({ shadowed: [], contested: [] });
    expect(run(virtualService('bob', [prefixRule('/user/bob/')], { created: 1 }), hubRoute('/user/alice', { created: 5 }))).toEqual({ shadowed: [], contested: [] });
    expect(run(hubRoute('/user', { created: 1, prefix: 'otherhub' }), hubRoute('/user/alice', { created: 5 })).shadowed).toHaveLength(1);
  });

  it('sees wildcard hosts collide only where the gateway narrows them into the hub host', () => {
    const wildcard = virtualService('users', [prefixRule('/user/')], { created: 1, hosts: ['*.example.org'] });
    const route = hubRoute('/user/alice', { created: 5 });
    expect(hubRouteShadowed.check(snapshot({ virtualServices: [wildcard, route] }))).toEqual([]);
    expect(hubRouteShadowed.check(snapshot({ virtualServices: [wildcard, route], gateways: [gateway('jupyterhub-gateway', ['hub.example.org'])] }))).toHaveLength(1);
  });
});
