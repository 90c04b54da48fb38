import type { KindDescriptor, KubeObject } from './types';

/** networking.istio.io/v1alpha3 EnvoyFilter: patches to the Envoy configuration istiod generates for a workload. */
export const envoyFilterKind: KindDescriptor = { group: 'networking.istio.io', version: 'v1alpha3', kind: 'EnvoyFilter', plural: 'envoyfilters' };

export type EnvoyConfigPatch = {
  applyTo: 'HTTP_FILTER' | 'HTTP_ROUTE' | 'VIRTUAL_HOST' | 'NETWORK_FILTER' | 'CLUSTER' | 'LISTENER' | 'ROUTE_CONFIGURATION';
  match?: {
    context?: 'ANY' | 'SIDECAR_INBOUND' | 'SIDECAR_OUTBOUND' | 'GATEWAY';
    listener?: { filterChain?: { filter?: { name?: string; subFilter?: { name?: string } } } };
    routeConfiguration?: { vhost?: { name?: string; route?: { name?: string } } };
  };
  patch: { operation: 'MERGE' | 'ADD' | 'REMOVE' | 'INSERT_BEFORE' | 'INSERT_AFTER' | 'INSERT_FIRST' | 'REPLACE'; value?: Record<string, unknown> };
};

export type EnvoyFilter = KubeObject & {
  spec: {
    workloadSelector?: { labels: Record<string, string> };
    configPatches: EnvoyConfigPatch[];
    priority?: number;
  };
};
