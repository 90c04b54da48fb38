import { describe, expect, it } from 'vitest';
import type { Pod } from '../kube/pods';
import { trafficGraphAnswer, type GraphApiDeps } from './graph-api';
import { PrometheusError, type InstantSample } from '../telemetry/prometheus';

const alice: Pod = { metadata: { name: 'jupyter-alice', namespace: 'hub', labels: { component: 'singleuser-server', 'hub.jupyter.org/username': 'alice' } }, spec: { containers: [] } };
const warnings: unknown[] = [];

function deps(prometheus: GraphApiDeps['prometheus']): GraphApiDeps {
  return {
    namespace: 'hub',
    config: {
      proxy: { gateway: undefined, hosts: ['hub.example.org'], prefix: 'hubmesh', clusterDomain: 'cluster.local' },
      mesh: { rootNamespace: 'istio-system', autoMtls: true, istioRevision: undefined, gatewaySelector: { istio: 'ingressgateway' }, gatewayTlsSecret: undefined, gatewayNamespace: 'istio-system', trustDomain: 'cluster.local', prometheusUrl: undefined },
      notebookSelector: 'component=singleuser-server',
    },
    mesh: undefined,
    pods: { list: () => [alice] },
    prometheus,
    log: { warn: (...args: unknown[]) => warnings.push(args) } as unknown as GraphApiDeps['log'],
    now: () => 1_700_000_000_000,
  };
}

/** Answers each query with `answer(query)`, keeping the queries and the instants they were asked at. */
function prometheusAnswering(answer: (query: string) => InstantSample[] | Error) {
  const asked: Array<{ query: string; time?: number }> = [];
  return {
    asked,
    client: {
      queryVector: async (query: string, options: { time?: number } = {}) => {
        asked.push({ query, time: options.time });
        const result = answer(query);
        if (result instanceof Error) throw result;
        return result;
      },
      queryRange: async () => [],
    },
  };
}

describe('trafficGraphAnswer', () => {
  it('says when no Prometheus is configured', async () => {
    expect(await trafficGraphAnswer(deps(undefined), new URLSearchParams())).toEqual({ configured: false, namespace: 'hub', window: '5m' });
  });

  it('asks the four queries at one instant and answers the graph with it', async () => {
    const prometheus = prometheusAnswering(() => []);
    const answer = await trafficGraphAnswer(deps(prometheus.client), new URLSearchParams({ window: '1h', user: 'alice' }));
    expect(prometheus.asked).toHaveLength(4);
    expect(new Set(prometheus.asked.map((a) => a.time))).toEqual(new Set([1_700_000_000]));
    expect(prometheus.asked.every((a) => a.query.includes('[1h]'))).toBe(true);
    expect(answer).toMatchObject({ configured: true, namespace: 'hub', time: 1_700_000_000, window: '1h', user: 'alice', users: ['alice'], idle: { count: 1 } });
  });

  it('refuses a window that is not a duration or longer than a day, and a user with control characters', async () => {
    for (const [query, field] of [
      [{ window: '5 minutes' }, 'window'],
      [{ window: '25h' }, 'window'],
      [{ user: 'a\nb' }, 'user'],
    ] as const) {
      await expect(trafficGraphAnswer(deps(undefined), new URLSearchParams(query)), JSON.stringify(query)).rejects.toMatchObject({ status: 400, code: 'invalid-input', field });
    }
  });

  it('answers 503 and logs when Prometheus cannot be reached, and lets a rejected query through as a failure of hubmesh', async () => {
    warnings.length = 0;
    const down = prometheusAnswering(() => new PrometheusError('unreachable', 'Prometheus at http://prometheus:9090 is unreachable: ECONNREFUSED'));
    await expect(trafficGraphAnswer(deps(down.client), new URLSearchParams())).rejects.toMatchObject({ status: 503, code: 'prometheus-unavailable', message: expect.stringContaining('ECONNREFUSED') });
    expect(warnings).not.toHaveLength(0);
    const rejected = prometheusAnswering(() => new PrometheusError('bad-query', 'parse error'));
    await expect(trafficGraphAnswer(deps(rejected.client), new URLSearchParams())).rejects.toMatchObject({ name: 'PrometheusError', kind: 'bad-query' });
  });
});
