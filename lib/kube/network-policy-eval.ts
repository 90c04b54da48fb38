import { matchesSelectorObject } from './label-selector';
import type {
  IPBlock,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicyProtocol,
  NetworkPolicyType,
} from './networkpolicies';

/**
 * Kubernetes NetworkPolicy semantics, as the API defines them (a CNI that enforces policies implements these):
 * which policies isolate a pod, and whether one connection is allowed on one side. Pure, over plain objects.
 *
 * A connection needs both sides: the source's egress policies and the destination's ingress policies. hubmesh
 * sees the policies of the hub namespace only, so it judges one side at a time: what the hub's pods may send
 * (egress, the peer is the destination) and what they may accept (ingress, the peer is the source).
 */

// ---------------------------------------------------------------------------------------------
// addresses

type Family = 4 | 6;
export type Prefix = { family: Family; base: bigint; length: number };

const WIDTH: Record<Family, number> = { 4: 32, 6: 128 };

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    tailV4 = parseIPv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === '' ? [] : half.split(':'));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - left.length - right.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return value;
}

/** An IPv4 or IPv6 address as a number, or undefined when it is not one. */
export function parseIp(text: string): { family: Family; value: bigint } | undefined {
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = text.includes(':') ? parseIPv6(text) : undefined;
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** "10.0.0.0/8" as a prefix (host bits cleared), or undefined when it is not a CIDR. */
export function parseCidr(text: string): Prefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = parseIp(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (!address || !/^\d{1,3}$/.test(lengthText)) return undefined;
  const length = Number(lengthText);
  const width = WIDTH[address.family];
  if (length > width) return undefined;
  const hostBits = BigInt(width - length);
  return { family: address.family, base: (address.value >> hostBits) << hostBits, length };
}

/** Whether `outer` holds every address of `inner`. */
export function prefixContains(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.length > inner.length) return false;
  const shift = BigInt(WIDTH[outer.family] - outer.length);
  return outer.base >> shift === inner.base >> shift;
}

/** Prefixes either hold one another or share no address. */
const overlaps = (a: Prefix, b: Prefix) => prefixContains(a, b) || prefixContains(b, a);

type Block = { cidr: Prefix; except: Prefix[] };

function blockOf(ipBlock: IPBlock): Block | undefined {
  const cidr = parseCidr(ipBlock.cidr);
  if (!cidr) return undefined;
  return { cidr, except: (ipBlock.except ?? []).flatMap((e) => parseCidr(e) ?? []) };
}

/** Whether an address is in an ipBlock: inside its cidr and outside each of its excepts. */
export function ipBlockHolds(ipBlock: IPBlock, ip: string): boolean {
  const block = blockOf(ipBlock);
  const address = parseIp(ip);
  if (!block || !address) return false;
  const host: Prefix = { family: address.family, base: address.value, length: WIDTH[address.family] };
  return prefixContains(block.cidr, host) && !block.except.some((e) => prefixContains(e, host));
}

/** Whether the ipBlocks together hold every address of `range`. */
export function ipBlocksCover(ipBlocks: IPBlock[], range: string): boolean {
  const target = parseCidr(range);
  const blocks = ipBlocks.flatMap((b) => blockOf(b) ?? []);
  if (!target) return false;
  const covered = (r: Prefix): boolean => {
    if (blocks.some((b) => prefixContains(b.cidr, r) && !b.except.some((e) => overlaps(e, r)))) return true;
    // only a block that reaches into r can cover a part of it; split r in halves and try each
    if (r.length === WIDTH[r.family] || !blocks.some((b) => overlaps(b.cidr, r))) return false;
    const half = 1n << BigInt(WIDTH[r.family] - r.length - 1);
    const next = r.length + 1;
    return covered({ family: r.family, base: r.base, length: next }) && covered({ family: r.family, base: r.base + half, length: next });
  };
  return covered(target);
}

