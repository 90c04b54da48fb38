import { describe, expect, it } from 'vitest';
import { duplicateMatch } from './duplicate-match';
import { gateway, hubRoute, NS, prefixRule, snapshot, virtualService } from './test-fixtures';

describe('HM1002 duplicateMatch', () => {
  it('reports the younger of two VirtualServices with the same match on the same gateway host', () => {
    const older = virtualService('dash-a', [prefixRule('/dash/')], { created: 1 });
    const younger = virtualService('dash-b', [prefixRule('/dash/')], { created: 2 });
    const findings = duplicateMatch.check(snapshot({ virtualServices: [younger, older] }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'HM1002', object: { name: 'dash-b' }, related: [{ kind: 'VirtualService', namespace: NS, name: 'dash-a' }] });
    expect(findings[0]!.message).toContain('prefix /dash/ on hub.example.org');
  });

  it('breaks a tie in age by name, as istiod does', () => {
    const findings = duplicateMatch.check(snapshot({ virtualServices: [virtualService('b', [prefixRule('/x/')]), virtualService('a', [prefixRule('/x/')])] }));
    expect(findings.map((f) => f.object.name)).toEqual(['b']);
  });

  it('counts two rules without match as the same catch-all', () => {
    const route = { route: [{ destination: { host: 'a' } }] };
    const findings = duplicateMatch.check(snapshot({ virtualServices: [virtualService('a', [route], { created: 1 }), virtualService('b', [prefixRule('/')], { created: 2 })] }));
    expect(findings.map((f) => f.object.name)).toEqual(['b']);
  });

  it('merges a wildcard host with a specific one when the gateway narrows both to the same virtual host', () => {
    const vss = [virtualService('a', [prefixRule('/x/')], { created: 1, hosts: ['*.example.org'] }), virtualService('b', [prefixRule('/x/')], { created: 2 })];
    expect(duplicateMatch.check(snapshot({ virtualServices: vss, gateways: [gateway('jupyterhub-gateway', ['hub.example.org'])] }))).toHaveLength(1);
    // on a '*' server they are different virtual hosts: the request's host picks one of them, nothing is merged
    expect(duplicateMatch.check(snapshot({ virtualServices: vss }))).toEqual([]);
  });

  it('leaves different matches, other hosts, other gateways and hub-route conflicts alone', () => {
    const vss = [
      virtualService('a', [prefixRule('/x/')], { created: 1 }),
      virtualService('b', [prefixRule('/y/')], { created: 2 }),
      virtualService('c', [prefixRule('/x/')], { created: 3, hosts: ['other.example.org'] }),
      virtualService('d', [prefixRule('/x/')], { created: 4, gateways: ['istio-system/other'] }),
      virtualService('e', [{ match: [{ uri: { prefix: '/x/' }, headers: { 'x-preview': { exact: '1' } } }], route: [] }], { created: 5 }),
      virtualService('f', [prefixRule('/user/alice/')], { created: 6 }),
      hubRoute('/user/alice', { created: 7 }),
    ];
    expect(duplicateMatch.check(snapshot({ virtualServices: vss }))).toEqual([]);
  });
});
