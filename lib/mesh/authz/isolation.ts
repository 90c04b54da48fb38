import type { AuthorizationPolicy } from '../../kube/authorizationpolicies';
import type { Pod } from '../../kube/pods';
import { applicablePolicies, decide, istioStringMatch, type AuthzDecision, type AuthzRequest, type PolicyRef, type Tri } from './evaluate';
import { ztunnelView } from './ztunnel';
import { exceptionOf, PROXY_API_PATHS, type IsolationIdentities } from './desired';
import { hubServerOf, hubUserOf } from '../pod-status';
import { principalOf, type Identity } from './identities';

/**
 * Who may reach the hub's workloads under the AuthorizationPolicies that apply to them: every notebook pod, the
 * hub and hubmesh (its proxy API and its console apart), each asked with sample requests from every identity
 * hubmesh knows (the gateway's, the hub's, hubmesh's, the notebooks', the admin's exceptions'), from an unknown
 * identity of the hub namespace and of another namespace, and in plaintext. Pure.
 */

export type ProbeKind = 'gateway' | 'hub' | 'hubmesh' | 'notebook' | 'exception' | 'same-namespace' | 'other-namespace' | 'plaintext';

/** A source the analysis asks about. */
export type Probe = {
  id: string;
  kind: ProbeKind;
  /** in words, e.g. "the ingress gateway (istio-system/istio-ingressgateway-service-account)" */
  label: string;
  /** undefined for plaintext */
  principal?: string;
  /** `<namespace>/<service account>` of a known identity */
  account?: string;
  /** for kind exception: the exceptions that let this identity in (one probe per identity) */
  exceptions?: string[];
};

export type TargetKind = 'notebook' | 'hub' | 'hubmesh-proxy-api' | 'hubmesh-console';

export type Access = {
  probe: string;
  intended: boolean;
  allowed: Tri;
  /** 'mtls-strict': refused before authorization, because the namespace accepts only mTLS */
  decidedBy: AuthzDecision['decidedBy'] | 'mtls-strict';
  policies: PolicyRef[];
  custom: PolicyRef[];
  unknowns: string[];
};

/** Pods of one kind of target that the policies treat alike. */
export type TargetGroup = {
  target: TargetKind;
  pods: string[];
  /** notebooks: their users, as the pods name them */
  users: string[];
  policies: PolicyRef[];
  /** who enforces the policies: the pods' sidecars, or ztunnel for ambient pods (connections only, see ztunnel.ts) */
  enforcedBy: 'sidecar' | 'ztunnel';
  access: Access[];
};

export type IsolationInput = {
  namespace: string;
  rootNamespace: string;
  trustDomain: string;
  identities: IsolationIdentities;
  /** the hub namespace's pods, by role */
  pods: { notebooks: Pod[]; hub: Pod[]; hubmesh: Pod[] };
  /** every AuthorizationPolicy of the hub and root namespaces */
  policies: readonly AuthorizationPolicy[];
  /** the namespace runs STRICT mTLS: plaintext is refused before authorization */
  strict: boolean;
  /** names of the pods in ambient without a sidecar: ztunnel enforces their policies */
  ztunnelPods?: ReadonlySet<string>;
};

export type IsolationAnalysis = { probes: Probe[]; groups: TargetGroup[] };

const PROBE_OTHER_ACCOUNT = 'hubmesh-probe-unknown';
const PROBE_OTHER_NAMESPACE = 'hubmesh-probe-elsewhere';

const identityLabel = (what: string, identity: Identity) => `${what} (${identity.namespace}/${identity.serviceAccount})`;
const account = (identity: Identity) => `${identity.namespace}/${identity.serviceAccount}`;

/**
 * The notebook identities worth asking about: each one some policy's principal pattern tells apart from the
 * others (it matches some notebook identities, not all), and one for all the rest, which every policy treats
 * alike. With a service account per user, asking every notebook about every other would grow with the square
 * of the users.
 */
function notebookProbes(notebooks: Identity[], policies: readonly AuthorizationPolicy[]): Probe[] {
  const patterns = new Set(
    policies.flatMap((p) => (p.spec?.rules ?? []).flatMap((r) => (r.from ?? []).flatMap((f) => [...(f.source?.principals ?? []), ...(f.source?.notPrincipals ?? [])]))),
  );
  const distinguished = new Set<string>();
  for (const pattern of patterns) {
    const matched = notebooks.filter((i) => istioStringMatch(pattern, i.principal));
    if (matched.length > 0 && matched.length < notebooks.length) for (const i of matched) distinguished.add(i.principal);
  }
  const alike = notebooks.filter((i) => !distinguished.has(i.principal));
  const probe = (i: Identity, label: string): Probe => ({ id: `notebook:${i.principal}`, kind: 'notebook', label, principal: i.principal, account: account(i) });
  return [
    ...notebooks.filter((i) => distinguished.has(i.principal)).map((i) => probe(i, identityLabel('a notebook', i))),
    ...(alike.length ? [probe(alike[0]!, `${identityLabel('a notebook', alike[0]!)}${alike.length > 1 ? ` (and ${alike.length - 1} more notebook identities no policy tells apart)` : ''}`)] : []),
  ];
}

