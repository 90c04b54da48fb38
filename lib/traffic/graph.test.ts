import { describe, expect, it } from 'vitest';
import type { Pod } from '../kube/pods';
import { buildTrafficGraph, graphQueries, IDLE_NODE, type GraphPods, type GraphVectors } from './graph';

const NS = 'jupyterhub';
const GATEWAY_NS = 'istio-system';
const options = { namespace: NS, gatewayNamespace: GATEWAY_NS, window: '5m' };

function pod(name: string, namespace: string, labels: Record<string, string>, annotations: Record<string, string> = {}): Pod {
  return {
    metadata: { name, namespace, labels, annotations },
    spec: { containers: [{ name: 'main' }] },
    status: { phase: 'Running', containerStatuses: [{ name: 'main', ready: true, restartCount: 0, state: { running: {} } }] },
  };
}
const notebook = (name: string, user: string, server = '') => pod(name, NS, { component: 'singleuser-server' }, { 'hub.jupyter.org/username': user, 'hub.jupyter.org/servername': server });

const pods: GraphPods = {
  notebooks: [
    notebook('jupyter-alice', 'alice'),
    notebook('jupyter-bob', 'bob'),
    notebook('jupyter-mallory', 'mallory'),
    notebook('jupyter-carol--lab', 'carol', 'lab'),
    notebook('jupyter-dave', 'dave'),
    notebook('jupyter-erin', 'erin'),
  ],
  hub: [pod('hub-5d8f7c9b4-x2k9p', NS, { component: 'hub' })],
  hubmesh: [pod('hubmesh-6c7d8e9f0-abcde', NS, { 'app.kubernetes.io/name': 'hubmesh' })],
  gateway: [pod('istio-ingressgateway-7f9c6d5b4-zzzzz', GATEWAY_NS, { istio: 'ingressgateway' })],
};

const GATEWAY = { source_workload: 'istio-ingressgateway', source_workload_namespace: GATEWAY_NS };
const from = (workload: string, namespace = NS) => ({ source_workload: workload, source_workload_namespace: namespace });
const to = (workload: string, namespace = NS) => ({
  destination_workload: workload,
  destination_workload_namespace: namespace,
  destination_service_name: workload,
  destination_service_namespace: namespace,
});
const request = (source: Record<string, string>, destination: Record<string, string>, policy: string, responseClass: string, value: number) => ({
  metric: { ...source, ...destination, connection_security_policy: policy, response_class: responseClass },
  time: 1000,
  value,
});
const sample = (metric: Record<string, string>, value: number) => ({ metric, time: 1000, value });

/**
 * The scenario: users through the gateway, the hub calling notebooks and hubmesh, bob's gateway-side
 * 503 UF,URX that never reached his notebook, mallory's notebook calling alice's, plaintext from outside the
 * mesh into carol's lab server, and a TCP-only edge from mallory's notebook to a database elsewhere.
 */
const scenario: GraphVectors = {
  requests: [
    request(GATEWAY, to('jupyter-alice'), 'mutual_tls', '2xx', 3),
    request(GATEWAY, to('jupyter-alice'), 'mutual_tls', '5xx', 1),
    request(GATEWAY, to('hub'), 'mutual_tls', '2xx', 1),
    request(from('hub'), to('jupyter-alice'), 'mutual_tls', '2xx', 0.5),
    request(from('hub'), to('hubmesh'), 'mutual_tls', '2xx', 0.2),
    request(from('jupyter-mallory'), to('jupyter-alice'), 'mutual_tls', '2xx', 1),
    request(GATEWAY, to('jupyter-carol--lab'), 'mutual_tls', '2xx', 1.5),
    request(from('unknown', 'unknown'), to('jupyter-carol--lab'), 'none', '2xx', 0.5),
  ],
  unforwarded: [
    sample(
      { ...GATEWAY, destination_workload: 'unknown', destination_workload_namespace: 'unknown', destination_service_name: 'jupyter-bob', destination_service_namespace: NS, response_code: '503', response_flags: 'UF,URX' },
      2,
    ),
  ],
  tcpSent: [sample({ ...from('jupyter-mallory'), ...to('postgres', 'data'), connection_security_policy: 'mutual_tls' }, 6000)],
  tcpReceived: [sample({ ...from('jupyter-mallory'), ...to('postgres', 'data'), connection_security_policy: 'mutual_tls' }, 3000)],
};

