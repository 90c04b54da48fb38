import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { MeshApiDeps, MeshObjects } from '../mesh/api';
import { gateway, NS } from '../mesh/checkers/test-fixtures';
import { PrometheusError, type InstantSample } from '../telemetry/prometheus';
import { diagnoseAnswer, probeAnswer, type DiagnoseDeps } from './api';
import { ProbeGate } from './probe';
import { healthyObjects, SERVICE_HOST, USER } from './test-fixtures';

const NOW = Date.parse('2026-12-01T10:00:00.000Z');
const none = { list: () => [] };
const listOf = <T>(items: T[]) => ({ list: () => items });

const meshObjects: MeshObjects = {
  peerAuthentications: { hub: none, root: none },
  destinationRules: { hub: none, root: none },
  gateways: listOf([gateway('jupyterhub-gateway')]),
  foreignVirtualServices: none,
  namespaces: { get: () => undefined },
  envoyFilters: none,
  authorizationPolicies: { hub: none, root: none },
  gatewayPods: none,
  networkPolicies: none,
  k8sGateways: none,
};

function deps(options: { prometheus?: (query: string) => Promise<InstantSample[]>; mesh?: MeshObjects | undefined; gatewayUrl?: string; log?: string[] } = {}): DiagnoseDeps {
  const { route, service, pod } = healthyObjects();
  const lines = options.log;
  const log = lines ? pino({ level: 'info' }, { write: (line: string) => void lines.push(line) }) : pino({ level: 'silent' });
  const mesh: MeshApiDeps = {
    namespace: NS,
    gateway: `${NS}/jupyterhub-gateway`,
    config: {
      proxy: { gateway: undefined, hosts: ['hub.example.org'], prefix: 'hubmesh', clusterDomain: 'cluster.local' },
      mesh: { rootNamespace: 'istio-system', autoMtls: true, istioRevision: undefined, gatewaySelector: { istio: 'ingressgateway' }, gatewayTlsSecret: undefined, gatewayNamespace: 'istio-system', trustDomain: 'cluster.local', prometheusUrl: undefined },
      notebookSelector: 'component=singleuser-server',
    },
    mesh: 'mesh' in options ? options.mesh : meshObjects,
    virtualServices: listOf([route]),
    services: listOf([service]),
    pods: listOf([pod]),
    prometheus: options.prometheus && { queryVector: options.prometheus, queryRange: async () => [] },
    actions: undefined,
    log,
    now: () => NOW,
  };
  return { mesh, hub: undefined, settings: { hubUrl: undefined, hosts: ['hub.example.org'], hostRouting: false }, gatewayUrl: options.gatewayUrl, expectedSidecarVersion: () => '1.28.1', probes: new ProbeGate() };
}

const params = (query = '') => new URLSearchParams(query);

describe('diagnoseAnswer', () => {
  it("answers every hop, the Markdown report and the user's servers, asking Prometheus one query for the Service", async () => {
    const queries: string[] = [];
    const answer = await diagnoseAnswer(
      deps({ prometheus: async (q) => (queries.push(q), [{ metric: { reporter: 'destination', response_code: '200', response_flags: '-' }, time: 0, value: 12 }]) }),
      USER,
      params(),
    );
    expect(answer).toMatchObject({ user: USER, server: '', path: '/user/alice/', verdict: 'ok', servers: [''], checkedAt: '2026-12-01T10:00:00.000Z' });
    expect(answer.hops.map((h) => `${h.id}:${h.status}`)).toEqual(['route:pass', 'routing:pass', 'destination:pass', 'pod:pass', 'mtls:pass', 'access:pass', 'traffic:pass', 'hub:unknown']);
    expect(queries).toHaveLength(1);
    expect(queries[0]).toContain(`destination_service="${SERVICE_HOST}"`);
    expect(answer.report).toContain("# hubmesh diagnosis: alice's default server");
  });

  it('keeps answering when Prometheus is down: the traffic hop is unknown, and a log line says why', async () => {
    const log: string[] = [];
    const answer = await diagnoseAnswer(deps({ log, prometheus: () => Promise.reject(new PrometheusError('unreachable', 'Prometheus at http://p:9090 is unreachable: ECONNREFUSED')) }), USER, params());
    expect(answer.hops.find((h) => h.id === 'traffic')).toMatchObject({ status: 'unknown', summary: 'Prometheus could not be asked: Prometheus at http://p:9090 is unreachable: ECONNREFUSED' });
    expect(log.map((l) => JSON.parse(l) as { msg: string; kind?: string })).toContainEqual(expect.objectContaining({ msg: 'Prometheus query failed', kind: 'unreachable' }));
  });

  it('refuses bad names (400), an unknown server (404) and local mode (409)', async () => {
    await expect(diagnoseAnswer(deps(), USER, params('server=a/b'))).rejects.toMatchObject({ status: 400, field: 'server' });
    await expect(diagnoseAnswer(deps(), 'a\u0001', params())).rejects.toMatchObject({ status: 400, field: 'user' });
    await expect(diagnoseAnswer(deps(), 'bob', params())).rejects.toMatchObject({ status: 404, message: "no route and no pod for bob's default server" });
    await expect(diagnoseAnswer(deps(), USER, params('server=lab'))).rejects.toMatchObject({ status: 404 });
    await expect(diagnoseAnswer(deps({ mesh: undefined }), USER, params())).rejects.toMatchObject({ status: 409, code: 'local-mode' });
  });
});

describe('probeAnswer', () => {
  it('says which setting is missing when no gateway URL is configured', async () => {
    await expect(probeAnswer(deps(), USER, params())).rejects.toMatchObject({ status: 409, code: 'not-configured', message: expect.stringContaining('HUBMESH_GATEWAY_URL') });
  });

  it('answers 503 with the reason when the gateway cannot be reached', async () => {
    const { status, result } = await probeAnswer(deps({ gatewayUrl: 'http://127.0.0.1:9' }), USER, params());
    expect(status).toBe(503);
    expect(result).toMatchObject({ status: null, host: 'hub.example.org', expectedRoute: healthyObjects().route.metadata.name, error: expect.stringContaining('the gateway could not be reached') });
  });
});
