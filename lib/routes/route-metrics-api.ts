import type { RouteObject } from './route-objects';
import { ApiError } from '../api-error';
import type { Informer } from '../kube/informer';
import { resilienceFigures, resilienceQueries } from './resilience-metrics';
import type { PrometheusClient } from '../telemetry/prometheus';
import { routeFromObject } from './virtualservice';
import { routeObjectDestination } from './route-objects';

export type RouteMetricsDeps = {
  virtualServices: Pick<Informer<RouteObject>, 'get'>;
  clusterDomain: string;
  /** Istio's Prometheus; undefined when HUBMESH_PROMETHEUS_URL is not set */
  prometheus: Pick<PrometheusClient, 'queryVector'> | undefined;
};

/**
 * What the route's resilience settings did over the window (the last hour by default): its Service's requests,
 * the 429s of the rate limit, the injected faults, and the retries. A Prometheus that cannot answer is a 503.
 */
export async function routeResilienceMetrics(deps: RouteMetricsDeps, name: string, options: { window?: string; time?: number } = {}) {
  const vs = deps.virtualServices.get(name);
  const route = vs && routeFromObject(vs);
  const destination = vs && routeObjectDestination(vs, deps.clusterDomain);
  if (!route || !destination) throw new ApiError(404, 'not-found', `no route object ${JSON.stringify(name)}`);
  if (!deps.prometheus) return { configured: false as const };
  const window = options.window ?? '1h';
  const queries = resilienceQueries(destination.host, `outbound|${destination.port}||${destination.host}`, window);
  const [flags, retries] = await Promise.all([deps.prometheus.queryVector(queries.flags, { time: options.time }), deps.prometheus.queryVector(queries.retries, { time: options.time })]);
  return { configured: true as const, service: destination.host, ...resilienceFigures(window, flags, retries) };
}