/** Whether some address of `range` is in the ipBlock. */
export function ipBlockReaches(ipBlock: IPBlock, range: string): boolean {
  const block = blockOf(ipBlock);
  const target = parseCidr(range);
  if (!block || !target || !overlaps(block.cidr, target)) return false;
  return !block.except.some((e) => prefixContains(e, target));
}

/**
 * RFC 1918: where the pod addresses of (practically) every IPv4 cluster come from. hubmesh does not know the
 * address of a pod outside the hub namespace; ipBlocks certainly reach such a pod only when they cover all three.
 */
export const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] as const;

/** "10.0.0.0/8", or "0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12" */
export const describeIpBlock = (b: IPBlock) => (b.except?.length ? `${b.cidr} except ${b.except.join(', ')}` : b.cidr);

// ---------------------------------------------------------------------------------------------
// policies

/** One side of a connection: a pod, or what hubmesh knows of one (labels it is selected by, its namespace's labels). */
export type Endpoint = {
  namespace: string;
  labels: Record<string, string>;
  /** its namespace's labels; `kubernetes.io/metadata.name` is implied (the apiserver sets it on every namespace) */
  namespaceLabels?: Record<string, string>;
  /** its address; absent when unknown (see PRIVATE_RANGES) */
  ip?: string;
  /** its containers' ports: named ports in rules resolve against the destination's */
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
};

export type Target = { port: number; protocol?: NetworkPolicyProtocol };

/** policyTypes, defaulted as the apiserver does: Ingress, plus Egress when the policy has egress rules. */
export function policyTypesOf(policy: NetworkPolicy): NetworkPolicyType[] {
  const types = policy.spec?.policyTypes;
  if (types?.length) return types;
  return policy.spec?.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'];
}

const namespaceOf = (policy: NetworkPolicy) => policy.metadata.namespace ?? '';

/** Whether the policy applies to the pod: the same namespace, and its podSelector selects the pod's labels. */
export function policySelects(policy: NetworkPolicy, pod: Endpoint): boolean {
  return namespaceOf(policy) === pod.namespace && matchesSelectorObject(pod.labels, policy.spec?.podSelector ?? {});
}

/** The policies that isolate the pod in a direction; none means that direction is not restricted at all. */
export function isolatingPolicies(policies: NetworkPolicy[], pod: Endpoint, direction: NetworkPolicyType): NetworkPolicy[] {
  return policies.filter((p) => policySelects(p, pod) && policyTypesOf(p).includes(direction));
}

type Rule = { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] };

export function rulesOf(policy: NetworkPolicy, direction: NetworkPolicyType): Rule[] {
  return direction === 'Ingress'
    ? (policy.spec?.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }))
    : (policy.spec?.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }));
}

const namespaceLabelsOf = (endpoint: Endpoint) => ({ ...endpoint.namespaceLabels, 'kubernetes.io/metadata.name': endpoint.namespace });

/** A podSelector/namespaceSelector peer: pods of the policy's namespace, pods of selected namespaces, or both at once. */
export function selectorPeerMatches(peer: NetworkPolicyPeer, policyNamespace: string, endpoint: Endpoint): boolean {
  if (!peer.podSelector && !peer.namespaceSelector) return false;
  const inNamespace = peer.namespaceSelector ? matchesSelectorObject(namespaceLabelsOf(endpoint), peer.namespaceSelector) : endpoint.namespace === policyNamespace;
  return inNamespace && matchesSelectorObject(endpoint.labels, peer.podSelector ?? {});
}

/** Whether one of a rule's ports matches: absent or empty ports match all; a named port must be the destination's container port. */
export function portsMatch(ports: NetworkPolicyPort[] | undefined, target: Target, destination: Endpoint): boolean {
  if (!ports?.length) return true;
  const protocol = target.protocol ?? 'TCP';
  return ports.some((p) => {
    if ((p.protocol ?? 'TCP') !== protocol) return false;
    if (p.port === undefined) return true;
    const numeric = typeof p.port === 'number' ? p.port : /^\d+$/.test(p.port) ? Number(p.port) : undefined;
    if (numeric !== undefined) return p.endPort !== undefined ? target.port >= numeric && target.port <= p.endPort : target.port === numeric;
    return (destination.ports ?? []).some((c) => c.name === p.port && c.containerPort === target.port && (c.protocol ?? 'TCP') === protocol);
  });
}

