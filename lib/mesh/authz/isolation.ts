import type { AuthorizationPolicy } from '../../kube/authorizationpolicies';
import type { Pod } from '../../kube/pods';
import { applicablePolicies, decide, type AuthzDecision, type AuthzRequest, type PolicyRef, type Tri } from './evaluate';
import { exceptionOf, PROXY_API_PATHS, USERNAME_LABEL, type IsolationIdentities } from './desired';
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
  /** the exception's name, for kind exception */
  exception?: string;
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
};

export type IsolationAnalysis = { probes: Probe[]; groups: TargetGroup[] };

const PROBE_OTHER_ACCOUNT = 'hubmesh-probe-unknown';
const PROBE_OTHER_NAMESPACE = 'hubmesh-probe-elsewhere';

const identityLabel = (what: string, identity: Identity) => `${what} (${identity.namespace}/${identity.serviceAccount})`;
const account = (identity: Identity) => `${identity.namespace}/${identity.serviceAccount}`;

/** Every source asked about, in a stable order. */
export function probesFor(input: Pick<IsolationInput, 'namespace' | 'trustDomain' | 'identities' | 'policies'>): Probe[] {
  const { identities } = input;
  const probes: Probe[] = [
    ...identities.gateway.map((i) => ({ id: `gateway:${i.principal}`, kind: 'gateway' as const, label: identityLabel('the ingress gateway', i), principal: i.principal, account: account(i) })),
    ...identities.hub.map((i) => ({ id: `hub:${i.principal}`, kind: 'hub' as const, label: identityLabel('the hub', i), principal: i.principal, account: account(i) })),
    ...identities.hubmesh.map((i) => ({ id: `hubmesh:${i.principal}`, kind: 'hubmesh' as const, label: identityLabel('hubmesh', i), principal: i.principal, account: account(i) })),
    ...identities.notebooks.map((i) => ({ id: `notebook:${i.principal}`, kind: 'notebook' as const, label: identityLabel('a notebook', i), principal: i.principal, account: account(i) })),
  ];
  const known = new Set(probes.map((p) => p.principal));
  for (const policy of input.policies) {
    const exception = exceptionOf(policy);
    if (!exception) continue;
    const principal = principalOf(input.trustDomain, exception.source.namespace, exception.source.serviceAccount);
    probes.push({ id: `exception:${exception.name}`, kind: 'exception', label: `exception ${exception.name} (${exception.source.namespace}/${exception.source.serviceAccount})`, principal, exception: exception.name });
    known.add(principal);
  }
  probes.push(
    { id: 'same-namespace', kind: 'same-namespace', label: `any other identity in ${input.namespace}`, principal: principalOf(input.trustDomain, input.namespace, PROBE_OTHER_ACCOUNT) },
    { id: 'other-namespace', kind: 'other-namespace', label: 'an identity of another namespace', principal: principalOf(input.trustDomain, PROBE_OTHER_NAMESPACE, 'default') },
    { id: 'plaintext', kind: 'plaintext', label: 'plaintext (no mTLS, so no identity)' },
  );
  return probes;
}

/** The intended policy: who each target accepts. */
function isIntended(target: TargetKind, probe: Probe, exceptionApplies: (name: string) => boolean): boolean {
  switch (target) {
    case 'notebook':
      return probe.kind === 'gateway' || probe.kind === 'hub' || (probe.kind === 'exception' && exceptionApplies(probe.exception!));
    case 'hub':
      return probe.kind === 'gateway' || probe.kind === 'notebook' || probe.kind === 'hubmesh' || (probe.kind === 'exception' && exceptionApplies(probe.exception!));
    case 'hubmesh-proxy-api':
      return probe.kind === 'hub';
    case 'hubmesh-console':
      return probe.kind === 'gateway';
  }
}

const userOf = (pod: Pod) => pod.metadata.annotations?.['hub.jupyter.org/username'] ?? pod.metadata.labels?.[USERNAME_LABEL];
const serverOf = (pod: Pod) => pod.metadata.annotations?.['hub.jupyter.org/servername'] ?? pod.metadata.labels?.['hub.jupyter.org/servername'] ?? '';

/** The container port the pod serves on: the named notebook port, else its first declared port, else `fallback`. */
function servingPort(pod: Pod | undefined, fallback: number): number {
  const ports = pod?.spec?.containers.flatMap((c) => c.ports ?? []) ?? [];
  return (ports.find((p) => p.name === 'notebook-port' || p.name === 'http') ?? ports[0])?.containerPort ?? fallback;
}

/** Sample requests for a target: what its intended callers send. */
function requestsFor(target: TargetKind, pod: Pod | undefined): Array<Omit<AuthzRequest, 'principal'>> {
  switch (target) {
    case 'notebook': {
      const base = `/user/${encodeURIComponent(pod ? (userOf(pod) ?? 'user') : 'user')}/${pod && serverOf(pod) ? `${encodeURIComponent(serverOf(pod))}/` : ''}`;
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

const refKey = (ref: PolicyRef) => `${ref.namespace}/${ref.name}`;

export function analyzeIsolation(input: IsolationInput): IsolationAnalysis {
  const probes = probesFor(input);
  const exceptions = new Map(input.policies.flatMap((p) => (exceptionOf(p) ? [[exceptionOf(p)!.name, p] as const] : [])));
  const groups = new Map<string, TargetGroup>();

  const add = (target: TargetKind, pod: Pod) => {
    const workload = { namespace: input.namespace, labels: pod.metadata.labels ?? {} };
    const policies = applicablePolicies(input.policies, workload, input.rootNamespace);
    // an exception is intended for exactly the pods its own policy selects
    const exceptionApplies = (name: string) => {
      const policy = exceptions.get(name);
      return policy !== undefined && policies.includes(policy);
    };
    const requests = requestsFor(target, pod);
    const access = probes.map((probe) => accessOf(policies, probe, requests, input.strict, isIntended(target, probe, exceptionApplies)));
    const refs = policies.map((p) => ({ kind: 'AuthorizationPolicy' as const, namespace: p.metadata.namespace ?? '', name: p.metadata.name }));
    const key = `${target}\u0000${refs.map(refKey).join(',')}\u0000${JSON.stringify(access)}`;
    const group = groups.get(key) ?? { target, pods: [], users: [], policies: refs, access };
    group.pods.push(pod.metadata.name);
    const user = target === 'notebook' ? userOf(pod) : undefined;
    if (user !== undefined && !group.users.includes(user)) group.users.push(user);
    groups.set(key, group);
  };

  for (const pod of input.pods.notebooks) add('notebook', pod);
  for (const pod of input.pods.hub) add('hub', pod);
  for (const pod of input.pods.hubmesh) {
    add('hubmesh-proxy-api', pod);
    add('hubmesh-console', pod);
  }
  return { probes, groups: [...groups.values()] };
}
