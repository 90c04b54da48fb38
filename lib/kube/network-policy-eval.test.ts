import { describe, expect, it } from 'vitest';
import {
  ingressPortOpen,
  ipBlockHolds,
  ipBlockReaches,
  ipBlocksCover,
  isolatingPolicies,
  judgeConnection,
  parseCidr,
  parseIp,
  policyTypesOf,
  portsMatch,
  selectorPeerMatches,
  type Endpoint,
} from './network-policy-eval';
import type { NetworkPolicy } from './networkpolicies';

const NS = 'jupyterhub';

const policy = (name: string, spec: NetworkPolicy['spec'], namespace = NS): NetworkPolicy => ({ metadata: { name, namespace }, spec });

const notebook: Endpoint = {
  namespace: NS,
  labels: { component: 'singleuser-server', app: 'jupyterhub' },
  ip: '10.244.1.7',
  ports: [{ name: 'notebook-port', containerPort: 8888 }, { name: 'http-envoy-prom', containerPort: 15090 }],
};
const hub: Endpoint = { namespace: NS, labels: { component: 'hub', 'hub.jupyter.org/network-access-singleuser': 'true' }, ip: '10.244.2.3' };
const gateway: Endpoint = { namespace: 'istio-system', labels: { istio: 'ingressgateway' } };
const istiod: Endpoint = { namespace: 'istio-system', labels: { app: 'istiod' }, ports: [{ name: 'tls-xds', containerPort: 15012 }] };

describe('addresses', () => {
  it('parses IPv4 and IPv6 addresses, and refuses what is neither', () => {
    expect(parseIp('10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIp('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIp('fd00::a:1')).toEqual({ family: 6, value: (0xfd00n << 112n) | (0xan << 16n) | 1n });
    expect(parseIp('::ffff:10.0.0.1')).toEqual({ family: 6, value: (0xffffn << 32n) | 0x0a000001n });
    expect(parseIp('2001:db8:0:0:0:0:0:1')).toEqual(parseIp('2001:db8::1'));
    for (const bad of ['10.0.0', '10.0.0.256', '1::2::3', '1:2:3:4:5:6:7:8:9', 'istiod', '']) expect(parseIp(bad), bad).toBeUndefined();
  });

  it('parses CIDRs, clearing host bits', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, base: 0x0a000000n, length: 8 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, base: 0n, length: 0 });
    expect(parseCidr('fd00::/8')).toEqual({ family: 6, base: 0xfdn << 120n, length: 8 });
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/x', '::/129']) expect(parseCidr(bad), bad).toBeUndefined();
  });

  it('holds an address inside the cidr and outside every except', () => {
    const block = { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '169.254.169.254/32'] };
    expect(ipBlockHolds(block, '8.8.8.8')).toBe(true);
    expect(ipBlockHolds(block, '10.244.0.5')).toBe(false);
    expect(ipBlockHolds(block, '169.254.169.254')).toBe(false);
    expect(ipBlockHolds(block, '169.254.169.253')).toBe(true);
    expect(ipBlockHolds(block, 'fd00::1')).toBe(false);
    expect(ipBlockHolds({ cidr: 'fd00::/8' }, 'fd00::1')).toBe(true);
  });

  it('covers a range with one block or several, and not when an except cuts into it', () => {
    expect(ipBlocksCover([{ cidr: '0.0.0.0/0' }], '10.0.0.0/8')).toBe(true);
    expect(ipBlocksCover([{ cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] }], '10.0.0.0/8')).toBe(true);
    expect(ipBlocksCover([{ cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }], '10.0.0.0/8')).toBe(false);
    expect(ipBlocksCover([{ cidr: '10.0.0.0/8', except: ['10.1.2.3/32'] }], '10.0.0.0/8')).toBe(false);
    expect(ipBlocksCover([{ cidr: '10.0.0.0/9' }, { cidr: '10.128.0.0/9' }], '10.0.0.0/8')).toBe(true);
    expect(ipBlocksCover([{ cidr: '10.0.0.0/9' }], '10.0.0.0/8')).toBe(false);
    // an except in one block, filled by another
    expect(ipBlocksCover([{ cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }, { cidr: '10.1.0.0/16' }], '10.0.0.0/8')).toBe(true);
    expect(ipBlocksCover([{ cidr: '::/0' }], '10.0.0.0/8')).toBe(false);
  });

  it('reaches a range when some address of it is in the block', () => {
    expect(ipBlockReaches({ cidr: '10.0.0.0/16' }, '10.0.0.0/8')).toBe(true);
    expect(ipBlockReaches({ cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }, '10.0.0.0/8')).toBe(false);
    expect(ipBlockReaches({ cidr: '192.168.0.0/16' }, '10.0.0.0/8')).toBe(false);
  });
});

