import { describe, expect, it } from 'vitest';
import type { Pod } from '../../kube/pods';
import { isolationQueries, summarizeIsolationTraffic } from './traffic';

const notebook = (name: string, user: string): Pod => ({ metadata: { name, namespace: 'jupyterhub', annotations: { 'hub.jupyter.org/username': user } } });
const sample = (metric: Record<string, string>, value: number) => ({ metric, value, time: 0 });

describe('isolation traffic', () => {
  it('asks three bounded queries, destination-reported, summed by source and destination workload', () => {
    const q = isolationQueries('jupyter"hub', '1h');
    expect(Object.keys(q)).toEqual(['requests', 'connections', 'denied']);
    expect(q.requests).toBe(
      'sum by (source_workload_namespace, source_workload, source_principal, destination_workload) (increase(istio_requests_total{reporter="destination",destination_workload_namespace="jupyter\\"hub"}[1h])) > 0',
    );
    expect(q.denied).toContain(',response_code="403"}');
    expect(q.connections).toContain('istio_tcp_connections_opened_total');
    expect(() => isolationQueries('jupyterhub', '1h) or vector(1')).toThrow();
  });

  it('finds notebook-to-notebook flows by the pods of the hub namespace, with their users', () => {
    const gateway = { source_workload_namespace: 'istio-system', source_workload: 'istio-ingressgateway', source_principal: 'spiffe://cluster.local/ns/istio-system/sa/gw', destination_workload: 'jupyter-alice' };
    const bobToAlice = { source_workload_namespace: 'jupyterhub', source_workload: 'jupyter-bob', source_principal: 'spiffe://cluster.local/ns/jupyterhub/sa/default', destination_workload: 'jupyter-alice' };
    const tcp = { ...bobToAlice, source_workload: 'jupyter-carol', destination_workload: 'jupyter-bob' };
    const traffic = summarizeIsolationTraffic(
      { requests: [sample(gateway, 120), sample(bobToAlice, 12)], connections: [sample(tcp, 3)], denied: [sample(bobToAlice, 2)] },
      { window: '1h', namespace: 'jupyterhub', notebooks: [notebook('jupyter-alice', 'alice'), notebook('jupyter-bob', 'bob'), notebook('jupyter-carol', 'carol')] },
    );
    expect(traffic.flows).toHaveLength(3);
    expect(traffic.flows[0]).toMatchObject({ source: { workload: 'istio-ingressgateway', principal: 'cluster.local/ns/istio-system/sa/gw' }, destination: { user: 'alice' }, requests: 120 });
    expect(traffic.notebookToNotebook).toEqual([
      { source: { namespace: 'jupyterhub', workload: 'jupyter-bob', user: 'bob', server: '', principal: 'cluster.local/ns/jupyterhub/sa/default' }, destination: { namespace: 'jupyterhub', workload: 'jupyter-alice', user: 'alice', server: '' }, requests: 12, connections: 0, denied: 2 },
      { source: { namespace: 'jupyterhub', workload: 'jupyter-carol', user: 'carol', server: '', principal: 'cluster.local/ns/jupyterhub/sa/default' }, destination: { namespace: 'jupyterhub', workload: 'jupyter-bob', user: 'bob', server: '' }, requests: 0, connections: 3, denied: 0 },
    ]);
  });
});
