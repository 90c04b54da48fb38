import type { AuthorizationPolicy } from '../../kube/authorizationpolicies';
import type { Pod } from '../../kube/pods';
import type { AmbientInfo } from '../ambient';
import { actionOf, applicablePolicies } from '../authz/evaluate';
import { l7Attributes, needsWaypoint } from '../authz/l7';
import { ambientPods, podNames } from './ambient-pods';
import { refOf } from './routing';
import { defineChecker, type ValidationSnapshot } from './types';

/**
 * istiod's own words for a policy ztunnel cannot enforce as written: the ZtunnelAccepted condition it writes on
 * the AuthorizationPolicy (convertAuthorizationPolicy in pilot/pkg/serviceregistry/ambient/authorization.go).
 */
export function ztunnelConditionMessage(policy: AuthorizationPolicy): string {
  const action = actionOf(policy);
  if (action !== 'ALLOW' && action !== 'DENY') return `ztunnel does not support the ${action} action`;
  const consequence =
    action === 'DENY'
      ? 'DENY policy with HTTP attributes is enforced without the HTTP rules. This will be more restrictive than requested.'
      : 'Within an ALLOW policy, rules matching HTTP attributes are omitted. This will be more restrictive than requested.';
  return `ztunnel does not support HTTP attributes (found: ${l7Attributes(policy).join(', ')}). In ambient mode you must use a waypoint proxy to enforce HTTP rules. ${consequence}`;
}

/** What the pods' waypoint changes: nothing for a selector policy, which waypoints never take (only targetRefs). */
function waypointAdvice(pods: ReadonlyArray<{ pod: Pod; ambient: AmbientInfo }>, namespace: string): string {
  const waypoints = [...new Set(pods.flatMap(({ ambient }) => (ambient.waypoint?.ready ? [`${ambient.waypoint.namespace}/${ambient.waypoint.name}`] : [])))].sort();
  if (waypoints.length > 0) {
    return `The waypoint ${waypoints.join(', ')} serves some of them, but a waypoint enforces only policies that target it: attach the policy with targetRefs to the waypoint's Gateway or to the Service instead of a selector.`;
  }
  return `They have no waypoint: deploy one (istioctl waypoint apply -n ${namespace} --enroll-namespace) and attach the policy to it with targetRefs.`;
}

function findings(snapshot: ValidationSnapshot) {
  const byPolicy = new Map<AuthorizationPolicy, Array<{ pod: Pod; ambient: AmbientInfo }>>();
  for (const entry of ambientPods(snapshot)) {
    const workload = { namespace: entry.pod.metadata.namespace ?? '', labels: entry.pod.metadata.labels ?? {} };
    for (const policy of applicablePolicies(snapshot.authorizationPolicies, workload, snapshot.rootNamespace).filter(needsWaypoint)) {
      byPolicy.set(policy, [...(byPolicy.get(policy) ?? []), entry]);
    }
  }
  return [...byPolicy].map(([policy, pods]) => ({
    message:
      `AuthorizationPolicy ${policy.metadata.namespace}/${policy.metadata.name} applies to ${pods.length} ambient pod${pods.length === 1 ? '' : 's'} (${podNames(pods.map((p) => p.pod))}) by selector, so ztunnel enforces it: ` +
      `${ztunnelConditionMessage(policy)} ${waypointAdvice(pods, snapshot.namespace)}`,
    object: refOf('AuthorizationPolicy', policy),
    related: pods.map(({ pod }) => refOf('Pod', pod)),
  }));
}

export const ambientL7Policy = defineChecker(
  {
    code: 'HM6005',
    severity: 'warning',
    area: 'isolation',
    title: 'AuthorizationPolicy with HTTP rules enforced by ztunnel (ambient)',
    description:
      "Ambient pods have no sidecar: an AuthorizationPolicy that selects them (or covers their namespace) is enforced by ztunnel, which sees connections, not requests. istiod drops an ALLOW rule that uses HTTP attributes (methods, paths, hosts, request principals, remote IP blocks, request headers and other non-L4 `when` keys), strips them from a DENY rule so it denies the whole connection it still matches, and does not give ztunnel CUSTOM or AUDIT policies at all. It says so in the policy's ZtunnelAccepted condition (False only for an unsupported action, which istioctl analyze reports as IST0171; True with reason UnsupportedValue for HTTP attributes, which analyze does not report). A waypoint does not help a selector policy: waypoints enforce only policies attached with targetRefs.",
  },
  findings,
);