const noTcp = { sentBytes: 0, receivedBytes: 0 };
const notForwarded = { perSecond: 0, flags: [] };

describe('graphQueries', () => {
  it('reads both directions of the namespace in four queries that do not depend on the number of users', () => {
    const queries = graphQueries({ namespace: NS, window: '5m' });
    expect(Object.keys(queries)).toEqual(['requests', 'unforwarded', 'tcpSent', 'tcpReceived']);
    expect(queries.requests).toBe(
      '(sum by (source_workload, source_workload_namespace, destination_workload, destination_workload_namespace, destination_service_name, destination_service_namespace, connection_security_policy, response_class) ' +
        '(label_replace(rate(istio_requests_total{reporter="destination",destination_workload_namespace="jupyterhub"}[5m]), "response_class", "${1}xx", "response_code", "([0-9]).*")) or ' +
        'sum by (source_workload, source_workload_namespace, destination_workload, destination_workload_namespace, destination_service_name, destination_service_namespace, connection_security_policy, response_class) ' +
        '(label_replace(rate(istio_requests_total{reporter="destination",source_workload_namespace="jupyterhub",destination_workload_namespace!="jupyterhub"}[5m]), "response_class", "${1}xx", "response_code", "([0-9]).*"))) > 0',
    );
    expect(queries.unforwarded).toContain('istio_requests_total{reporter="source",destination_service_namespace="jupyterhub",response_flags=~"(.*,)?(UH|UF|UO|NR|NC|UAEX|RL|RLSE|FI|IH|OM|DO|DF|NFCF)(,.*)?"}[5m]');
    expect(queries.unforwarded).toContain('{reporter="source",source_workload_namespace="jupyterhub",destination_service_namespace!="jupyterhub",response_flags=~');
    expect(queries.tcpSent).toContain('increase(istio_tcp_sent_bytes_total{reporter="destination",destination_workload_namespace="jupyterhub"}[5m])');
    expect(queries.tcpReceived).toContain('increase(istio_tcp_received_bytes_total{reporter="destination",source_workload_namespace="jupyterhub",destination_workload_namespace!="jupyterhub"}[5m])');
  });

  it('quotes the namespace and refuses a window that is not a duration', () => {
    expect(graphQueries({ namespace: 'odd"ns\\', window: '1h' }).requests).toContain('destination_workload_namespace="odd\\"ns\\\\"');
    expect(() => graphQueries({ namespace: NS, window: '5 minutes' })).toThrow();
  });
});

