import type { LabelSelector } from './label-selector';
import type { KindDescriptor, KubeObject } from './types';

/** networking.k8s.io/v1 NetworkPolicy: which connections the CNI lets into and out of the pods it selects. */
export const networkPolicyKind: KindDescriptor = { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies' };

export type NetworkPolicyType = 'Ingress' | 'Egress';

/** TCP unless set. */
export type NetworkPolicyProtocol = 'TCP' | 'UDP' | 'SCTP';

export type NetworkPolicyPort = {
  protocol?: NetworkPolicyProtocol;
  /** a number, or the name of a container port of the destination pod; absent: every port of the protocol */
  port?: number | string;
  /** with a numeric port: the range port..endPort */
  endPort?: number;
};

/** CIDR minus the `except` CIDRs (each inside `cidr`). */
export type IPBlock = { cidr: string; except?: string[] };

/**
 * One peer. podSelector alone: pods of the policy's namespace; namespaceSelector alone: every pod of the
 * namespaces it selects; both: the pods podSelector selects in those namespaces; ipBlock: addresses.
 */
export type NetworkPolicyPeer = {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
};

/** absent or empty `from` / `ports`: every peer / every port */
export type NetworkPolicyIngressRule = { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] };
export type NetworkPolicyEgressRule = { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] };

export type NetworkPolicy = KubeObject & {
  spec?: {
    /** the pods of the policy's namespace it applies to; `{}` selects them all */
    podSelector?: LabelSelector;
    /** absent: Ingress, plus Egress when the policy has egress rules */
    policyTypes?: NetworkPolicyType[];
    /** with Ingress among the types, no rules means no ingress at all; `[{}]` allows everything */
    ingress?: NetworkPolicyIngressRule[];
    egress?: NetworkPolicyEgressRule[];
  };
};
