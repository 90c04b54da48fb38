import { describe, expect, it } from 'vitest';
import { isCatchAll, isHubRoute, istiodOrder, matchKey, pathCoverage, virtualHostKeys } from './routing';
import { gateway, hubRoute, NS, PREFIX, snapshot, virtualService } from './test-fixtures';

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
