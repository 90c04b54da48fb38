import type { InstantSample } from '../telemetry/prometheus';
import { promqlString } from '../telemetry/promql';
import { splitResponseFlags } from '../telemetry/response-flags';

/**
 * What a route's resilience settings did, from Istio's telemetry: requests to its Service as the callers' proxies
 * (the gateway, for browsers' requests) report them, by Envoy's response flags, and Envoy's retry counter for its
 * cluster, which Istio exports only when proxyStatsMatcher includes it.
 */
export type ResilienceFigures = {
  window: string;
  requests: number;
  /** 429 from the gateway's rate limit (flag RL) */
  rateLimited: number;
  /** requests an injected fault aborted (FI) or delayed (DI) */
  faultAborts: number;
  faultDelays: number;
  /** requests that failed after every retry was spent (URX) */
  retriesExhausted: number;
  /** retries Envoy made towards the route's Service; null when the counter is not exported */
  retries: number | null;
};

export function resilienceQueries(host: string, cluster: string, window: string) {
  return {
    flags: `sum by (response_flags) (increase(istio_requests_total{reporter="source",destination_service=${promqlString(host)}}[${window}]))`,
    retries: `sum(increase(envoy_cluster_upstream_rq_retry{cluster_name=${promqlString(cluster)}}[${window}]))`,
  };
}

/** The figures from the two queries' answers. */
export function resilienceFigures(window: string, flags: readonly InstantSample[], retries: readonly InstantSample[]): ResilienceFigures {
  const figures: ResilienceFigures = { window, requests: 0, rateLimited: 0, faultAborts: 0, faultDelays: 0, retriesExhausted: 0, retries: retries.length ? retries.reduce((n, s) => n + s.value, 0) : null };
  for (const sample of flags) {
    const set = new Set(splitResponseFlags(sample.metric.response_flags));
    figures.requests += sample.value;
    if (set.has('RL')) figures.rateLimited += sample.value;
    if (set.has('FI')) figures.faultAborts += sample.value;
    if (set.has('DI')) figures.faultDelays += sample.value;
    if (set.has('URX')) figures.retriesExhausted += sample.value;
  }
  return figures;
}
