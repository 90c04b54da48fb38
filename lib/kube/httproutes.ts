import type { KindDescriptor, KubeObject } from './types';

/** gateway.networking.k8s.io/v1 HTTPRoute (Gateway API, standard channel): the fields hubmesh writes and reads. */
export const httpRouteKind: KindDescriptor = {
  group: 'gateway.networking.k8s.io',
  version: 'v1',
  kind: 'HTTPRoute',
  plural: 'httproutes',
};

export type ParentReference = { group?: string; kind?: string; namespace?: string; name: string; sectionName?: string; port?: number };

export type HTTPPathMatch = { type: 'Exact' | 'PathPrefix' | 'RegularExpression'; value: string };

export type HTTPHeaderMatch = { type?: 'Exact' | 'RegularExpression'; name: string; value: string };

export type HTTPRouteMatch = { path?: HTTPPathMatch; headers?: HTTPHeaderMatch[] };

export type HTTPHeader = { name: string; value: string };

export type HTTPRouteFilter =
  | { type: 'ResponseHeaderModifier'; responseHeaderModifier: { set?: HTTPHeader[]; add?: HTTPHeader[]; remove?: string[] } }
  | {
      type: 'URLRewrite';
      urlRewrite: { path: { type: 'ReplacePrefixMatch'; replacePrefixMatch: string } | { type: 'ReplaceFullPath'; replaceFullPath: string } };
    };

export type HTTPBackendRef = { group?: string; kind?: string; name: string; namespace?: string; port?: number; weight?: number };

export type HTTPRouteRule = {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  /** Gateway API durations (GEP-2257), e.g. "1h", "250ms" */
  timeouts?: { request?: string; backendRequest?: string };
};

export type RouteCondition = { type: string; status: 'True' | 'False' | 'Unknown'; reason?: string; message?: string; observedGeneration?: number; lastTransitionTime?: string };

export type RouteParentStatus = { parentRef: ParentReference; controllerName: string; conditions?: RouteCondition[] };

export type HTTPRouteObject = KubeObject & {
  spec: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: HTTPRouteRule[];
  };
  status?: { parents?: RouteParentStatus[] };
};

/** The most rules, matches per rule, and matches in all one HTTPRoute may hold (the standard CRD's validation). */
export const HTTPROUTE_LIMITS = { rules: 16, matchesPerRule: 64, matches: 128, backendRefs: 16, headersPerMatch: 16, hostnames: 16 } as const;
