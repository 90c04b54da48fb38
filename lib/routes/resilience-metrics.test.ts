import { describe, expect, it } from 'vitest';
import { resilienceFigures, resilienceQueries } from './resilience-metrics';

const sample = (flags: string, value: number) => ({ metric: { response_flags: flags }, time: 0, value });

describe('resilience figures', () => {
  it('ask for the route Service’s requests by response flags, and its cluster’s retries, quoting the names', () => {
    expect(resilienceQueries('jupyter-a"b.hub.svc.cluster.local', 'outbound|8888||jupyter-a"b.hub.svc.cluster.local', '1h')).toEqual({
      flags: 'sum by (response_flags) (increase(istio_requests_total{reporter="source",destination_service="jupyter-a\\"b.hub.svc.cluster.local"}[1h]))',
      retries: 'sum(increase(envoy_cluster_upstream_rq_retry{cluster_name="outbound|8888||jupyter-a\\"b.hub.svc.cluster.local"}[1h]))',
    });
  });

  it('count each flag of a request, and say when the retry counter is not exported', () => {
    expect(resilienceFigures('1h', [sample('-', 100), sample('RL', 20), sample('DI,FI', 3), sample('FI', 2), sample('DI', 4), sample('URX,UF', 1)], [{ metric: {}, time: 0, value: 7 }])).toEqual({
      window: '1h',
      requests: 130,
      rateLimited: 20,
      faultAborts: 5,
      faultDelays: 7,
      retriesExhausted: 1,
      retries: 7,
    });
    expect(resilienceFigures('1h', [], []).retries).toBeNull();
  });
});
