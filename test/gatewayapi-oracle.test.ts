import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubectlWith } from './cluster/harness';
import { gatewayStatus, httpRouteParents, Oracle, oracleBinary, type OracleVerdict } from './oracle/client';
import { objectsYaml } from './oracle/routing-case';

/**
 * Gateway API objects end to end: the test control plane (with Gateway API's standard CRDs) stores a Gateway,
 * two HTTPRoutes and their Services, and istio-oracle judges them as read back from the apiserver (CRD
 * defaults applied, the Gateway's initial status included), simulating the Gateway's own router proxy.
 */
describe('Gateway API routes, stored by the apiserver and judged by istio-oracle', () => {
  const kubectl = kubectlWith(inject('adminKubeconfig'));
  const namespace = `gwapi-oracle-${randomBytes(3).toString('hex')}`;
  let oracle: Oracle;
  let verdict: OracleVerdict;

  const service = (name: string, port: number) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { selector: { app: name }, ports: [{ name: 'http', port }] },
  });
  const httpRoute = (name: string, prefix: string, backend: string, port: number) => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace },
    spec: { parentRefs: [{ name: 'hub', sectionName: 'http' }], rules: [{ matches: [{ path: { type: 'PathPrefix', value: prefix } }], backendRefs: [{ name: backend, port }] }] },
  });
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    service('hub', 8081),
    service('jupyter-alice', 8888),
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'hub', namespace, annotations: { 'networking.istio.io/service-type': 'ClusterIP' } },
      spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    },
    httpRoute('root', '/', 'hub', 8081),
    httpRoute('alice', '/user/alice', 'jupyter-alice', 8888),
  ];

  beforeAll(async () => {
    oracle = new Oracle(oracleBinary());
    kubectl(['apply', '--server-side', '--field-manager', 'hubmesh-test', '-f', '-'], objectsYaml(objects));
    const stored = JSON.parse(kubectl(['get', 'services,gateways.gateway.networking.k8s.io,httproutes.gateway.networking.k8s.io', '-n', namespace, '-o', 'json'])) as {
      items: unknown[];
    };
    expect(stored.items).toHaveLength(5);
    verdict = await oracle.judge({
      objects: objectsYaml(stored.items),
      gatewayApi: { namespace, name: 'hub' },
      requests: [
        { host: 'hub.example.com', path: '/user/alice/lab' },
        { host: 'hub.example.com', path: '/user/alicex' },
        { host: 'hub.example.com', path: '/hub/login' },
      ],
    });
  }, 240_000);

  afterAll(async () => {
    await oracle?.close();
    kubectl(['delete', 'namespace', namespace, '--wait=false']);
  });

  it('passes validation and analysis', () => {
    expect(verdict.error).toBe('');
    expect(verdict.messages).toEqual([]);
  });

  it('routes each request by the longest matching path prefix, segment by segment', () => {
    const routes = verdict.results.map((r) => [r.httpRoute, r.routeName, r.outcome, r.cluster, r.missingClusters]);
    expect(routes).toEqual([
      [`${namespace}/alice`, `${namespace}.alice.0`, 'cluster', `outbound|8888||jupyter-alice.${namespace}.svc.cluster.local`, undefined],
      [`${namespace}/root`, `${namespace}.root.0`, 'cluster', `outbound|8081||hub.${namespace}.svc.cluster.local`, undefined],
      [`${namespace}/root`, `${namespace}.root.0`, 'cluster', `outbound|8081||hub.${namespace}.svc.cluster.local`, undefined],
    ]);
  });

  it("reports Istio's status: both routes Accepted with resolved refs, the Gateway programmed with both attached", () => {
    for (const name of ['alice', 'root']) {
      const parents = httpRouteParents(verdict, namespace, name);
      expect(parents?.map((p) => [p.parentRef.name, p.parentRef.sectionName, p.controllerName])).toEqual([['hub', 'http', 'istio.io/gateway-controller']]);
      expect(parents?.[0]?.conditions.map((c) => [c.type, c.status, c.reason])).toEqual([
        ['Accepted', 'True', 'Accepted'],
        ['ResolvedRefs', 'True', 'ResolvedRefs'],
      ]);
    }
    const gateway = gatewayStatus(verdict, namespace, 'hub');
    expect(gateway?.conditions?.find((c) => c.type === 'Programmed')).toMatchObject({ status: 'True', reason: 'Programmed' });
    expect(gateway?.listeners?.map((l) => [l.name, l.attachedRoutes])).toEqual([['http', 2]]);
  });
});
