import type { KindDescriptor, KubeObject } from './types';

/** networking.istio.io/v1 VirtualService: the fields hubmesh writes and reads. */
export const virtualServiceKind: KindDescriptor = {
  group: 'networking.istio.io',
  version: 'v1',
  kind: 'VirtualService',
  plural: 'virtualservices',
};

export type StringMatch = { exact?: string; prefix?: string; regex?: string };

export type HTTPMatchRequest = {
  name?: string;
  uri?: StringMatch;
  headers?: Record<string, StringMatch>;
  withoutHeaders?: Record<string, StringMatch>;
};

export type HTTPRouteDestination = {
  destination: { host: string; subset?: string; port?: { number: number } };
  weight?: number;
  headers?: HeaderOperations;
};

export type HeaderOperations = {
  request?: { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] };
  response?: { set?: Record<string, string>; add?: Record<string, string>; remove?: string[] };
};

export type HTTPRoute = {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  /** `uri` replaces the matched prefix (a prefix match) or the whole path (exact and regex matches); `uriRegexRewrite` rewrites the path (not the query) by an RE2 regex; `authority` replaces the Host header */
  rewrite?: { uri?: string; uriRegexRewrite?: { match: string; rewrite: string }; authority?: string };
  directResponse?: { status: number; body?: { string?: string } };
  timeout?: string;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
  headers?: HeaderOperations;
};

/** Durations are protobuf Durations as Istio reads them: decimal seconds with an "s", e.g. "2s" or "0.250s". */
export type HTTPRetry = { attempts: number; perTryTimeout?: string; retryOn?: string };

export type Percent = { value: number };

export type HTTPFaultInjection = {
  delay?: { percentage: Percent; fixedDelay: string };
  abort?: { percentage: Percent; httpStatus: number };
};

export type VirtualService = KubeObject & {
  spec: {
    hosts?: string[];
    gateways?: string[];
    http?: HTTPRoute[];
    exportTo?: string[];
  };
  status?: {
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }>;
    observedGeneration?: string | number;
  };
};
