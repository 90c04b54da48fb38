import type { AuthorizationPolicy } from '../../kube/authorizationpolicies';
import { actionOf, applicablePolicies, type AuthzWorkload } from './evaluate';

/**
 * What ztunnel, ambient's L4 proxy, cannot enforce of an AuthorizationPolicy, after istiod's conversion for it
 * (convertAuthorizationPolicy and handleRule in pilot/pkg/serviceregistry/ambient/authorization.go). ztunnel
 * sees connections, not requests: HTTP attributes need a waypoint proxy, and without one an ALLOW rule that uses
 * them never matches and a DENY policy drops them and denies more than it says.
 */

/** the `when` keys ztunnel can match on a connection; every other key is an HTTP (or JWT) attribute */
const L4_CONDITION_KEYS = new Set(['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port']);

const OPERATION_L7_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;
const SOURCE_L7_FIELDS = ['remoteIpBlocks', 'notRemoteIpBlocks', 'requestPrincipals', 'notRequestPrincipals'] as const;

const present = (list: readonly unknown[] | undefined) => (list?.length ?? 0) > 0;

/** The HTTP attributes a policy's rules use, by Istio's names (`methods`, `paths`, `request.headers[x]`, ...), sorted. */
export function l7Attributes(policy: AuthorizationPolicy): string[] {
  const found = new Set<string>();
  for (const rule of policy.spec?.rules ?? []) {
    for (const { operation } of rule.to ?? []) {
      for (const field of OPERATION_L7_FIELDS) if (present(operation?.[field])) found.add(field);
    }
    for (const { source } of rule.from ?? []) {
      for (const field of SOURCE_L7_FIELDS) if (present(source?.[field])) found.add(field);
    }
    for (const condition of rule.when ?? []) if (!L4_CONDITION_KEYS.has(condition.key)) found.add(condition.key);
  }
  return [...found].sort();
}

/** ztunnel enforces ALLOW and DENY only; CUSTOM (an external authorizer) and AUDIT need a waypoint. */
const ztunnelSupportsAction = (policy: AuthorizationPolicy) => ['ALLOW', 'DENY'].includes(actionOf(policy));

/**
 * Whether a policy that applies to ambient pods by selector (or namespace-wide) needs a waypoint to be enforced
 * as written: it uses HTTP attributes, or an action ztunnel does not support. A policy with targetRefs is
 * enforced by the waypoint or gateway it targets, never by ztunnel, and is not judged here.
 */
export function needsWaypoint(policy: AuthorizationPolicy): boolean {
  return !ztunnelSupportsAction(policy) || l7Attributes(policy).length > 0;
}

/**
 * The policies ztunnel applies to a workload (by selector or namespace-wide, from its namespace and the root
 * namespace; not dry runs) that need a waypoint to be enforced as written.
 */
export function policiesNeedingWaypoint(policies: readonly AuthorizationPolicy[], workload: AuthzWorkload, rootNamespace: string): AuthorizationPolicy[] {
  return applicablePolicies(policies, workload, rootNamespace).filter(needsWaypoint);
}
