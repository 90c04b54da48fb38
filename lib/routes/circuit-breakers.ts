import type { DestinationRule } from '../kube/destinationrules';
import { LABELS } from '../kube/labels';
import { trafficPolicyOf, type CircuitBreaking } from './circuit-breaking';
import { isNotebookRoute } from './notebook-route';
import { routeFromObject } from './virtualservice';
import { routeObjectDestination, type RouteObject } from './route-objects';

export const CIRCUIT_BREAKER_KIND = 'circuit-breaker';

export type CircuitBreakerContext = { namespace: string; clusterDomain: string; prefix: string; autoMtls: boolean };

/** Whether a DestinationRule is one of this hubmesh's circuit breakers. */
export const isOurCircuitBreaker = (dr: DestinationRule, prefix: string) =>
  dr.metadata.labels?.[LABELS.managedBy] === 'hubmesh' && dr.metadata.labels?.[LABELS.prefix] === prefix && dr.metadata.labels?.[LABELS.kind] === CIRCUIT_BREAKER_KIND;

export type CircuitBreakerPlan = {
  /** the DestinationRules there should be, one per notebook Service host */
  desired: DestinationRule[];
  /** notebook hosts another owner's DestinationRule already configures: hubmesh leaves them alone (HM5005) */
  blocked: Array<{ host: string; by: string }>;
};

/**
 * The circuit breakers the notebook routes need: one DestinationRule per notebook Service host in the hub
 * namespace, named after the host's Service. A host another owner's DestinationRule configures gets none:
 * Istio would use only the older rule's traffic policy for it.
 */
export function planCircuitBreakers(routes: Iterable<RouteObject>, others: readonly DestinationRule[], cb: CircuitBreaking | undefined, ctx: CircuitBreakerContext): CircuitBreakerPlan {
  if (!cb) return { desired: [], blocked: [] };
  const hosts = new Set<string>();
  for (const vs of routes) {
    const route = routeFromObject(vs);
    const host = routeObjectDestination(vs, ctx.clusterDomain)?.host;
    if (route && host && isNotebookRoute(route.data) && host.endsWith(`.${ctx.namespace}.svc.${ctx.clusterDomain}`)) hosts.add(host);
  }
  const foreign = new Map<string, string>();
  for (const dr of others) if (!isOurCircuitBreaker(dr, ctx.prefix) && dr.spec?.host) foreign.set(fqdnOf(dr.spec.host, dr.metadata.namespace ?? ctx.namespace, ctx.clusterDomain), `${dr.metadata.namespace}/${dr.metadata.name}`);
  const desired: DestinationRule[] = [];
  const blocked: CircuitBreakerPlan['blocked'] = [];
  for (const host of [...hosts].sort()) {
    const by = foreign.get(host);
    if (by) {
      blocked.push({ host, by });
      continue;
    }
    desired.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: {
        name: `${ctx.prefix}-cb-${host.split('.')[0]}`,
        namespace: ctx.namespace,
        labels: { [LABELS.managedBy]: 'hubmesh', [LABELS.prefix]: ctx.prefix, [LABELS.kind]: CIRCUIT_BREAKER_KIND },
      },
      spec: { host, trafficPolicy: trafficPolicyOf(cb, ctx.autoMtls) },
    });
  }
  return { desired, blocked };
}

/** A DestinationRule's host as Istio reads it: a short name is a Service in the rule's namespace. */
function fqdnOf(host: string, namespace: string, clusterDomain: string): string {
  return host.includes('.') ? host : `${host}.${namespace}.svc.${clusterDomain}`;
}
