import { describe, expect, it } from 'vitest';
import { gatewaysOf, hostIntersection, hostSubsetOf, resolveGatewayRef, resolveShortName, serverHostsFor, serviceOfHost } from './hosts';

describe('resolveShortName', () => {
  it('expands a name without dots into the namespace, and keeps wildcards and FQDNs', () => {
    expect(resolveShortName('notebook', 'jupyterhub', 'cluster.local')).toBe('notebook.jupyterhub.svc.cluster.local');
    expect(resolveShortName('*', 'jupyterhub', 'cluster.local')).toBe('*');
    expect(resolveShortName('Hub.Example.org', 'jupyterhub', 'cluster.local')).toBe('hub.example.org');
    expect(resolveShortName('notebook.other', 'jupyterhub', 'cluster.local')).toBe('notebook.other');
  });
});

describe('host subsets and intersections', () => {
  it('orders concrete names under wildcards, and narrower wildcards under wider ones', () => {
    expect(hostSubsetOf('a.example.com', '*.example.com')).toBe(true);
    expect(hostSubsetOf('a.b.example.com', '*.example.com')).toBe(true);
    expect(hostSubsetOf('example.com', '*.example.com')).toBe(false);
    expect(hostSubsetOf('*.b.example.com', '*.example.com')).toBe(true);
    expect(hostSubsetOf('*.example.com', '*.b.example.com')).toBe(false);
    expect(hostSubsetOf('*.example.com', '*')).toBe(true);
    expect(hostSubsetOf('*', '*.example.com')).toBe(false);
    expect(hostSubsetOf('a.example.com', 'b.example.com')).toBe(false);
  });

  it('keeps the more specific name of each overlapping pair, as istiod names virtual hosts', () => {
    expect(hostIntersection(['*'], ['hub.example.org'])).toEqual(['hub.example.org']);
    expect(hostIntersection(['*.example.org'], ['*'])).toEqual(['*.example.org']);
    expect(hostIntersection(['foo.com', '*.net'], ['*.com', 'bar.net'])).toEqual(['foo.com', 'bar.net']);
    expect(hostIntersection(['foo.com'], ['bar.com'])).toEqual([]);
  });
});

describe('serverHostsFor', () => {
  it('applies namespace-scoped server hosts only to VirtualServices of that namespace', () => {
    const hosts = ['jupyterhub/hub.example.org', 'other/x.example.org', '*/any.example.org', './own.example.org', 'plain.example.org'];
    expect(serverHostsFor(hosts, 'jupyterhub', 'jupyterhub')).toEqual(['hub.example.org', 'any.example.org', 'own.example.org', 'plain.example.org']);
    expect(serverHostsFor(hosts, 'istio-system', 'jupyterhub')).toEqual(['hub.example.org', 'any.example.org', 'plain.example.org']);
  });
});

describe('resolveGatewayRef', () => {
  it('resolves ns/name, ./name, bare and legacy FQDN references, and keeps mesh', () => {
    expect(resolveGatewayRef('istio-system/ingress', 'jupyterhub')).toEqual({ namespace: 'istio-system', name: 'ingress' });
    expect(resolveGatewayRef('./gw', 'jupyterhub')).toEqual({ namespace: 'jupyterhub', name: 'gw' });
    expect(resolveGatewayRef('gw', 'jupyterhub')).toEqual({ namespace: 'jupyterhub', name: 'gw' });
    expect(resolveGatewayRef('gw.istio-system.svc.cluster.local', 'jupyterhub')).toEqual({ namespace: 'istio-system', name: 'gw' });
    expect(resolveGatewayRef('mesh', 'jupyterhub')).toBe('mesh');
  });

  it('binds a VirtualService without gateways to the sidecars', () => {
    expect(gatewaysOf({ metadata: { namespace: 'jupyterhub' }, spec: {} })).toEqual(['mesh']);
  });
});

describe('serviceOfHost', () => {
  it('names a Service for short names and svc FQDNs only', () => {
    expect(serviceOfHost('nb', 'jupyterhub', 'cluster.local')).toEqual({ name: 'nb', namespace: 'jupyterhub' });
    expect(serviceOfHost('nb.other.svc.cluster.local', 'jupyterhub', 'cluster.local')).toEqual({ name: 'nb', namespace: 'other' });
    expect(serviceOfHost('nb.other', 'jupyterhub', 'cluster.local')).toBeUndefined();
    expect(serviceOfHost('example.org', 'jupyterhub', 'cluster.local')).toBeUndefined();
    expect(serviceOfHost('*.other.svc.cluster.local', 'jupyterhub', 'cluster.local')).toBeUndefined();
  });
});