/** Every source asked about, in a stable order. */
export function probesFor(input: Pick<IsolationInput, 'namespace' | 'trustDomain' | 'identities' | 'policies'>): Probe[] {
  const { identities } = input;
  const probes: Probe[] = [
    ...identities.gateway.map((i) => ({ id: `gateway:${i.principal}`, kind: 'gateway' as const, label: identityLabel('the ingress gateway', i), principal: i.principal, account: account(i) })),
    ...identities.hub.map((i) => ({ id: `hub:${i.principal}`, kind: 'hub' as const, label: identityLabel('the hub', i), principal: i.principal, account: account(i) })),
    ...identities.hubmesh.map((i) => ({ id: `hubmesh:${i.principal}`, kind: 'hubmesh' as const, label: identityLabel('hubmesh', i), principal: i.principal, account: account(i) })),
  ];
  const byPrincipal = new Map<string, Probe>();
  for (const policy of input.policies) {
    const exception = exceptionOf(policy);
    if (!exception) continue;
    const principal = principalOf(input.trustDomain, exception.source.namespace, exception.source.serviceAccount);
    const probe = byPrincipal.get(principal);
    if (probe) {
      probe.exceptions!.push(exception.name);
      probe.label = `exceptions ${probe.exceptions!.join(', ')} (${exception.source.namespace}/${exception.source.serviceAccount})`;
      continue;
    }
    const created: Probe = { id: `exception:${exception.name}`, kind: 'exception', label: `exception ${exception.name} (${exception.source.namespace}/${exception.source.serviceAccount})`, principal, exceptions: [exception.name] };
    byPrincipal.set(principal, created);
    probes.push(created);
  }
  probes.push(
    { id: 'same-namespace', kind: 'same-namespace', label: `any other identity in ${input.namespace}`, principal: principalOf(input.trustDomain, input.namespace, PROBE_OTHER_ACCOUNT) },
    { id: 'other-namespace', kind: 'other-namespace', label: 'an identity of another namespace', principal: principalOf(input.trustDomain, PROBE_OTHER_NAMESPACE, 'default') },
    { id: 'plaintext', kind: 'plaintext', label: 'plaintext (no mTLS, so no identity)' },
  );
  return probes;
}

/** The intended policy: who each target accepts. An exception's identity is intended where any of its exceptions applies. */
function isIntended(target: TargetKind, probe: Probe, exceptionApplies: (name: string) => boolean): boolean {
  const excepted = probe.kind === 'exception' && probe.exceptions!.some(exceptionApplies);
  switch (target) {
    case 'notebook':
      return probe.kind === 'gateway' || probe.kind === 'hub' || excepted;
    case 'hub':
      return probe.kind === 'gateway' || probe.kind === 'notebook' || probe.kind === 'hubmesh' || excepted;
    case 'hubmesh-proxy-api':
      return probe.kind === 'hub';
    case 'hubmesh-console':
      return probe.kind === 'gateway';
  }
}

const serverOf = (pod: Pod) => hubServerOf(pod) ?? '';

/** The container port the pod serves on: the named notebook port, else its first declared port, else `fallback`. */
function servingPort(pod: Pod | undefined, fallback: number): number {
  const ports = pod?.spec?.containers.flatMap((c) => c.ports ?? []) ?? [];
  return (ports.find((p) => p.name === 'notebook-port' || p.name === 'http') ?? ports[0])?.containerPort ?? fallback;
}

/** Sample requests for a target: what its intended callers send. */
function requestsFor(target: TargetKind, pod: Pod | undefined): Array<Omit<AuthzRequest, 'principal'>> {
  switch (target) {
    case 'notebook': {
      const base = `/user/${encodeURIComponent(pod ? (hubUserOf(pod) ?? 'user') : 'user')}/${pod && serverOf(pod) ? `${encodeURIComponent(serverOf(pod))}/` : ''}`;
      const port = servingPort(pod, 8888);
      return [
        { port, method: 'GET', path: `${base}api/status` },
        { port, method: 'POST', path: `${base}api/kernels` },
      ];
    }
    case 'hub': {
      const port = servingPort(pod, 8081);
      return [
        { port, method: 'GET', path: '/hub/api/users' },
        { port, method: 'POST', path: '/hub/api/users/user/activity' },
      ];
    }
    case 'hubmesh-proxy-api': {
      const port = servingPort(pod, 3000);
      return [
        { port, method: 'GET', path: PROXY_API_PATHS[0]! },
        { port, method: 'POST', path: '/api/routes/user/someone' },
      ];
    }
    case 'hubmesh-console':
      return [
        { port: servingPort(pod, 3000), method: 'GET', path: '/' },
        { port: servingPort(pod, 3000), method: 'GET', path: '/api/v1/overview' },
      ];
  }
}

