import type { KindDescriptor, KubeObject } from './types';

/** security.istio.io/v1 AuthorizationPolicy: which requests a workload's proxy lets in. */
export const authorizationPolicyKind: KindDescriptor = { group: 'security.istio.io', version: 'v1', kind: 'AuthorizationPolicy', plural: 'authorizationpolicies' };

/** AUDIT only logs and never decides; an absent action is ALLOW. */
export type AuthorizationAction = 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';

export type AuthorizationSource = {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
  remoteIpBlocks?: string[];
  notRemoteIpBlocks?: string[];
};

export type AuthorizationOperation = {
  hosts?: string[];
  notHosts?: string[];
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
};

export type AuthorizationCondition = { key: string; values?: string[]; notValues?: string[] };

export type AuthorizationRule = {
  from?: Array<{ source?: AuthorizationSource }>;
  to?: Array<{ operation?: AuthorizationOperation }>;
  when?: AuthorizationCondition[];
};

export type AuthorizationPolicy = KubeObject & {
  spec?: {
    /** without one (or with empty matchLabels) the policy covers the namespace, or the mesh in the root namespace */
    selector?: { matchLabels?: Record<string, string> };
    /** waypoints and gateways (Gateway API); a policy with targetRefs does not apply to sidecars by selector */
    targetRef?: { group?: string; kind: string; name: string; namespace?: string };
    targetRefs?: Array<{ group?: string; kind: string; name: string; namespace?: string }>;
    action?: AuthorizationAction;
    /** CUSTOM only: the extension provider */
    provider?: { name: string };
    /** absent: an ALLOW policy allows nothing, a DENY policy denies nothing; `[{}]` matches every request */
    rules?: AuthorizationRule[];
  };
};
