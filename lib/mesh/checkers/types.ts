import type { AuthorizationPolicy } from '../../kube/authorizationpolicies';
import type { DestinationRule } from '../../kube/destinationrules';
import type { EnvoyFilter } from '../../kube/envoyfilters';
import type { CircuitBreaking } from '../../routes/circuit-breaking';
import type { Gateway } from '../../kube/gateways';
import type { Namespace } from '../../kube/namespaces';
import type { NetworkPolicy } from '../../kube/networkpolicies';
import type { MtlsMode, PeerAuthentication } from '../../kube/peerauthentications';
import type { Pod } from '../../kube/pods';
import type { Service } from '../../kube/services';
import type { VirtualService } from '../../kube/virtualservices';
import type { HTTPRouteObject } from '../../kube/httproutes';
import type { WaypointRef } from '../ambient';

/**
 * Everything the validations read, as plain data: what hubmesh's caches (or one round of lists) hold.
 * Each list holds the objects of `observedNamespaces`; DestinationRules and PeerAuthentications also those of the
 * root namespace. A reference into a namespace that is not observed is never judged (hubmesh cannot see there).
 */
export type ValidationSnapshot = {
  /** the hub's namespace: where hubmesh writes routes and the notebook pods run */
  namespace: string;
  /** Istio's root namespace (mesh-wide policies), usually istio-system */
  rootNamespace: string;
  clusterDomain: string;
  /** hubmesh's HUBMESH_PREFIX: a VirtualService is one of the hub's routes only if it carries this prefix's labels */
  prefix: string;
  /** label selector of notebook pods, z2jh's `component=singleuser-server` */
  notebookSelector: string;
  /** namespaces whose Gateways, Services and VirtualServices the lists hold in full */
  observedNamespaces: string[];
  /** every VirtualService of the observed namespaces: hubmesh's routes and everyone else's */
  virtualServices: VirtualService[];
  /** the hub's routes when they are stored as Gateway API HTTPRoutes (HUBMESH_ROUTE_API=httproute) */
  httpRoutes?: HTTPRouteObject[];
  gateways: Gateway[];
  services: Service[];
  pods: Pod[];
  destinationRules: DestinationRule[];
  peerAuthentications: PeerAuthentication[];
  /** the Namespace objects where notebooks run (their injection labels are checked) */
  namespaces: Namespace[];
  /** the namespace-wide mTLS mode servers enforce, per namespace (mesh-wide inheritance already applied) */
  effectiveMtls: Record<string, MtlsMode>;
  /** hubmesh's EnvoyFilters on the ingress gateway (the rate limits) */
  envoyFilters: EnvoyFilter[];
  /** the notebook defaults' circuit breaking, when set: each notebook Service should get it */
  circuitBreaking?: CircuitBreaking;
  /** meshConfig.enableAutoMtls */
  autoMtls?: boolean;
  /** the hub namespace's NetworkPolicies */
  networkPolicies: NetworkPolicy[];
  /** the AuthorizationPolicies of the hub namespace and of the root namespace */
  authorizationPolicies: AuthorizationPolicy[];
  /** meshConfig.trustDomain (HUBMESH_TRUST_DOMAIN): the first part of every principal */
  trustDomain: string;
  /**
   * The ingress gateway's pods as hubmesh knows them: their namespace and the labels it selects them by
   * (HUBMESH_GATEWAY_NAMESPACE, HUBMESH_GATEWAY_SELECTOR), and the pods themselves when hubmesh watches them
   * (their own labels and addresses are judged then). Absent: `istio=ingressgateway` in the root namespace.
   */
  ingressGateway?: { namespace: string; labels: Record<string, string>; pods?: Pod[] };
  /**
   * Namespaces whose pods the NetworkPolicy rules are judged against (the gateway's, istiod's), for their labels;
   * one that is missing is taken to carry only `kubernetes.io/metadata.name`.
   */
  peerNamespaces?: Namespace[];
  /** present when hubmesh reads Istio's metrics from Prometheus (HUBMESH_PROMETHEUS_URL), with its namespace when the URL names one */
  prometheus?: { namespace?: string };
  /** the waypoint proxies hubmesh knows (Gateways of class istio-waypoint); absent or empty: none */
  waypoints?: readonly WaypointRef[];
};

export type Severity = 'error' | 'warning' | 'info';

/** An object a finding points at; namespace is absent for cluster-scoped kinds. */
export type ObjectRef = { kind: string; namespace?: string; name: string };

export type Finding = {
  code: string;
  severity: Severity;
  /** plain and specific: names the objects, says what happens and what to change */
  message: string;
  /** the object to fix */
  object: ObjectRef;
  /** the other objects the finding is about (the Gateway referenced, the VirtualService shadowed, ...) */
  related?: ObjectRef[];
};

export type Area = 'routing' | 'destinations' | 'workloads' | 'security' | 'resilience' | 'isolation';

export type CheckerInfo = {
  /** HM<area digit><three digits>; stable forever, never reused for another rule */
  code: string;
  severity: Severity;
  area: Area;
  title: string;
  /** why it matters and how to fix it, for the validations page */
  description: string;
};

export type Checker = CheckerInfo & { check(snapshot: ValidationSnapshot): Finding[] };

/** What a rule reports for one offending object; the checker stamps its code and severity. */
export type Problem = Omit<Finding, 'code' | 'severity'>;

/** A checker from its catalogue entry and a pure rule. */
export function defineChecker(info: CheckerInfo, rule: (snapshot: ValidationSnapshot) => Problem[]): Checker {
  return { ...info, check: (snapshot) => rule(snapshot).map((problem) => ({ code: info.code, severity: info.severity, ...problem })) };
}
