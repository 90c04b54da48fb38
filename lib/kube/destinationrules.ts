import type { KindDescriptor, KubeObject } from './types';

/** networking.istio.io/v1 DestinationRule: what TLS a client sidecar originates towards a host. */
export const destinationRuleKind: KindDescriptor = { group: 'networking.istio.io', version: 'v1', kind: 'DestinationRule', plural: 'destinationrules' };

export type ClientTlsMode = 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';

export type TrafficPolicy = {
  tls?: { mode?: ClientTlsMode };
  portLevelSettings?: Array<{ port?: { number?: number }; tls?: { mode?: ClientTlsMode } }>;
};

export type DestinationRule = KubeObject & {
  spec?: {
    host: string;
    trafficPolicy?: TrafficPolicy;
    subsets?: Array<{ name: string; labels?: Record<string, string>; trafficPolicy?: TrafficPolicy }>;
    exportTo?: string[];
    workloadSelector?: { matchLabels?: Record<string, string> };
  };
};
