import type { AuthorizationPolicy, AuthorizationSource } from '../../kube/authorizationpolicies';
import { actionOf } from '../authz/evaluate';
import { refOf } from './routing';
import { defineChecker, type ValidationSnapshot } from './types';

/**
 * AuthorizationPolicy rules, after the shape of Kiali's authorization checkers (business/checkers/authorization):
 * a selector that matches no workload, identity fields without mTLS, principals that name no identity, methods
 * that are not HTTP methods. Policies of the hub namespace are judged; the root namespace's too where the rule
 * does not need that namespace's pods.
 */

const hubPolicies = (snapshot: ValidationSnapshot) => snapshot.authorizationPolicies.filter((p) => p.metadata.namespace === snapshot.namespace);
const sources = (policy: AuthorizationPolicy): AuthorizationSource[] => (policy.spec?.rules ?? []).flatMap((r) => (r.from ?? []).flatMap((f) => (f.source ? [f.source] : [])));
const policyName = (policy: AuthorizationPolicy) => `AuthorizationPolicy ${policy.metadata.namespace}/${policy.metadata.name}`;

export const authorizationSelectsNothing = defineChecker(
  {
    code: 'HM6001',
    severity: 'warning',
    area: 'isolation',
    title: 'AuthorizationPolicy selects no pod',
    description:
      'A policy whose selector matches no pod of its namespace protects nothing: a typo in a label (or a z2jh label that changed) leaves the notebooks open while the policy looks in place. Fix the selector, or remove the policy.',
  },
  (snapshot) =>
    hubPolicies(snapshot).flatMap((policy) => {
      const labels = policy.spec?.selector?.matchLabels ?? {};
      if (Object.keys(labels).length === 0 || policy.spec?.targetRef || policy.spec?.targetRefs?.length) return [];
      const selected = snapshot.pods.filter((pod) => pod.metadata.namespace === snapshot.namespace && Object.entries(labels).every(([k, v]) => pod.metadata.labels?.[k] === v));
      if (selected.length > 0) return [];
      const selector = Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return [{ message: `${policyName(policy)} selects pods labelled ${selector}, and no pod in ${snapshot.namespace} has those labels: it applies to nothing.`, object: refOf('AuthorizationPolicy', policy) }];
    }),
);

const IDENTITY_FIELDS = ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'] as const;

export const identityWithoutMtls = defineChecker(
  {
    code: 'HM6002',
    severity: 'warning',
    area: 'isolation',
    title: 'AuthorizationPolicy names identities, but mTLS is not STRICT',
    description:
      "principals and namespaces come from the peer's mTLS certificate. Where the namespace is not STRICT, a plaintext request carries no identity: an ALLOW rule on principals refuses it, and a DENY rule on principals does not match it, so it gets in. Make the namespace STRICT (Mesh security → Ensure STRICT) so every request has an identity.",
  },
  (snapshot) => {
    const mode = snapshot.effectiveMtls[snapshot.namespace];
    if (mode === 'STRICT') return [];
    return snapshot.authorizationPolicies
      .filter((p) => p.metadata.namespace === snapshot.namespace || p.metadata.namespace === snapshot.rootNamespace)
      .flatMap((policy) => {
        const used = IDENTITY_FIELDS.filter((f) => sources(policy).some((s) => s[f]?.length));
        if (used.length === 0) return [];
        const effect = actionOf(policy) === 'DENY' ? 'plaintext requests are not matched and get past it' : 'plaintext requests are refused by it';
        return [
          {
            message: `${policyName(policy)} uses ${used.join(' and ')}, but ${snapshot.namespace} runs ${mode ?? 'PERMISSIVE'} mTLS: ${effect}. Make ${snapshot.namespace} STRICT.`,
            object: refOf('AuthorizationPolicy', policy),
            related: [{ kind: 'Namespace', name: snapshot.namespace }],
          },
        ];
      });
  },
);

/** `<trust domain>/ns/<namespace>/sa/<account>`, without wildcards. */
const PRINCIPAL = /^([^/*]+)\/ns\/([^/*]+)\/sa\/([^/*]+)$/;

export const principalWithoutIdentity = defineChecker(
  {
    code: 'HM6003',
    severity: 'warning',
    area: 'isolation',
    title: 'Principal names no identity',
    description:
      "A principal is <trust domain>/ns/<namespace>/sa/<service account>. One with another trust domain than the mesh's (HUBMESH_TRUST_DOMAIN) never matches; one naming a service account of the hub namespace that no pod runs as matches nothing today (Kiali: service account not found). Check the spelling, and that the identity is read from the pods, as Isolate notebooks does.",
  },
  (snapshot) => {
    const accounts = new Set(snapshot.pods.filter((p) => p.metadata.namespace === snapshot.namespace).map((p) => p.spec?.serviceAccountName || 'default'));
    return snapshot.authorizationPolicies
      .filter((p) => p.metadata.namespace === snapshot.namespace || p.metadata.namespace === snapshot.rootNamespace)
      .flatMap((policy) => {
        const problems = sources(policy)
          .flatMap((s) => [...(s.principals ?? []), ...(s.notPrincipals ?? [])])
          .flatMap((principal) => {
            const parts = PRINCIPAL.exec(principal);
            if (!parts) return [];
            const [, domain, namespace, account] = parts;
            if (domain !== snapshot.trustDomain) return [`${principal} has trust domain ${domain}, not the mesh's ${snapshot.trustDomain}, so it never matches`];
            if (namespace === snapshot.namespace && !accounts.has(account!)) return [`${principal}: no pod in ${namespace} runs as service account ${account}`];
            return [];
          });
        return [...new Set(problems)].map((problem) => ({ message: `${policyName(policy)}: ${problem}.`, object: refOf('AuthorizationPolicy', policy) }));
      });
  },
);

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);
/** gRPC methods are written as full names: /package.Service/Method */
const GRPC_METHOD = /^\/[A-Za-z0-9_.]+\/[A-Za-z0-9_]+$/;

export const invalidMethod = defineChecker(
  {
    code: 'HM6004',
    severity: 'error',
    area: 'isolation',
    title: 'AuthorizationPolicy method is not an HTTP method',
    description:
      'methods and notMethods match the request method exactly and case-sensitively: "get" or "READ" never matches, so an ALLOW rule with it lets nothing in and a DENY rule denies nothing. Use upper-case HTTP methods (GET, POST, …) or fully qualified gRPC methods (Kiali KIA0102).',
  },
  (snapshot) =>
    snapshot.authorizationPolicies
      .filter((p) => p.metadata.namespace === snapshot.namespace || p.metadata.namespace === snapshot.rootNamespace)
      .flatMap((policy) => {
        const methods = (policy.spec?.rules ?? []).flatMap((r) => (r.to ?? []).flatMap((t) => [...(t.operation?.methods ?? []), ...(t.operation?.notMethods ?? [])]));
        const bad = [...new Set(methods.filter((m) => m !== '*' && !HTTP_METHODS.has(m) && !GRPC_METHOD.test(m)))];
        return bad.length ? [{ message: `${policyName(policy)} lists ${bad.map((m) => JSON.stringify(m)).join(', ')}, which ${bad.length === 1 ? 'is' : 'are'} not an HTTP method: it never matches.`, object: refOf('AuthorizationPolicy', policy) }] : [];
      }),
);