export type RuleRef = { policy: NetworkPolicy; direction: NetworkPolicyType; index: number };

export type Verdict = {
  /** the policies that isolate the subject in this direction; empty: it is not isolated, everything is allowed */
  policies: NetworkPolicy[];
  allowed: boolean;
  /** the rules that allow the connection */
  allowedBy: RuleRef[];
  /**
   * When the connection is not allowed and the peer's address is unknown: the ipBlocks of rules whose ports
   * match, which decided nothing (e.g. one private range alone, or z2jh's `0.0.0.0/0 except` the private ranges)
   */
  ipBlocks: Array<RuleRef & { ipBlock: IPBlock }>;
};

/**
 * Whether the policies let `subject` (a pod of their namespace) connect to `peer` (Egress) or accept `peer`'s
 * connection (Ingress) on `target`. A rule allows when its ports match (named ports resolve against the
 * destination) and one of its peers matches (no peers: everyone); any rule of any isolating policy is enough.
 * ipBlocks are judged on the peer's address, and, when it is unknown, count only if together they cover every
 * private range.
 */
export function judgeConnection(policies: NetworkPolicy[], subject: Endpoint, direction: NetworkPolicyType, peer: Endpoint, target: Target): Verdict {
  const isolating = isolatingPolicies(policies, subject, direction);
  if (isolating.length === 0) return { policies: [], allowed: true, allowedBy: [], ipBlocks: [] };
  const destination = direction === 'Ingress' ? subject : peer;
  const allowedBy: RuleRef[] = [];
  const blocks: Array<RuleRef & { ipBlock: IPBlock }> = [];
  for (const policy of isolating) {
    rulesOf(policy, direction).forEach((rule, index) => {
      if (!portsMatch(rule.ports, target, destination)) return;
      const ref = { policy, direction, index };
      if (!rule.peers?.length) return void allowedBy.push(ref);
      for (const p of rule.peers) {
        if (p.ipBlock) {
          if (peer.ip !== undefined) {
            if (ipBlockHolds(p.ipBlock, peer.ip)) return void allowedBy.push(ref);
          } else blocks.push({ ...ref, ipBlock: p.ipBlock });
        } else if (selectorPeerMatches(p, namespaceOf(policy), peer)) return void allowedBy.push(ref);
      }
    });
  }
  if (allowedBy.length === 0 && blocks.length > 0) {
    const ipBlocks = blocks.map((b) => b.ipBlock);
    if (PRIVATE_RANGES.every((range) => ipBlocksCover(ipBlocks, range))) {
      const seen = new Set<string>();
      for (const b of blocks) {
        const key = `${b.policy.metadata.name}/${b.index}`;
        if (!seen.has(key)) allowedBy.push({ policy: b.policy, direction, index: b.index });
        seen.add(key);
      }
    }
  }
  return { policies: isolating, allowed: allowedBy.length > 0, allowedBy, ipBlocks: allowedBy.length > 0 ? [] : blocks };
}

/**
 * Whether some peer at all may connect to the subject's port: the subject is not isolated for ingress, or a rule
 * of an isolating policy matches the port, whoever its peers are. False means nobody can, whoever asks.
 */
export function ingressPortOpen(policies: NetworkPolicy[], subject: Endpoint, target: Target): { policies: NetworkPolicy[]; open: boolean } {
  const isolating = isolatingPolicies(policies, subject, 'Ingress');
  if (isolating.length === 0) return { policies: [], open: true };
  return { policies: isolating, open: isolating.some((policy) => rulesOf(policy, 'Ingress').some((rule) => portsMatch(rule.ports, target, subject))) };
}
