import type { KindDescriptor, KubeObject } from './types';

/** security.istio.io/v1 PeerAuthentication: which mTLS a workload's sidecar accepts. */
export const peerAuthenticationKind: KindDescriptor = { group: 'security.istio.io', version: 'v1', kind: 'PeerAuthentication', plural: 'peerauthentications' };

/** UNSET inherits from the parent scope (workload ← namespace ← mesh). */
export type MtlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export type PeerAuthentication = KubeObject & {
  spec?: {
    /** without one, the policy covers the whole namespace (or the mesh, in the root namespace) */
    selector?: { matchLabels?: Record<string, string> };
    mtls?: { mode?: MtlsMode };
    /** per workload port; keys are port numbers */
    portLevelMtls?: Record<string, { mode?: MtlsMode }>;
  };
};