/** A policy whose answer can depend on the request's path, host or headers, which differ from pod to pod. */
function dependsOnRequestDetails(policy: AuthorizationPolicy): boolean {
  return (policy.spec?.rules ?? []).some(
    (r) =>
      (r.to ?? []).some((t) => ['hosts', 'notHosts', 'paths', 'notPaths'].some((f) => (t.operation?.[f as keyof typeof t.operation] as string[] | undefined)?.length)) ||
      (r.when ?? []).some((c) => c.key.startsWith('request.')),
  );
}

const orTri = (values: Tri[]): Tri => (values.includes(true) ? true : values.includes('unknown') ? 'unknown' : false);

/** One probe against one pod: allowed if any of the sample requests is. */
function accessOf(policies: AuthorizationPolicy[], probe: Probe, requests: Array<Omit<AuthzRequest, 'principal'>>, strict: boolean, intended: boolean): Access {
  if (probe.kind === 'plaintext' && strict) return { probe: probe.id, intended, allowed: false, decidedBy: 'mtls-strict', policies: [], custom: [], unknowns: [] };
  const decisions = requests.map((r) => decide(policies, { ...r, principal: probe.principal }));
  const allowed = orTri(decisions.map((d) => d.allowed));
  // report the decision that explains the answer: an allowing one when allowed, else the first
  const shown = decisions.find((d) => d.allowed === allowed) ?? decisions[0]!;
  return { probe: probe.id, intended, allowed, decidedBy: shown.decidedBy, policies: shown.policies, custom: shown.custom, unknowns: shown.unknowns };
}


export function analyzeIsolation(input: IsolationInput): IsolationAnalysis {
  const base = probesFor(input);
  // which notebook identities to ask about depends on the policies that apply to the target
  const notebookProbesFor = new Map<string, Probe[]>();
  const used = new Map<string, Probe>();
  const exceptions = new Map(input.policies.flatMap((p) => (exceptionOf(p) ? [[exceptionOf(p)!.name, p] as const] : [])));
  const groups = new Map<string, TargetGroup>();

  const userSets = new Map<TargetGroup, Set<string>>();
  // answers that do not depend on the pod's own paths are worked out once per target, policy set and port
  const accessCache = new Map<string, { access: Access[]; key: string }>();

  const add = (target: TargetKind, pod: Pod) => {
    const workload = { namespace: input.namespace, labels: pod.metadata.labels ?? {} };
    const applicable = applicablePolicies(input.policies, workload, input.rootNamespace);
    const enforcedBy = input.ztunnelPods?.has(pod.metadata.name) ? 'ztunnel' : 'sidecar';
    const policies = enforcedBy === 'ztunnel' ? applicable.flatMap((p) => ztunnelView(p) ?? []) : applicable;
    const requests = requestsFor(target, pod);
    const policyKey = `${enforcedBy}:${policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(',')}`;
    const cacheKey = policies.some(dependsOnRequestDetails) ? undefined : `${target}\u0000${policyKey}\u0000${requests[0]!.port}`;
    let answer = cacheKey === undefined ? undefined : accessCache.get(cacheKey);
    if (!answer) {
      // an exception is intended for exactly the pods its own policy selects
      const exceptionApplies = (name: string) => {
        const policy = exceptions.get(name);
        return policy !== undefined && applicable.includes(policy);
      };
      let notebookOnes = notebookProbesFor.get(policyKey);
      if (!notebookOnes) notebookProbesFor.set(policyKey, (notebookOnes = notebookProbes(input.identities.notebooks, policies)));
      const isNamed = (p: Probe) => p.kind === 'gateway' || p.kind === 'hub' || p.kind === 'hubmesh';
      const probes = [...base.filter(isNamed), ...notebookOnes, ...base.filter((p) => !isNamed(p))];
      for (const probe of probes) used.set(probe.id, probe);
      const access = probes.map((probe) => accessOf(policies, probe, requests, input.strict, isIntended(target, probe, exceptionApplies)));
      answer = { access, key: `${target}\u0000${policyKey}\u0000${JSON.stringify(access)}` };
      if (cacheKey !== undefined) accessCache.set(cacheKey, answer);
    }
    let group = groups.get(answer.key);
    if (!group) {
      const refs = policies.map((p) => ({ kind: 'AuthorizationPolicy' as const, namespace: p.metadata.namespace ?? '', name: p.metadata.name }));
      group = { target, pods: [], users: [], policies: refs, enforcedBy, access: answer.access };
      groups.set(answer.key, group);
      userSets.set(group, new Set());
    }
    group.pods.push(pod.metadata.name);
    const user = target === 'notebook' ? hubUserOf(pod) : undefined;
    const users = userSets.get(group)!;
    if (user !== undefined && !users.has(user)) {
      users.add(user);
      group.users.push(user);
    }
  };

  for (const pod of input.pods.notebooks) add('notebook', pod);
  for (const pod of input.pods.hub) add('hub', pod);
  for (const pod of input.pods.hubmesh) {
    add('hubmesh-proxy-api', pod);
    add('hubmesh-console', pod);
  }
  return { probes: [...used.values()], groups: [...groups.values()] };
}
