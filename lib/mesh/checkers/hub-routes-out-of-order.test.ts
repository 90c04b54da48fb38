import { describe, expect, it } from 'vitest';
import type { VirtualService } from '../../kube/virtualservices';
import { pathRegexOutside } from '../../routes/path-regex';
import { ownRules, type RenderContext } from '../../routes/virtualservice';
import { hubRoutesOutOfOrder } from './hub-routes-out-of-order';
import { at, GATEWAY, HUB_HOST, hubRoute, NS, PREFIX, snapshot } from './test-fixtures';

const run = (...virtualServices: VirtualService[]) => hubRoutesOutOfOrder.check(snapshot({ virtualServices }));
const ctx: RenderContext = { namespace: NS, prefix: PREFIX, gateway: GATEWAY, hosts: [HUB_HOST], hostRouting: false, routeTimeout: undefined };

/** `outer` as hubmesh renders it now: carrying `inner`'s own rules ahead of its own. */
function carrying(outer: VirtualService, inner: VirtualService): VirtualService {
  return { ...outer, spec: { ...outer.spec, http: [...(inner.spec.http ?? []), ...(outer.spec.http ?? [])] } };
}

describe('HM1005 hubRoutesOutOfOrder', () => {
  it('reports an older route that takes a named server below it (as an old rendering did)', () => {
    const alice = hubRoute('/user/alice', { created: 1 });
    const lab2 = hubRoute('/user/alice/lab2', { created: 5 });
    const findings = run(alice, lab2);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'HM1005', severity: 'error', object: { name: alice.metadata.name }, related: [{ name: lab2.metadata.name }] });
    expect(findings[0]!.message).toContain('requests for /user/alice/lab2 reach /user/alice');
  });

  it('is quiet when the older route carries the rules of the one below it, or is younger', () => {
    const alice = hubRoute('/user/alice', { created: 1 });
    const lab2 = hubRoute('/user/alice/lab2', { created: 5 });
    expect(run(carrying(alice, lab2), lab2)).toEqual([]);
    expect(run(hubRoute('/user/alice', { created: 9 }), lab2)).toEqual([]);
  });

  it('never blames the catch-all "/", which istiod moves last, and reads regexes with RE2', () => {
    expect(run(hubRoute('/', { created: 0 }), hubRoute('/user/alice', { created: 5 }))).toEqual([]);
    const greedy = hubRoute('/jupyter', { created: 0 });
    greedy.spec.http = [{ name: 'route', match: [{ uri: { regex: '/jupyter(/.*)?' } }], route: [{ destination: { host: 'hub' } }], headers: { response: { set: { 'x-hubmesh-route': greedy.metadata.name } } } }];
    expect(run(greedy, hubRoute('/jupyter/user/alice', { created: 3 })).map((f) => f.object.name)).toEqual([greedy.metadata.name]);
  });

  it("reports a root's 404 outside its base URL when it does not carry a route there", () => {
    const root = hubRoute('/jupyter', { created: 0 });
    root.spec.http = [
      { name: 'not-found', match: [{ uri: { regex: pathRegexOutside('/jupyter') } }], directResponse: { status: 404 }, headers: { response: { set: { 'x-hubmesh-route': root.metadata.name } } } },
      ...root.spec.http!.map((r) => ({ ...r, match: [{ uri: { prefix: '/' } }] })),
    ];
    const outside = hubRoute('/extra', { created: 4 });
    expect(run(root, outside).map((f) => [f.object.name, f.related?.[0]?.name])).toEqual([[root.metadata.name, outside.metadata.name]]);
    expect(run(root, hubRoute('/jupyter/user/alice', { created: 4 }))).toEqual([]);
  });

  it('keeps ownRules the one source of a carried rule', () => {
    const lab2 = hubRoute('/user/alice/lab2', { created: 5 });
    expect(ownRules({ path: '/user/alice/lab2', data: { target: 'http://svc:8888' }, lastActivity: at(0) }, { host: `svc.${NS}.svc.cluster.local`, port: 8888 }, ctx, { rules: [] }, { mode: 'path' })).toEqual(lab2.spec.http);
  });
});
