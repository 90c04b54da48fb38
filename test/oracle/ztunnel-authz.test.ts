import { describe, expect, it } from 'vitest';
import { ztunnelAllows, type ZtunnelPolicy } from './ztunnel-authz';

const notPresent = { not_principals: [{ presence: {} }] };
const staticStrict: ZtunnelPolicy = {
  name: 'istio-system/istio_converted_static_strict',
  config: { name: 'istio_converted_static_strict', namespace: 'istio-system', scope: 'WORKLOAD_SELECTOR', action: 'DENY', groups: [{ rules: [{ matches: [notPresent] }] }] },
};
const portException: ZtunnelPolicy = {
  name: 'jupyterhub/converted_peer_authentication_notebooks',
  config: {
    scope: 'WORKLOAD_SELECTOR',
    action: 'DENY',
    groups: [{ rules: [{ matches: [notPresent] }, { matches: [{ not_destination_ports: [8888] }] }] }],
  },
};
const alice = (...authorizationPolicies: string[]) => ({ namespace: 'jupyterhub', authorizationPolicies });
const peer = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';

describe('ztunnel authorization', () => {
  it('the static STRICT policy denies plaintext only, and only for workloads that name it', () => {
    expect(ztunnelAllows(alice(staticStrict.name), [staticStrict], { port: 8888 })).toBe(false);
    expect(ztunnelAllows(alice(staticStrict.name), [staticStrict], { port: 8888, identity: peer })).toBe(true);
    expect(ztunnelAllows(alice(), [staticStrict], { port: 8888 })).toBe(true);
  });

  it('rules of a group must all match: the port exception lets plaintext in on its port alone', () => {
    const policies = [portException];
    const named = alice(portException.name);
    expect(ztunnelAllows(named, policies, { port: 8888 })).toBe(true);
    expect(ztunnelAllows(named, policies, { port: 9999 })).toBe(false);
    expect(ztunnelAllows(named, policies, { port: 9999, identity: peer })).toBe(true);
  });

  it('matches of a rule are alternatives, fields of a match all apply', () => {
    const deny: ZtunnelPolicy = {
      name: 'jupyterhub/two-ports',
      config: { scope: 'NAMESPACE', namespace: 'jupyterhub', action: 'DENY', groups: [{ rules: [{ matches: [{ destination_ports: [1], ...notPresent }, { destination_ports: [2] }] }] }] },
    };
    expect(ztunnelAllows(alice(), [deny], { port: 1, identity: peer })).toBe(true);
    expect(ztunnelAllows(alice(), [deny], { port: 1 })).toBe(false);
    expect(ztunnelAllows(alice(), [deny], { port: 2, identity: peer })).toBe(false);
    expect(ztunnelAllows({ namespace: 'other', authorizationPolicies: [] }, [deny], { port: 2 })).toBe(true);
  });

  it('an ALLOW policy without groups (its HTTP rules dropped) allows nothing; principals compare without spiffe://', () => {
    const nothing: ZtunnelPolicy = { name: 'jupyterhub/api-only', config: { scope: 'WORKLOAD_SELECTOR' } };
    expect(ztunnelAllows(alice(nothing.name), [nothing], { port: 8888, identity: peer })).toBe(false);
    const fromGateway: ZtunnelPolicy = {
      name: 'jupyterhub/from-gateway',
      config: { scope: 'WORKLOAD_SELECTOR', groups: [{ rules: [{ matches: [{ principals: [{ exact: peer.slice('spiffe://'.length) }] }] }] }] },
    };
    expect(ztunnelAllows(alice(fromGateway.name), [fromGateway], { port: 8888, identity: peer })).toBe(true);
    expect(ztunnelAllows(alice(fromGateway.name), [fromGateway], { port: 8888 })).toBe(false);
  });

  it('fails loudly on a match field it does not model', () => {
    const ips: ZtunnelPolicy = { name: 'x/ips', config: { action: 'DENY', groups: [{ rules: [{ matches: [{ source_ips: [{ address: 'CgoACw==', length: 32 }] }] }] }] } };
    expect(() => ztunnelAllows(alice(), [ips], { port: 1 })).toThrow(/source_ips/);
  });
});
