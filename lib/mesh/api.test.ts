import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from '../kube/events';
import type { Namespace } from '../kube/namespaces';
import type { PeerAuthentication } from '../kube/peerauthentications';
import type { Pod } from '../kube/pods';
import { PrometheusError, type QueryRange, type RangeSeries } from '../telemetry/prometheus';
import { alertsAnswer, auditAnswer, historyAnswer, meshAction, meshStatusAnswer, requiredPods, serviceNamespaceOf, validationsAnswer, type MeshApiDeps, type MeshObjects } from './api';

const NOW = Date.parse('2026-11-24T10:00:00.000Z');
const none = { list: () => [] };
const strict: PeerAuthentication = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'hub' }, spec: { mtls: { mode: 'STRICT' } } };
const hubNamespace: Namespace = { metadata: { name: 'hub', labels: { 'istio-injection': 'enabled', team: 'data' } } };
const pod = (name: string, labels: Record<string, string>, phase = 'Running'): Pod => ({
  metadata: { name, namespace: 'hub', labels },
  spec: { containers: [{ name: 'main', image: 'app' }] },
  status: { phase },
});

/** The mesh caches holding a STRICT PeerAuthentication and the hub namespace, as cluster mode has them. */
const meshObjects: MeshObjects = {
  peerAuthentications: { hub: { list: () => [strict] }, root: { list: () => [strict] } },
  destinationRules: { hub: none, root: none },
  gateways: none,
  foreignVirtualServices: none,
  namespaces: { get: (name) => (name === 'hub' ? hubNamespace : undefined) },
  envoyFilters: none,
  authorizationPolicies: { hub: none, root: none },
  gatewayPods: none,
  networkPolicies: none,
  k8sGateways: none,
};

function deps(over: Partial<MeshApiDeps> = {}): MeshApiDeps {
  return {
    namespace: 'hub',
    gateway: 'istio-ingress/jupyterhub-gateway',
    config: {
      proxy: { gateway: undefined, hosts: ['hub.example.org'], prefix: 'hubmesh', clusterDomain: 'cluster.local' },
      mesh: { rootNamespace: 'istio-system', autoMtls: true, istioRevision: undefined, gatewaySelector: { istio: 'ingressgateway' }, gatewayTlsSecret: undefined, gatewayNamespace: 'istio-system', trustDomain: 'cluster.local', prometheusUrl: undefined },
      notebookSelector: 'component=singleuser-server',
    },
    mesh: meshObjects,
    virtualServices: none,
    services: none,
    pods: none,
    prometheus: undefined,
    actions: undefined,
    log: pino({ level: 'silent' }),
    now: () => NOW,
    ...over,
  };
}

/** Prometheus answering every range query with `series`, or failing with `error`; instant queries find nothing. */
const prometheus = (answer: { series?: RangeSeries[]; error?: Error }) => {
  const ranges: QueryRange[] = [];
  return {
    ranges,
    client: {
      queryVector: async () => (answer.error ? Promise.reject(answer.error) : []),
      queryRange: async (_query: string, range: QueryRange) => {
        ranges.push(range);
        return answer.error ? Promise.reject(answer.error) : (answer.series ?? []);
      },
    },
  };
};

describe('meshAction', () => {
  it("ensures what hubmesh's config names: the Gateway, injection and STRICT mTLS for the hub namespace", () => {
    expect(meshAction(deps(), 'gateway')).toEqual({
      target: 'gateway',
      gateway: { namespace: 'hub', name: 'jupyterhub-gateway', hosts: ['hub.example.org'], selector: { istio: 'ingressgateway' }, https: undefined },
    });
    const withTls = deps();
    withTls.config.mesh = { ...withTls.config.mesh, gatewayTlsSecret: 'hub-tls', istioRevision: 'canary' };
    expect(meshAction(withTls, 'gateway')).toMatchObject({ gateway: { https: { credentialName: 'hub-tls' } } });
    expect(meshAction(withTls, 'injection')).toEqual({ target: 'injection', namespace: 'hub', revision: 'canary' });
    expect(meshAction(deps(), 'peer-authentication')).toEqual({ target: 'peer-authentication', namespace: 'hub' });
    expect(meshAction(deps(), 'ambient')).toEqual({ target: 'ambient', namespace: 'hub' });
  });
});