describe('buildTrafficGraph', () => {
  it('builds the scenario: nodes in JupyterHub terms, edges with rates, errors, mTLS and bytes, and the findings', () => {
    const graph = buildTrafficGraph(scenario, pods, options);
    expect(graph.window).toBe('5m');
    expect(graph.nodes).toEqual([
      { id: 'gateway', kind: 'gateway', label: 'ingress gateway', namespace: GATEWAY_NS, workloads: ['istio-ingressgateway'], requestsIn: 0, requestsOut: 8.5 },
      { id: 'hub', kind: 'hub', label: 'hub', namespace: NS, workloads: ['hub'], requestsIn: 1, requestsOut: 0.7 },
      { id: 'hubmesh', kind: 'hubmesh', label: 'hubmesh', namespace: NS, workloads: ['hubmesh'], requestsIn: 0.2, requestsOut: 0 },
      { id: 'notebook:jupyter-alice', kind: 'notebook', label: 'alice', namespace: NS, workloads: ['jupyter-alice'], user: 'alice', server: '', pod: 'jupyter-alice', status: 'Running', requestsIn: 5.5, requestsOut: 0 },
      { id: 'notebook:jupyter-bob', kind: 'notebook', label: 'bob', namespace: NS, workloads: ['jupyter-bob'], user: 'bob', server: '', pod: 'jupyter-bob', status: 'Running', requestsIn: 2, requestsOut: 0 },
      { id: 'notebook:jupyter-carol--lab', kind: 'notebook', label: 'carol/lab', namespace: NS, workloads: ['jupyter-carol--lab'], user: 'carol', server: 'lab', pod: 'jupyter-carol--lab', status: 'Running', requestsIn: 2, requestsOut: 0 },
      { id: 'notebook:jupyter-mallory', kind: 'notebook', label: 'mallory', namespace: NS, workloads: ['jupyter-mallory'], user: 'mallory', server: '', pod: 'jupyter-mallory', status: 'Running', requestsIn: 0, requestsOut: 1 },
      { id: 'workload:data/postgres', kind: 'workload', label: 'data/postgres', namespace: 'data', workloads: ['postgres'], requestsIn: 0, requestsOut: 0 },
      { id: 'unknown', kind: 'unknown', label: 'unknown / outside the mesh', workloads: [], requestsIn: 0, requestsOut: 0.5 },
      { id: IDLE_NODE, kind: 'idle', label: '2 idle notebooks', workloads: [], count: 2, requestsIn: 0, requestsOut: 0 },
    ]);
    expect(graph.edges).toEqual([
      { id: 'gateway->notebook:jupyter-alice', source: 'gateway', target: 'notebook:jupyter-alice', requestsPerSecond: 4, responses: { '2xx': 3, '5xx': 1 }, errorRatio: 0.25, unforwarded: notForwarded, mtlsShare: 1, tcp: noTcp, notebookToNotebook: false },
      { id: 'gateway->notebook:jupyter-bob', source: 'gateway', target: 'notebook:jupyter-bob', requestsPerSecond: 2, responses: { '5xx': 2 }, errorRatio: 1, unforwarded: { perSecond: 2, flags: ['UF,URX'] }, mtlsShare: null, tcp: noTcp, notebookToNotebook: false },
      { id: 'gateway->notebook:jupyter-carol--lab', source: 'gateway', target: 'notebook:jupyter-carol--lab', requestsPerSecond: 1.5, responses: { '2xx': 1.5 }, errorRatio: 0, unforwarded: notForwarded, mtlsShare: 1, tcp: noTcp, notebookToNotebook: false },
      { id: 'gateway->hub', source: 'gateway', target: 'hub', requestsPerSecond: 1, responses: { '2xx': 1 }, errorRatio: 0, unforwarded: notForwarded, mtlsShare: 1, tcp: noTcp, notebookToNotebook: false },
      { id: 'notebook:jupyter-mallory->notebook:jupyter-alice', source: 'notebook:jupyter-mallory', target: 'notebook:jupyter-alice', requestsPerSecond: 1, responses: { '2xx': 1 }, errorRatio: 0, unforwarded: notForwarded, mtlsShare: 1, tcp: noTcp, notebookToNotebook: true },
      { id: 'hub->notebook:jupyter-alice', source: 'hub', target: 'notebook:jupyter-alice', requestsPerSecond: 0.5, responses: { '2xx': 0.5 }, errorRatio: 0, unforwarded: notForwarded, mtlsShare: 1, tcp: noTcp, notebookToNotebook: false },
      { id: 'unknown->notebook:jupyter-carol--lab', source: 'unknown', target: 'notebook:jupyter-carol--lab', requestsPerSecond: 0.5, responses: { '2xx': 0.5 }, errorRatio: 0, unforwarded: notForwarded, mtlsShare: 0, tcp: noTcp, notebookToNotebook: false },
      { id: 'hub->hubmesh', source: 'hub', target: 'hubmesh', requestsPerSecond: 0.2, responses: { '2xx': 0.2 }, errorRatio: 0, unforwarded: notForwarded, mtlsShare: 1, tcp: noTcp, notebookToNotebook: false },
      { id: 'notebook:jupyter-mallory->workload:data/postgres', source: 'notebook:jupyter-mallory', target: 'workload:data/postgres', requestsPerSecond: 0, responses: {}, errorRatio: null, unforwarded: notForwarded, mtlsShare: 1, tcp: { sentBytes: 6000, receivedBytes: 3000 }, notebookToNotebook: false },
    ]);
    expect(graph.findings).toEqual([
      { kind: 'failing', edge: 'gateway->notebook:jupyter-alice', message: "the ingress gateway → alice's notebook: 25% of 4 req/s failed with 5xx" },
      { kind: 'failing', edge: 'gateway->notebook:jupyter-bob', message: "the ingress gateway → bob's notebook: 100% of 2 req/s failed with 5xx; 2 req/s never reached it (UF,URX)" },
      { kind: 'notebook-to-notebook', edge: 'notebook:jupyter-mallory->notebook:jupyter-alice', message: "mallory's notebook → alice's notebook: a notebook talks to another notebook (1 req/s)" },
      { kind: 'plaintext', edge: 'unknown->notebook:jupyter-carol--lab', message: "a source outside the mesh (unknown) → carol's server lab: 100% of the traffic is not mutual TLS (0.5 req/s)" },
    ]);
    expect(graph.idle).toEqual({ count: 2 });
    expect(graph.users).toEqual(['alice', 'bob', 'carol', 'dave', 'erin', 'mallory']);
  });

  it('keeps a user’s notebooks, every edge touching them and their neighbours', () => {
    const alice = buildTrafficGraph(scenario, pods, { ...options, user: 'alice' });
    expect(alice.nodes.map((n) => n.id)).toEqual(['gateway', 'hub', 'notebook:jupyter-alice', 'notebook:jupyter-mallory']);
    expect(alice.edges.map((e) => e.id)).toEqual(['gateway->notebook:jupyter-alice', 'notebook:jupyter-mallory->notebook:jupyter-alice', 'hub->notebook:jupyter-alice']);
    // figures over the kept edges only: the gateway's other users are not alice's business
    expect(alice.nodes.find((n) => n.id === 'gateway')).toMatchObject({ requestsOut: 4, requestsIn: 0 });
    expect(alice.nodes.find((n) => n.id === 'hub')).toMatchObject({ requestsOut: 0.5, requestsIn: 0 });
    expect(alice.findings.map((f) => f.kind)).toEqual(['failing', 'notebook-to-notebook']);
    expect(alice.idle).toEqual({ count: 0 });
    // the filter offers every user still
    expect(alice.users).toHaveLength(6);

    const mallory = buildTrafficGraph(scenario, pods, { ...options, user: 'mallory' });
    expect(mallory.nodes.map((n) => n.id)).toEqual(['notebook:jupyter-alice', 'notebook:jupyter-mallory', 'workload:data/postgres']);

    const dave = buildTrafficGraph(scenario, pods, { ...options, user: 'dave' });
    expect(dave.nodes).toEqual([{ id: IDLE_NODE, kind: 'idle', label: '1 idle notebook', workloads: [], count: 1, requestsIn: 0, requestsOut: 0 }]);
    expect(dave.edges).toEqual([]);
    expect(buildTrafficGraph(scenario, pods, { ...options, user: 'nobody' })).toMatchObject({ nodes: [], edges: [], findings: [], idle: { count: 0 } });
  });

  it('aggregates notebooks without traffic into one node, whatever their number', () => {
    const many = Array.from({ length: 1000 }, (_, k) => notebook(`jupyter-u${k}`, `u${k}`));
    const busy: GraphVectors = { ...scenario, requests: [request(GATEWAY, to('jupyter-u7'), 'mutual_tls', '2xx', 1)], unforwarded: [], tcpSent: [], tcpReceived: [] };
    const graph = buildTrafficGraph(busy, { ...pods, notebooks: many }, options);
    expect(graph.nodes.map((n) => n.id)).toEqual(['gateway', 'notebook:jupyter-u7', IDLE_NODE]);
    expect(graph.nodes.at(-1)).toMatchObject({ label: '999 idle notebooks', count: 999 });
    expect(graph.idle.count).toBe(999);
    expect(buildTrafficGraph({ requests: [], unforwarded: [], tcpSent: [], tcpReceived: [] }, { ...pods, notebooks: [] }, options)).toEqual({
      window: '5m',
      nodes: [],
      edges: [],
      findings: [],
      idle: { count: 0 },
      users: [],
    });
  });

  it('puts sources without a workload, and requests with no destination at all, on the unknown node', () => {
    const graph = buildTrafficGraph(
      {
        requests: [request({ source_workload: '', source_workload_namespace: '' }, to('jupyter-alice'), 'none', '2xx', 1), request(from('unknown', 'unknown'), to('jupyter-alice'), 'unknown', '4xx', 0.5)],
        // a request no route matched: the gateway does not know even the service
        unforwarded: [sample({ ...GATEWAY, destination_workload: 'unknown', destination_workload_namespace: 'unknown', destination_service_name: 'unknown', destination_service_namespace: 'unknown', response_code: '404', response_flags: 'NR' }, 0.25)],
        tcpSent: [],
        tcpReceived: [],
      },
      pods,
      options,
    );
    expect(graph.edges).toEqual([
      expect.objectContaining({ id: 'unknown->notebook:jupyter-alice', requestsPerSecond: 1.5, responses: { '2xx': 1, '4xx': 0.5 }, errorRatio: 0, mtlsShare: 0 }),
      expect.objectContaining({ id: 'gateway->unknown', requestsPerSecond: 0.25, responses: { '4xx': 0.25 }, errorRatio: 0, unforwarded: { perSecond: 0.25, flags: ['NR'] }, mtlsShare: null }),
    ]);
    expect(graph.findings).toEqual([
      { kind: 'plaintext', edge: 'unknown->notebook:jupyter-alice', message: "a source outside the mesh (unknown) → alice's notebook: 100% of the traffic is not mutual TLS (1.5 req/s)" },
      { kind: 'failing', edge: 'gateway->unknown', message: 'the ingress gateway → a source outside the mesh (unknown): 0.25 req/s never reached it (NR)' },
    ]);
  });

  it('merges a Deployment’s workloads into its role and keeps other workloads apart, by namespace', () => {
    const graph = buildTrafficGraph(
      {
        requests: [
          request(from('istio-ingressgateway', 'ingress-b'), to('hub'), 'mutual_tls', '2xx', 1),
          request(from('public-gateway', GATEWAY_NS), to('hub'), 'mutual_tls', '2xx', 1),
          request(from('hub', 'elsewhere'), to('hub'), 'mutual_tls', '2xx', 1),
          request(from('jupyter-alice', 'elsewhere'), to('hub'), 'mutual_tls', '2xx', 1),
        ],
        unforwarded: [],
        tcpSent: [],
        tcpReceived: [],
      },
      { ...pods, gateway: [pod('public-gateway-5b6c7d8e9-qwert', GATEWAY_NS, { istio: 'ingressgateway' })] },
      options,
    );
    expect(graph.nodes.filter((n) => n.kind !== 'idle').map((n) => [n.id, n.workloads.join(',')])).toEqual([
      ['gateway', 'istio-ingressgateway,public-gateway'],
      ['hub', 'hub'],
      ['workload:elsewhere/hub', 'hub'],
      ['workload:elsewhere/jupyter-alice', 'jupyter-alice'],
    ]);
    expect(graph.edges.find((e) => e.id === 'gateway->hub')?.requestsPerSecond).toBe(2);
  });
});
