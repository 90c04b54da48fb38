import type {
  AuthorizationAction,
  AuthorizationCondition,
  AuthorizationOperation,
  AuthorizationPolicy,
  AuthorizationRule,
  AuthorizationSource,
} from '../../kube/authorizationpolicies';

/**
 * Istio's AuthorizationPolicy evaluation for one request to one workload, as Istio documents it and istiod
 * builds it into the workload proxy's RBAC filters (pilot/pkg/security/authz): CUSTOM first, then DENY, then
 * ALLOW, and when any ALLOW policy applies, a request none of them matches is denied. AUDIT never decides.
 *
 * What cannot be known from configuration (a source IP that is not given, a `when` key on connection or
 * JWT details) is `unknown`, and a decision that depends on it says so instead of guessing.
 */

/** A match that configuration alone may not settle. */
export type Tri = boolean | 'unknown';

/** The workload whose proxy decides. */
export type AuthzWorkload = { namespace: string; labels: Record<string, string> };

export type AuthzRequest = {
  /** the peer's identity as policies write it, `cluster.local/ns/<ns>/sa/<sa>`; absent for plaintext (no mTLS) */
  principal?: string;
  /** 'tcp' for a port Istio does not treat as HTTP: HTTP-only fields then change meaning (see ruleMatches) */
  protocol?: 'http' | 'tcp';
  /** the workload port the request reaches (the container port, not the Service port) */
  port: number;
  method?: string;
  /** with or without a query string; only the path is matched */
  path?: string;
  host?: string;
  /** lower-case names */
  headers?: Record<string, string>;
  /** the connection's source address, when known */
  sourceIp?: string;
};

export type PolicyRef = { kind: 'AuthorizationPolicy'; namespace: string; name: string };

export type AuthzDecision = {
  allowed: Tri;
  /** which stage decided: a DENY policy, an ALLOW policy, the implicit deny of ALLOW policies, or no ALLOW policy at all */
  decidedBy: 'deny-policy' | 'allow-policy' | 'no-allow-match' | 'no-allow-policies';
  /** the policy that matched (deny-policy, allow-policy), or the ALLOW policies none of which matched (no-allow-match) */
  policies: PolicyRef[];
  /** CUSTOM policies whose external authorizer is asked first and may still deny */
  custom: PolicyRef[];
  /** why the answer is `unknown`, in words */
  unknowns: string[];
};

export const policyRef = (policy: AuthorizationPolicy): PolicyRef => ({ kind: 'AuthorizationPolicy', namespace: policy.metadata.namespace ?? '', name: policy.metadata.name });

export const actionOf = (policy: AuthorizationPolicy): AuthorizationAction => policy.spec?.action ?? 'ALLOW';

/** `istio.io/dry-run: "true"`: Istio builds the policy as shadow rules, which log and never decide. */
export const isDryRun = (policy: AuthorizationPolicy) => policy.metadata.annotations?.['istio.io/dry-run'] === 'true';

/**
 * The policies a sidecar of this workload enforces: those of its own namespace and of the root namespace, whose
 * selector (none or empty: all) matches its labels, and that are not dry runs. Policies with targetRef(s) attach
 * to gateways and waypoints, not to sidecars by selector.
 */
export function applicablePolicies(policies: readonly AuthorizationPolicy[], workload: AuthzWorkload, rootNamespace: string): AuthorizationPolicy[] {
  return policies.filter((policy) => {
    if (isDryRun(policy)) return false;
    const namespace = policy.metadata.namespace ?? '';
    if (namespace !== workload.namespace && namespace !== rootNamespace) return false;
    if (policy.spec?.targetRef || policy.spec?.targetRefs?.length) return false;
    const selector = policy.spec?.selector?.matchLabels ?? {};
    return Object.entries(selector).every(([key, value]) => workload.labels[key] === value);
  });
}

// ---- three-valued logic ----

const and = (values: Iterable<Tri>): Tri => {
  let unknown = false;
  for (const v of values) {
    if (v === false) return false;
    if (v === 'unknown') unknown = true;
  }
  return unknown ? 'unknown' : true;
};

const or = (values: Iterable<Tri>): Tri => {
  let unknown = false;
  for (const v of values) {
    if (v === true) return true;
    if (v === 'unknown') unknown = true;
  }
  return unknown ? 'unknown' : false;
};

const not = (value: Tri): Tri => (value === 'unknown' ? value : !value);

// ---- Istio's string matching (pilot/pkg/security/authz/matcher) ----

/** `*` any non-empty value, `abc*` a prefix, `*abc` a suffix, else exact. */
export function istioStringMatch(pattern: string, value: string | undefined, ignoreCase = false): boolean {
  if (value === undefined) return false;
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (p === '*') return v.length > 0;
  if (p.endsWith('*')) return v.startsWith(p.slice(0, -1));
  if (p.startsWith('*')) return v.endsWith(p.slice(1));
  return v === p;
}