describe('requiredPods', () => {
  it('are the notebooks, the hub and hubmesh, by name, without finished pods or others', () => {
    const pods = [
      pod('jupyter-bob', { component: 'singleuser-server' }),
      pod('hub-0', { component: 'hub' }),
      pod('hubmesh-1', { 'app.kubernetes.io/name': 'hubmesh' }),
      pod('jupyter-alice', { component: 'singleuser-server' }),
      pod('jupyter-done', { component: 'singleuser-server' }, 'Succeeded'),
      pod('postgres-0', { app: 'postgres' }),
    ];
    expect(requiredPods(deps({ pods: { list: () => pods } })).map(({ role, pod }) => [role, pod.name])).toEqual([
      ['hub', 'hub-0'],
      ['hubmesh', 'hubmesh-1'],
      ['notebook', 'jupyter-alice'],
      ['notebook', 'jupyter-bob'],
    ]);
  });

  it("read their data plane from the hub namespace's labels and its waypoints", () => {
    const ambientNamespace: Namespace = { metadata: { name: 'hub', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } } };
    const waypoint = { metadata: { name: 'waypoint', namespace: 'hub' }, spec: { gatewayClassName: 'istio-waypoint' }, status: { addresses: [{ value: '10.96.0.9' }] } };
    const notebook = { ...pod('jupyter-alice', { component: 'singleuser-server' }), metadata: { name: 'jupyter-alice', namespace: 'hub', labels: { component: 'singleuser-server' }, annotations: { 'ambient.istio.io/redirection': 'enabled' } } };
    const mesh = { ...meshObjects, namespaces: { get: () => ambientNamespace }, k8sGateways: { list: () => [waypoint] } };
    const [required] = requiredPods(deps({ mesh, pods: { list: () => [notebook] } }));
    expect(required!.pod).toMatchObject({ dataplane: 'ambient', ambient: { enrolled: true, enrolledBy: 'namespace', redirected: true, waypoint: { name: 'waypoint', found: true, ready: true } } });
  });
});

describe('meshStatusAnswer', () => {
  it('is a 409 in local mode, which has no Istio, and a 400 for a bad window', async () => {
    await expect(meshStatusAnswer(deps({ mesh: undefined }), new URLSearchParams())).rejects.toThrow(expect.objectContaining({ status: 409, code: 'local-mode', message: expect.stringContaining('local mode') }));
    await expect(meshStatusAnswer(deps(), new URLSearchParams('window=soon'))).rejects.toThrow(expect.objectContaining({ status: 400, field: 'window' }));
  });

  it("reads the namespace's mTLS and injection from the caches, and says Prometheus is not configured", async () => {
    const answer = await meshStatusAnswer(deps(), new URLSearchParams());
    expect(answer).toMatchObject({
      namespace: 'hub',
      rootNamespace: 'istio-system',
      window: '5m',
      telemetry: { state: 'unconfigured' },
      injection: { labels: { 'istio-injection': 'enabled' }, enabled: true, known: true },
      ambient: { enrolled: false, known: true },
      prometheus: { configured: false },
      pods: [],
    });
    expect(answer.config.namespace.server.runtimeMode).toBe('STRICT');
  });

  it("says Prometheus is unavailable, with its words, when it cannot be queried", async () => {
    const down = prometheus({ error: new PrometheusError('unreachable', 'connect ECONNREFUSED 10.0.0.9:9090') });
    const answer = await meshStatusAnswer(deps({ prometheus: down.client }), new URLSearchParams());
    expect(answer).toMatchObject({ telemetry: { state: 'unavailable', message: 'connect ECONNREFUSED 10.0.0.9:9090' }, prometheus: { configured: true } });
  });
});

describe('historyAnswer', () => {
  it('is a 409 without Prometheus and a 400 for a span over 7 days', async () => {
    await expect(historyAnswer(deps(), new URLSearchParams())).rejects.toThrow(expect.objectContaining({ status: 409, code: 'not-configured', message: 'no Prometheus is configured (HUBMESH_PROMETHEUS_URL)' }));
    await expect(historyAnswer(deps({ prometheus: prometheus({}).client }), new URLSearchParams('span=8d'))).rejects.toThrow(expect.objectContaining({ status: 400, field: 'span' }));
  });

  it("answers with the namespace's mutual_tls share over the span that ends now", async () => {
    const end = Math.floor(NOW / 1000);
    const metric = (policy: string) => ({ destination_service_namespace: 'hub', connection_security_policy: policy });
    const p = prometheus({ series: [{ metric: metric('mutual_tls'), points: [{ time: end, value: 3 }] }, { metric: metric('none'), points: [{ time: end, value: 1 }] }] });
    const answer = await historyAnswer(deps({ prometheus: p.client }), new URLSearchParams('span=1h'));
    expect(p.ranges).toEqual([{ start: end - 3600, end, step: 30 }]);
    expect(answer).toMatchObject({ namespace: 'hub', window: '5m', span: '1h', step: 30 });
    expect(answer.points.at(-1)).toEqual({ time: end, share: 0.75, requestsPerSecond: 4 });
  });

  it('is a 503 when Prometheus is down; a query it refuses is a failure of ours', async () => {
    const down = prometheus({ error: new PrometheusError('timeout', 'no answer in 5000 ms') });
    await expect(historyAnswer(deps({ prometheus: down.client }), new URLSearchParams())).rejects.toThrow(expect.objectContaining({ status: 503, code: 'prometheus-unavailable', message: 'no answer in 5000 ms' }));
    const refused = prometheus({ error: new PrometheusError('bad-query', 'parse error') });
    await expect(historyAnswer(deps({ prometheus: refused.client }), new URLSearchParams())).rejects.toThrow('parse error');
  });
});

