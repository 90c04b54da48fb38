/**
 * ztunnel's L4 authorization over the policies istiod sends it (the oracle's `ambient.ztunnelPolicies`, protojson
 * of istio.security.Authorization), as ztunnel's src/rbac.rs evaluates them: a policy matches when any of its
 * groups does; a group when all its rules do; a rule when any of its matches does (a rule without matches
 * counts as matched, a match with no field set never matches); a match when every field kind it sets
 * agrees, a positive list by any entry and a negative list by none. Principals are compared without their
 * `spiffe://` prefix, and a connection without a peer identity matches no principal, not even presence.
 * A workload is subject to global policies, its namespace's, and the selector policies its WDS Workload
 * names; a connection is denied when a DENY policy matches, else allowed when no ALLOW policy applies or one
 * matches. Dry-run policies are only logged.
 */

export type ZtunnelConnection = {
  /** the peer's SPIFFE identity, `spiffe://cluster.local/ns/<ns>/sa/<sa>`; absent for plaintext */
  identity?: string;
  /** the workload port the connection reaches */
  port: number;
};

export type ZtunnelPolicy = { name: string; config: Record<string, unknown> };

type StringMatch = { exact?: string; prefix?: string; suffix?: string; presence?: unknown };
type ServiceAccountMatch = { namespace?: string; serviceAccount?: string };
type Match = {
  principals?: StringMatch[];
  not_principals?: StringMatch[];
  namespaces?: StringMatch[];
  not_namespaces?: StringMatch[];
  service_accounts?: ServiceAccountMatch[];
  not_service_accounts?: ServiceAccountMatch[];
  destination_ports?: number[];
  not_destination_ports?: number[];
  [field: string]: unknown;
};
type Authorization = {
  name?: string;
  namespace?: string;
  scope?: 'GLOBAL' | 'NAMESPACE' | 'WORKLOAD_SELECTOR';
  action?: 'ALLOW' | 'DENY';
  dry_run?: boolean;
  groups?: Array<{ rules?: Array<{ matches?: Match[] }> }>;
};

const SUPPORTED_FIELDS = new Set([
  'principals',
  'not_principals',
  'namespaces',
  'not_namespaces',
  'service_accounts',
  'not_service_accounts',
  'destination_ports',
  'not_destination_ports',
]);

function stringMatches(m: StringMatch, value: string): boolean {
  if (m.exact !== undefined) return value === m.exact;
  if (m.prefix !== undefined) return value.startsWith(m.prefix);
  if (m.suffix !== undefined) return value.endsWith(m.suffix);
  if (m.presence !== undefined) return value !== '';
  throw new Error(`unknown ztunnel string match ${JSON.stringify(m)}`);
}

/** positive: any entry must agree (when there are any); negative: none may */
function kindMatches<T>(positive: readonly T[] | undefined, negative: readonly T[] | undefined, agrees: (entry: T) => boolean): boolean {
  const pm = !positive?.length || positive.some(agrees);
  const nm = !negative?.length || !negative.some(agrees);
  return pm && nm;
}

function identityParts(identity: string | undefined) {
  const path = identity?.startsWith('spiffe://') ? identity.slice('spiffe://'.length) : undefined;
  const found = path ? /^[^/]+\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(path) : null;
  return { path, namespace: found?.[1] ?? '', serviceAccount: found?.[2] };
}

function matchMatches(match: Match, conn: ZtunnelConnection): boolean {
  const unknown = Object.keys(match).filter((field) => !SUPPORTED_FIELDS.has(field));
  if (unknown.length) throw new Error(`ztunnel match fields this evaluator does not model: ${unknown.join(', ')}`);
  const { path, namespace, serviceAccount } = identityParts(conn.identity);
  const sa = (m: ServiceAccountMatch) => serviceAccount !== undefined && m.namespace === namespace && m.serviceAccount === serviceAccount;
  return (
    kindMatches(match.destination_ports, match.not_destination_ports, (p) => p === conn.port) &&
    kindMatches(match.service_accounts, match.not_service_accounts, sa) &&
    kindMatches(match.principals, match.not_principals, (m) => path !== undefined && stringMatches(m, path)) &&
    kindMatches(match.namespaces, match.not_namespaces, (m) => stringMatches(m, namespace))
  );
}

const isEmptyMatch = (m: Match) => Object.values(m).every((v) => !Array.isArray(v) || v.length === 0);

export function policyMatches(policy: Authorization, conn: ZtunnelConnection): boolean {
  return (policy.groups ?? []).some((group) =>
    (group.rules ?? []).every((rule) => {
      const matches = rule.matches ?? [];
      return matches.length === 0 || matches.some((m) => !isEmptyMatch(m) && matchMatches(m, conn));
    }),
  );
}

/** Whether ztunnel lets the connection reach the workload, under the policies that apply to it. */
export function ztunnelAllows(
  workload: { namespace: string; authorizationPolicies: readonly string[] },
  policies: readonly ZtunnelPolicy[],
  conn: ZtunnelConnection,
): boolean {
  const applying = policies
    .map((p) => ({ name: p.name, auth: p.config as Authorization }))
    .filter(({ name, auth }) => {
      if (auth.dry_run) return false;
      // protojson leaves out zero values: no scope is GLOBAL, no action ALLOW
      if ((auth.scope ?? 'GLOBAL') === 'GLOBAL') return true;
      if (auth.scope === 'NAMESPACE') return auth.namespace === workload.namespace;
      return workload.authorizationPolicies.includes(name);
    });
  if (applying.some(({ auth }) => auth.action === 'DENY' && policyMatches(auth, conn))) return false;
  const allows = applying.filter(({ auth }) => (auth.action ?? 'ALLOW') === 'ALLOW');
  return allows.length === 0 || allows.some(({ auth }) => policyMatches(auth, conn));
}