/** A path pattern: Istio's wildcards, or a template with `{*}` (one segment) and `{**}` (the rest, last only). */
export function pathMatches(pattern: string, path: string | undefined): boolean {
  if (path === undefined) return false;
  const bare = path.split('?')[0]!;
  if (!pattern.includes('{')) return istioStringMatch(pattern, bare);
  const want = pattern.split('/');
  const got = bare.split('/');
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!;
    if (part === '{**}') return i === want.length - 1 && got.length >= i;
    if (i >= got.length) return false;
    if (part === '{*}' ? got[i]!.length === 0 : part !== got[i]) return false;
  }
  return got.length === want.length;
}

/** The namespace in a principal `<trust domain>/ns/<namespace>/sa/<account>`. */
export function principalNamespace(principal: string | undefined): string | undefined {
  return principal?.match(/\/ns\/([^/]+)\/sa\//)?.[1];
}

const anyOf = (patterns: string[] | undefined, test: (pattern: string) => Tri): Tri | undefined =>
  patterns?.length ? or(patterns.map(test)) : undefined;

const noneOf = (patterns: string[] | undefined, test: (pattern: string) => Tri): Tri | undefined =>
  patterns?.length ? not(or(patterns.map(test))) : undefined;

function ipInCidr(ip: string | undefined, cidr: string): Tri {
  if (ip === undefined) return 'unknown';
  const [base, bitsText] = cidr.split('/');
  const toNumber = (text: string) => {
    const parts = text.split('.').map(Number);
    return parts.length === 4 && parts.every((n) => Number.isInteger(n) && n >= 0 && n <= 255) ? parts.reduce((a, n) => a * 256 + n, 0) : undefined;
  };
  const a = toNumber(ip);
  const b = toNumber(base ?? '');
  if (a === undefined || b === undefined) return 'unknown';
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const size = 2 ** (32 - bits);
  return Math.floor(a / size) === Math.floor(b / size);
}

// ---- fields ----

const HTTP_ONLY_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;
const HTTP_ONLY_SOURCE_FIELDS = ['requestPrincipals', 'notRequestPrincipals'] as const;
const isHttpOnlyKey = (key: string) => key.startsWith('request.');

function sourceMatches(source: AuthorizationSource, request: AuthzRequest, unknowns: Set<string>): Tri {
  const principal = request.principal;
  const namespace = principalNamespace(principal);
  const principalTest = (p: string): Tri => istioStringMatch(p, principal);
  const namespaceTest = (p: string): Tri => istioStringMatch(p, namespace);
  // hubmesh's sample requests carry no JWT
  const requestPrincipalTest = (): Tri => false;
  const ipTest = (cidr: string): Tri => {
    const inside = ipInCidr(request.sourceIp, cidr);
    if (inside === 'unknown') unknowns.add('the source address');
    return inside;
  };
  const parts = [
    anyOf(source.principals, principalTest),
    noneOf(source.notPrincipals, principalTest),
    anyOf(source.namespaces, namespaceTest),
    noneOf(source.notNamespaces, namespaceTest),
    anyOf(source.requestPrincipals, requestPrincipalTest),
    noneOf(source.notRequestPrincipals, requestPrincipalTest),
    anyOf(source.ipBlocks, ipTest),
    noneOf(source.notIpBlocks, ipTest),
    anyOf(source.remoteIpBlocks, ipTest),
    noneOf(source.notRemoteIpBlocks, ipTest),
  ];
  return and(parts.filter((p): p is Tri => p !== undefined));
}

function operationMatches(operation: AuthorizationOperation, request: AuthzRequest): Tri {
  const hostTest = (p: string): Tri => istioStringMatch(p, request.host, true) || istioStringMatch(p, request.host?.replace(/:\d+$/, ''), true);
  const portTest = (p: string): Tri => Number(p) === request.port;
  const methodTest = (p: string): Tri => istioStringMatch(p, request.method);
  const pathTest = (p: string): Tri => pathMatches(p, request.path);
  const parts = [
    anyOf(operation.hosts, hostTest),
    noneOf(operation.notHosts, hostTest),
    anyOf(operation.ports, portTest),
    noneOf(operation.notPorts, portTest),
    anyOf(operation.methods, methodTest),
    noneOf(operation.notMethods, methodTest),
    anyOf(operation.paths, pathTest),
    noneOf(operation.notPaths, pathTest),
  ];
  return and(parts.filter((p): p is Tri => p !== undefined));
}

/** The value of a `when` key for this request; undefined when configuration cannot know it. */
function conditionValue(key: string, request: AuthzRequest): { known: true; value: string | undefined } | { known: false } {
  const header = key.match(/^request\.headers\[(.+)\]$/);
  if (header) return { known: true, value: request.headers?.[header[1]!.toLowerCase()] };
  switch (key) {
    case 'source.principal':
      return { known: true, value: request.principal };
    case 'source.namespace':
      return { known: true, value: principalNamespace(request.principal) };
    case 'destination.port':
      return { known: true, value: String(request.port) };
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
      return { known: true, value: undefined };
  }
  if (key.startsWith('request.auth.claims[')) return { known: true, value: undefined };
  return { known: false };
}

function conditionMatches(condition: AuthorizationCondition, request: AuthzRequest, unknowns: Set<string>): Tri {
  const ipKey = condition.key === 'source.ip' || condition.key === 'remote.ip';
  const test = (pattern: string): Tri => {
    if (ipKey) {
      const inside = ipInCidr(request.sourceIp, pattern);
      if (inside === 'unknown') unknowns.add('the source address');
      return inside;
    }
    const v = conditionValue(condition.key, request);
    if (!v.known) {
      unknowns.add(`the condition on ${condition.key}`);
      return 'unknown';
    }
    return istioStringMatch(pattern, v.value);
  };
  const parts = [anyOf(condition.values, test), noneOf(condition.notValues, test)];
  return and(parts.filter((p): p is Tri => p !== undefined));
}

const hasHttpOnlyFields = (rule: AuthorizationRule) =>
  (rule.to ?? []).some((t) => HTTP_ONLY_OPERATION_FIELDS.some((f) => t.operation?.[f]?.length)) ||
  (rule.from ?? []).some((f) => HTTP_ONLY_SOURCE_FIELDS.some((k) => f.source?.[k]?.length)) ||
  (rule.when ?? []).some((c) => isHttpOnlyKey(c.key));

function withoutHttpOnlyFields(rule: AuthorizationRule): AuthorizationRule {
  const strip = <T extends object>(object: T | undefined, fields: readonly string[]): T | undefined =>
    object && (Object.fromEntries(Object.entries(object).filter(([k]) => !fields.includes(k))) as T);
  return {
    from: rule.from?.map((f) => ({ source: strip(f.source, HTTP_ONLY_SOURCE_FIELDS) })),
    to: rule.to?.map((t) => ({ operation: strip(t.operation, HTTP_ONLY_OPERATION_FIELDS) })),
    when: rule.when?.filter((c) => !isHttpOnlyKey(c.key)),
  };
}

/**
 * One rule: any of its `from`, any of its `to`, all of its `when` (an absent list matches all). On TCP, Istio
 * drops an ALLOW rule with HTTP-only fields (it never matches) and strips them from a DENY rule (it matches more).
 */
export function ruleMatches(rule: AuthorizationRule, request: AuthzRequest, action: AuthorizationAction, unknowns = new Set<string>()): Tri {
  let effective = rule;
  if (request.protocol === 'tcp' && hasHttpOnlyFields(rule)) {
    if (action !== 'DENY') return false;
    effective = withoutHttpOnlyFields(rule);
  }
  const from = effective.from?.length ? or(effective.from.map((f) => sourceMatches(f.source ?? {}, request, unknowns))) : true;
  const to = effective.to?.length ? or(effective.to.map((t) => operationMatches(t.operation ?? {}, request))) : true;
  const when = and((effective.when ?? []).map((c) => conditionMatches(c, request, unknowns)));
  return and([from, to, when]);
}

/** A policy matches when any of its rules does; no rules match nothing. */
export function policyMatches(policy: AuthorizationPolicy, request: AuthzRequest, unknowns = new Set<string>()): Tri {
  const rules = policy.spec?.rules ?? [];
  return or(rules.map((rule) => ruleMatches(rule, request, actionOf(policy), unknowns)));
}

/** The decision of a workload's proxy on one request, under the policies that apply to it (see applicablePolicies). */
export function decide(policies: readonly AuthorizationPolicy[], request: AuthzRequest): AuthzDecision {
  const unknowns = new Set<string>();
  const byAction = (action: AuthorizationAction) => policies.filter((p) => actionOf(p) === action);
  const custom = byAction('CUSTOM')
    .filter((p) => policyMatches(p, request, unknowns) !== false)
    .map(policyRef);
  const result = (allowed: Tri, decidedBy: AuthzDecision['decidedBy'], matched: AuthorizationPolicy[]): AuthzDecision => ({
    allowed,
    decidedBy,
    policies: matched.map(policyRef),
    custom,
    unknowns: allowed === 'unknown' ? [...unknowns] : [],
  });

  const denies = byAction('DENY').map((p) => ({ p, m: policyMatches(p, request, unknowns) }));
  const denied = denies.find((d) => d.m === true);
  if (denied) return result(false, 'deny-policy', [denied.p]);
  const maybeDenied = denies.filter((d) => d.m === 'unknown').map((d) => d.p);

  const allows = byAction('ALLOW');
  if (allows.length === 0) return maybeDenied.length ? result('unknown', 'deny-policy', maybeDenied) : result(true, 'no-allow-policies', []);
  const matches = allows.map((p) => ({ p, m: policyMatches(p, request, unknowns) }));
  const allowed = matches.find((a) => a.m === true);
  if (allowed) return maybeDenied.length ? result('unknown', 'deny-policy', maybeDenied) : result(true, 'allow-policy', [allowed.p]);
  const maybeAllowed = matches.filter((a) => a.m === 'unknown').map((a) => a.p);
  if (maybeAllowed.length) return result('unknown', 'allow-policy', maybeAllowed);
  return result(false, 'no-allow-match', allows);
}
