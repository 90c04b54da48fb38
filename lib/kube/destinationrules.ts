import type { KindDescriptor, KubeObject } from './types';

/** networking.istio.io/v1 DestinationRule: how clients (sidecars, the gateway) treat a host: TLS, connection pool, outlier detection. */
export const destinationRuleKind: KindDescriptor = { group: 'networking.istio.io', version: 'v1', kind: 'DestinationRule', plural: 'destinationrules' };

export type ClientTlsMode = 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';

export type ConnectionPool = {
  tcp?: { maxConnections?: number };
  http?: { http1MaxPendingRequests?: number; http2MaxRequests?: number; maxRequestsPerConnection?: number; maxRetries?: number };
};

export type OutlierDetection = { consecutive5xxErrors?: number; consecutiveGatewayErrors?: number; interval?: string; baseEjectionTime?: string; maxEjectionPercent?: number };

export type TrafficPolicy = {
  tls?: { mode?: ClientTlsMode };
  connectionPool?: ConnectionPool;
  outlierDetection?: OutlierDetection;
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