describe('which policies isolate a pod', () => {
  it('defaults policyTypes to Ingress, plus Egress when there are egress rules', () => {
    expect(policyTypesOf(policy('a', { podSelector: {} }))).toEqual(['Ingress']);
    expect(policyTypesOf(policy('a', { podSelector: {}, egress: [] }))).toEqual(['Ingress']);
    expect(policyTypesOf(policy('a', { podSelector: {}, egress: [{}] }))).toEqual(['Ingress', 'Egress']);
    expect(policyTypesOf(policy('a', { podSelector: {}, policyTypes: ['Egress'], ingress: [{}] }))).toEqual(['Egress']);
    expect(policyTypesOf(policy('a', { podSelector: {}, policyTypes: [] }))).toEqual(['Ingress']);
  });

  it('selects pods of its own namespace by podSelector ({} selects them all)', () => {
    const all = policy('all', { podSelector: {} });
    const notebooks = policy('notebooks', { podSelector: { matchLabels: { component: 'singleuser-server' } } });
    const elsewhere = policy('elsewhere', { podSelector: {} }, 'other');
    const egressOnly = policy('egress', { podSelector: {}, policyTypes: ['Egress'] });
    const policies = [all, notebooks, elsewhere, egressOnly];
    expect(isolatingPolicies(policies, notebook, 'Ingress').map((p) => p.metadata.name)).toEqual(['all', 'notebooks']);
    expect(isolatingPolicies(policies, hub, 'Ingress').map((p) => p.metadata.name)).toEqual(['all']);
    expect(isolatingPolicies(policies, hub, 'Egress').map((p) => p.metadata.name)).toEqual(['egress']);
    expect(isolatingPolicies(policies, { ...hub, namespace: 'third' }, 'Ingress')).toEqual([]);
  });
});

describe('peers', () => {
  const gatewayIn = (nsLabels?: Record<string, string>): Endpoint => ({ ...gateway, namespaceLabels: nsLabels });

  it('podSelector alone: pods of the policy namespace only', () => {
    const peer = { podSelector: { matchLabels: { 'hub.jupyter.org/network-access-singleuser': 'true' } } };
    expect(selectorPeerMatches(peer, NS, hub)).toBe(true);
    expect(selectorPeerMatches(peer, NS, { ...hub, namespace: 'istio-system' })).toBe(false);
  });

  it('namespaceSelector alone: every pod of the namespaces it selects, by their labels and the metadata.name label', () => {
    expect(selectorPeerMatches({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } } }, NS, gatewayIn())).toBe(true);
    expect(selectorPeerMatches({ namespaceSelector: { matchLabels: { team: 'mesh' } } }, NS, gatewayIn())).toBe(false);
    expect(selectorPeerMatches({ namespaceSelector: { matchLabels: { team: 'mesh' } } }, NS, gatewayIn({ team: 'mesh' }))).toBe(true);
    expect(selectorPeerMatches({ namespaceSelector: {} }, NS, gatewayIn())).toBe(true);
  });

  it('both: pods the podSelector selects in the namespaces the namespaceSelector selects', () => {
    const peer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'ingressgateway' } } };
    expect(selectorPeerMatches(peer, NS, gatewayIn())).toBe(true);
    expect(selectorPeerMatches(peer, NS, { ...gateway, labels: { istio: 'egressgateway' } })).toBe(false);
    expect(selectorPeerMatches(peer, NS, { ...gateway, namespace: 'istio-ingress' })).toBe(false);
    // z2jh's interNamespaceAccessLabels=accept: a labelled pod in any namespace
    const accept = { podSelector: { matchLabels: { 'hub.jupyter.org/network-access-singleuser': 'true' } }, namespaceSelector: { matchLabels: {} } };
    expect(selectorPeerMatches(accept, NS, { ...gateway, labels: { 'hub.jupyter.org/network-access-singleuser': 'true' } })).toBe(true);
    expect(selectorPeerMatches(accept, NS, gateway)).toBe(false);
  });

  it('a peer without selectors (an ipBlock) is not a selector match', () => {
    expect(selectorPeerMatches({ ipBlock: { cidr: '0.0.0.0/0' } }, NS, gateway)).toBe(false);
  });
});