describe('validationsAnswer', () => {
  it('is a 409 in local mode; else the catalogue run over the caches, for the hub namespace', () => {
    expect(() => validationsAnswer(deps({ mesh: undefined }))).toThrow(expect.objectContaining({ status: 409, code: 'local-mode' }));
    const answer = validationsAnswer(deps());
    expect(answer).toMatchObject({ namespace: 'hub' });
    expect(answer.catalogue.length).toBeGreaterThan(0);
  });

  it("judges the hub namespace's NetworkPolicies against the configured gateway, and its Prometheus", () => {
    const none = validationsAnswer(deps());
    expect(none.findings.filter((f) => f.code.startsWith('HM61')).map((f) => `${f.code} ${f.object.kind} ${f.object.name}`)).toEqual(['HM6104 Namespace hub']);

    const notebook = pod('jupyter-alice', { component: 'singleuser-server' });
    notebook.spec!.containers.push({ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1' });
    const denyAll = { metadata: { name: 'deny-all', namespace: 'hub' }, spec: { podSelector: {}, policyTypes: ['Ingress' as const] } };
    const gatewayNamespace: Namespace = { metadata: { name: 'istio-ingress', labels: { team: 'mesh' } } };
    const base = deps();
    const answer = validationsAnswer({
      ...base,
      config: { ...base.config, mesh: { ...base.config.mesh, gatewayNamespace: 'istio-ingress', prometheusUrl: 'http://prometheus.monitoring:9090' } },
      mesh: { ...meshObjects, networkPolicies: { list: () => [denyAll] }, namespaces: { get: (name) => (name === 'istio-ingress' ? gatewayNamespace : undefined) } },
      pods: { list: () => [notebook] },
    });
    const metrics = answer.findings.find((f) => f.code === 'HM6105');
    expect(metrics?.object).toEqual({ kind: 'NetworkPolicy', namespace: 'hub', name: 'deny-all' });
    expect(metrics?.message).toContain('kubernetes.io/metadata.name: monitoring');
    expect(answer.findings.filter((f) => f.code === 'HM6104')).toEqual([]);
  });

  it('finds the namespace in an in-cluster Service URL only', () => {
    expect(serviceNamespaceOf('http://prometheus.istio-system:9090')).toBe('istio-system');
    expect(serviceNamespaceOf('http://prometheus.monitoring.svc.cluster.local:9090/')).toBe('monitoring');
    expect(serviceNamespaceOf('http://prometheus.monitoring.svc:9090')).toBe('monitoring');
    expect(serviceNamespaceOf('https://prometheus.example.org')).toBeUndefined();
    expect(serviceNamespaceOf('http://prometheus:9090')).toBeUndefined();
    expect(serviceNamespaceOf('http://10.0.0.5:9090')).toBeUndefined();
  });
});

describe('alertsAnswer', () => {
  it('renders the rules for the hub namespace, and refuses a bad window', () => {
    const answer = alertsAnswer({ namespace: 'hub' }, new URLSearchParams('window=10m'));
    expect(answer).toMatchObject({ namespace: 'hub', window: '10m', for: '1m' });
    expect(answer.ruleFile).toContain('destination_service_namespace="hub"');
    expect(() => alertsAnswer({ namespace: 'hub' }, new URLSearchParams('for=later'))).toThrow(expect.objectContaining({ status: 400, field: 'for' }));
  });
});

describe('auditAnswer', () => {
  const entry = (when: string): AuditEntry => ({ when, who: 'admin', action: 'EnsureGateway', object: { apiVersion: 'v1', kind: 'Gateway', name: 'gw' }, result: 'AppliedByHubmesh', type: 'Normal', message: '' });
  const withTrail = (items: AuditEntry[]) => ({ actions: { auditTrail: async () => items } as unknown as MeshApiDeps['actions'] });

  it('says how far back the Events reach, and the log message that has the older history', async () => {
    const items = [entry('2026-11-24T10:00:00.000000Z'), entry('2026-11-24T09:10:00.000000Z')];
    expect(await auditAnswer(withTrail(items))).toEqual({ items, oldest: '2026-11-24T09:10:00.000000Z', logMessage: 'hubmesh change' });
    expect(await auditAnswer(withTrail([]))).toEqual({ items: [], oldest: undefined, logMessage: 'hubmesh change' });
  });

  it('is a 409 in local mode, which has no Events', async () => {
    await expect(auditAnswer({ actions: undefined })).rejects.toMatchObject({ status: 409, code: 'local-mode' });
  });
});
