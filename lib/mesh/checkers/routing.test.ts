import { describe, expect, it } from 'vitest';
import { isCatchAll, isHubRoute, istiodOrder, matchKey, mergedRouteTable, pathCoverage, routeFor, ruleOwner, takesPath, virtualHostKeys, virtualHosts } from './routing';
import { gateway, hubRoute, NS, PREFIX, prefixRule, snapshot, virtualService } from './test-fixtures';

describe('isHubRoute', () => {
  it('recognises routes of this prefix only', () => {
    expect(isHubRoute(hubRoute('/user/alice'), PREFIX)).toBe(true);
    expect(isHubRoute(hubRoute('/user/alice', { prefix: 'other' }), PREFIX)).toBe(false);
    expect(isHubRoute(virtualService('grafana', []), PREFIX)).toBe(false);
  });
});

describe('istiodOrder', () => {
  it('sorts oldest first, then by name, then by namespace', () => {
    const a = virtualService('b', [], { created: 1 });
    const b = virtualService('a', [], { created: 2 });
    const c = virtualService('a', [], { created: 1, namespace: 'zz' });
    expect([b, a, c].sort(istiodOrder).map((vs) => `${vs.metadata.namespace}/${vs.metadata.name}`)).toEqual(['zz/a', `${NS}/b`, `${NS}/a`]);
  });
});

describe('matches', () => {
  it('treats a rule without match, and a path-only prefix /, as the catch-all istiod moves last', () => {
    expect(isCatchAll({})).toBe(true);
    expect(isCatchAll({ uri: { prefix: '/' } })).toBe(true);
    expect(isCatchAll({ uri: { prefix: '/' }, headers: { 'x-preview': { exact: 'a' } } })).toBe(false);
    expect(isCatchAll({ uri: { prefix: '/user/' } })).toBe(false);
  });

  it('gives equal keys to matches that select the same requests', () => {
    expect(matchKey({ name: 'a', uri: { prefix: '/x/' } })).toBe(matchKey({ uri: { prefix: '/x/' } }));
    expect(matchKey({})).toBe(matchKey({ uri: { prefix: '/' } }));
    expect(matchKey({ uri: { prefix: '/x/' } })).not.toBe(matchKey({ uri: { prefix: '/x/' }, headers: { a: { exact: 'b' } } }));
  });

  it('says how much of a later match an earlier one takes', () => {
    expect(pathCoverage({ uri: { prefix: '/user/' } }, { uri: { prefix: '/user/alice/' } })).toBe('all');
    expect(pathCoverage({ uri: { prefix: '/user/al' } }, { uri: { exact: '/user/alice' } })).toBe('all');
    expect(pathCoverage({ uri: { prefix: '/user/alice/lab/' } }, { uri: { prefix: '/user/alice/' } })).toBe('some');
    expect(pathCoverage({ uri: { exact: '/user/alice/api' } }, { uri: { prefix: '/user/alice/' } })).toBe('some');
    expect(pathCoverage({ uri: { exact: '/user/alice' } }, { uri: { exact: '/user/alice' } })).toBe('all');
    expect(pathCoverage({ uri: { prefix: '/user/bob/' } }, { uri: { prefix: '/user/alice/' } })).toBe('none');
    expect(pathCoverage({ uri: { regex: '/user/.*' } }, { uri: { prefix: '/user/alice/' } })).toBe('none');
  });
});