describe('ports', () => {
  it('absent or empty ports match every port; the protocol defaults to TCP', () => {
    expect(portsMatch(undefined, { port: 8888 }, notebook)).toBe(true);
    expect(portsMatch([], { port: 8888, protocol: 'UDP' }, notebook)).toBe(true);
    expect(portsMatch([{ port: 8888 }], { port: 8888 }, notebook)).toBe(true);
    expect(portsMatch([{ port: 8888 }], { port: 8888, protocol: 'UDP' }, notebook)).toBe(false);
    expect(portsMatch([{ protocol: 'UDP', port: 53 }], { port: 53 }, notebook)).toBe(false);
    expect(portsMatch([{ protocol: 'TCP' }], { port: 15020 }, notebook)).toBe(true);
  });

  it('resolves a named port against the destination pod', () => {
    expect(portsMatch([{ port: 'notebook-port' }], { port: 8888 }, notebook)).toBe(true);
    expect(portsMatch([{ port: 'notebook-port' }], { port: 15020 }, notebook)).toBe(false);
    expect(portsMatch([{ port: 'notebook-port' }], { port: 8888 }, hub)).toBe(false);
    expect(portsMatch([{ port: 'tls-xds' }], { port: 15012 }, istiod)).toBe(true);
    expect(portsMatch([{ port: 'notebook-port', protocol: 'UDP' }], { port: 8888, protocol: 'UDP' }, notebook)).toBe(false);
  });

  it('matches a range from port to endPort', () => {
    const range = [{ port: 15000, endPort: 15100 }];
    expect(portsMatch(range, { port: 15000 }, notebook)).toBe(true);
    expect(portsMatch(range, { port: 15020 }, notebook)).toBe(true);
    expect(portsMatch(range, { port: 15100 }, notebook)).toBe(true);
    expect(portsMatch(range, { port: 15101 }, notebook)).toBe(false);
    expect(portsMatch(range, { port: 8888 }, notebook)).toBe(false);
  });
});

describe('judgeConnection', () => {
  const gatewayRule = {
    from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'istio-system' } }, podSelector: { matchLabels: { istio: 'ingressgateway' } } }],
    ports: [{ port: 'notebook-port' }],
  };

  it('allows everything when no policy isolates the pod in that direction', () => {
    const verdict = judgeConnection([policy('in', { podSelector: {}, ingress: [] })], notebook, 'Egress', istiod, { port: 15012 });
    expect(verdict).toEqual({ policies: [], allowed: true, allowedBy: [], ipBlocks: [] });
  });

  it('denies all of a direction to a policy without rules, and allows all with an empty rule', () => {
    const deny = policy('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(judgeConnection([deny], notebook, 'Ingress', gateway, { port: 8888 }).allowed).toBe(false);
    expect(judgeConnection([deny], notebook, 'Egress', istiod, { port: 15012 }).allowed).toBe(false);
    const open = policy('open', { podSelector: {}, ingress: [{}] });
    expect(judgeConnection([deny, open], notebook, 'Ingress', gateway, { port: 8888 })).toMatchObject({ allowed: true, allowedBy: [{ policy: open, index: 0 }] });
    // an empty from list is every peer too
    expect(judgeConnection([policy('p', { podSelector: {}, ingress: [{ from: [], ports: [{ port: 8888 }] }] })], notebook, 'Ingress', gateway, { port: 8888 }).allowed).toBe(true);
  });

  it('needs one rule whose peers and ports both match, in any policy that selects the pod', () => {
    const onlyHub = policy('hub-only', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { component: 'hub' } } }] }] });
    const portOnly = policy('port-only', { podSelector: {}, ingress: [{ ports: [{ port: 9999 }] }] });
    expect(judgeConnection([onlyHub, portOnly], notebook, 'Ingress', gateway, { port: 8888 }).allowed).toBe(false);
    const withGateway = policy('gw', { podSelector: { matchLabels: { component: 'singleuser-server' } }, ingress: [gatewayRule] });
    const verdict = judgeConnection([onlyHub, portOnly, withGateway], notebook, 'Ingress', gateway, { port: 8888 });
    expect(verdict.allowed).toBe(true);
    expect(verdict.policies.map((p) => p.metadata.name)).toEqual(['hub-only', 'port-only', 'gw']);
    expect(verdict.allowedBy.map((r) => `${r.policy.metadata.name}/${r.index}`)).toEqual(['gw/0']);
    // the named port is the destination's: the hub has no notebook-port
    expect(judgeConnection([withGateway], { ...hub, labels: { component: 'singleuser-server' } }, 'Ingress', gateway, { port: 8888 }).allowed).toBe(false);
  });

  it('resolves a named port of an egress rule against the peer, the destination', () => {
    const toIstiod = policy('to-istiod', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'istiod' } } }], ports: [{ port: 'tls-xds' }] }],
    });
    expect(judgeConnection([toIstiod], notebook, 'Egress', istiod, { port: 15012 }).allowed).toBe(true);
    expect(judgeConnection([toIstiod], notebook, 'Egress', { ...istiod, ports: [] }, { port: 15012 }).allowed).toBe(false);
  });

  it('judges ipBlocks on a known address', () => {
    const block = policy('block', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.2.0/24'] } }] }] });
    expect(judgeConnection([block], notebook, 'Ingress', { ...gateway, ip: '10.244.1.9' }, { port: 8888 }).allowed).toBe(true);
    expect(judgeConnection([block], notebook, 'Ingress', { ...gateway, ip: '10.244.2.9' }, { port: 8888 }).allowed).toBe(false);
  });

  it('with an unknown address, counts ipBlocks only when they cover every private range, and returns them otherwise', () => {
    const egress = (name: string, ...cidrs: Array<{ cidr: string; except?: string[] }>) =>
      policy(name, { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: cidrs.map((ipBlock) => ({ ipBlock })) }] });
    const everything = egress('everything', { cidr: '0.0.0.0/0' });
    const nonPrivate = egress('non-private', { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.169.254/32'] });
    const privateIPs = egress('private', { cidr: '10.0.0.0/8' }, { cidr: '172.16.0.0/12' }, { cidr: '192.168.0.0/16' });
    const tenOnly = egress('ten', { cidr: '10.0.0.0/8' });
    expect(judgeConnection([everything], notebook, 'Egress', istiod, { port: 15012 }).allowed).toBe(true);
    expect(judgeConnection([privateIPs], notebook, 'Egress', istiod, { port: 15012 })).toMatchObject({ allowed: true, allowedBy: [{ policy: privateIPs, index: 0 }] });
    const blocked = judgeConnection([nonPrivate, tenOnly], notebook, 'Egress', istiod, { port: 15012 });
    expect(blocked.allowed).toBe(false);
    expect(blocked.ipBlocks.map((b) => `${b.policy.metadata.name} ${b.ipBlock.cidr}`)).toEqual(['non-private 0.0.0.0/0', 'ten 10.0.0.0/8']);
    // the two together cover everything
    const rest = egress('rest', { cidr: '172.16.0.0/12' }, { cidr: '192.168.0.0/16' });
    expect(judgeConnection([nonPrivate, tenOnly, rest], notebook, 'Egress', istiod, { port: 15012 }).allowed).toBe(true);
  });

  it('ignores rules whose ports do not match, ipBlocks included', () => {
    const dnsOnly = policy('dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }],
    });
    expect(judgeConnection([dnsOnly], notebook, 'Egress', istiod, { port: 15012 })).toMatchObject({ allowed: false, ipBlocks: [] });
  });
});

describe('ingressPortOpen', () => {
  it('is open when nothing isolates the pod, or when some rule matches the port whoever its peers are', () => {
    expect(ingressPortOpen([], notebook, { port: 15020 })).toEqual({ policies: [], open: true });
    const narrow = policy('narrow', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'prometheus' } } }], ports: [{ port: 15020 }] }] });
    expect(ingressPortOpen([narrow], notebook, { port: 15020 }).open).toBe(true);
    const other = policy('other', { podSelector: {}, ingress: [{ ports: [{ port: 'notebook-port' }] }] });
    expect(ingressPortOpen([other], notebook, { port: 15020 })).toEqual({ policies: [other], open: false });
    expect(ingressPortOpen([other, policy('range', { podSelector: {}, ingress: [{ ports: [{ port: 15000, endPort: 15099 }] }] })], notebook, { port: 15020 }).open).toBe(true);
  });
});