describe('virtualHostKeys', () => {
  it("keeps a wildcard VirtualService apart from a specific one on a '*' server", () => {
    const s = snapshot();
    expect(virtualHostKeys(virtualService('a', [], { hosts: ['*'] }), s)).toEqual([`${NS}/jupyterhub-gateway|80|*`]);
    expect(virtualHostKeys(virtualService('b', [], { hosts: ['hub.example.org'] }), s)).toEqual([`${NS}/jupyterhub-gateway|80|hub.example.org`]);
  });

  it('narrows a wildcard VirtualService to the server hosts, where it merges with specific ones', () => {
    const s = snapshot({ gateways: [gateway('jupyterhub-gateway', ['hub.example.org'])] });
    expect(virtualHostKeys(virtualService('a', [], { hosts: ['*.example.org'] }), s)).toEqual([`${NS}/jupyterhub-gateway|80|hub.example.org`]);
    expect(virtualHostKeys(virtualService('b', [], { hosts: ['other.example.com'] }), s)).toEqual([]);
  });

  it('ignores sidecar bindings, passthrough servers and missing gateways, and assumes every host on unobserved gateways', () => {
    const s = snapshot({ gateways: [gateway('tls', ['*'], { protocol: 'TLS' })] });
    expect(virtualHostKeys(virtualService('a', [], { gateways: ['mesh'] }), s)).toEqual([]);
    expect(virtualHostKeys(virtualService('b', [], { gateways: ['tls'] }), s)).toEqual([]);
    expect(virtualHostKeys(virtualService('c', [], { gateways: ['gone'] }), s)).toEqual([]);
    expect(virtualHostKeys(virtualService('d', [], { gateways: ['istio-system/ingress'] }), s)).toEqual(['istio-system/ingress|*|hub.example.org']);
  });
});

describe('the merged route table', () => {
  it('puts older VirtualServices first and a plain prefix / last, and leaves out matches with conditions', () => {
    const root = virtualService('root', [prefixRule('/')], { created: 0 });
    const younger = hubRoute('/user/alice', { created: 5 });
    const older = virtualService('grafana', [prefixRule('/user/'), { match: [{ uri: { prefix: '/user/' }, headers: { 'x-a': { exact: 'b' } } }], route: [{ destination: { host: 'x' } }] }], { created: 1 });
    const table = mergedRouteTable([root, younger, older]);
    expect(table.map((r) => `${r.vs.metadata.name} ${JSON.stringify(r.match.uri)}`)).toEqual([
      'grafana {"prefix":"/user/"}',
      `${younger.metadata.name} {"prefix":"/user/alice/"}`,
      `${younger.metadata.name} {"exact":"/user/alice"}`,
      'root {"prefix":"/"}',
    ]);
    expect(routeFor(table, '/user/alice/lab')!.vs.metadata.name).toBe('grafana');
    expect(routeFor(mergedRouteTable([root, younger]), '/user/alice/lab')!.vs.metadata.name).toBe(younger.metadata.name);
    expect(routeFor(mergedRouteTable([younger]), '/elsewhere')).toBeUndefined();
  });

  it('names the route a carried rule came from as its owner', () => {
    const lab2 = hubRoute('/user/alice/lab2', { created: 5 });
    const alice = hubRoute('/user/alice', { created: 1 });
    const carrying = { ...alice, spec: { ...alice.spec, http: [...lab2.spec.http!, ...alice.spec.http!] } };
    const winner = routeFor(mergedRouteTable([carrying, lab2]), '/user/alice/lab2/tree')!;
    expect(winner.vs.metadata.name).toBe(alice.metadata.name);
    expect(ruleOwner(winner)).toBe(lab2.metadata.name);
    expect(ruleOwner(routeFor(mergedRouteTable([virtualService('plain', [prefixRule('/')])]), '/')!)).toBe('plain');
  });

  it('matches paths as Envoy does: prefix on the raw path, exact and RE2 regex on all of it', () => {
    expect(takesPath({ uri: { prefix: '/user/alice/' } }, '/user/alice/lab')).toBe(true);
    expect(takesPath({ uri: { exact: '/user/alice' } }, '/user/alice/')).toBe(false);
    expect(takesPath({ uri: { regex: '/user/[a-z]+/.*' } }, '/user/alice/lab')).toBe(true);
    expect(takesPath({ uri: { regex: '(' } }, '/')).toBe(false);
    expect(takesPath({}, '/anything')).toBe(true);
  });

  it('groups VirtualServices by the virtual hosts they share', () => {
    const s = snapshot({ gateways: [gateway('jupyterhub-gateway', ['hub.example.org', 'other.example.org'])] });
    const a = virtualService('a', [], { hosts: ['hub.example.org'] });
    const b = virtualService('b', [], { hosts: ['*.example.org'] });
    const hosts = virtualHosts([a, b], s);
    expect([...hosts].map(([key, members]) => [key, members.map((m) => m.metadata.name)])).toEqual([
      [`${NS}/jupyterhub-gateway|80|hub.example.org`, ['a', 'b']],
      [`${NS}/jupyterhub-gateway|80|other.example.org`, ['b']],
    ]);
  });
});
