import { describe, expect, it } from 'vitest';
import { hubRoute, namespace, notebookPod, NS, prefixRule, service, snapshot, virtualService } from './checkers/test-fixtures';
import { CATALOGUE, compareFindings, runValidations, type Finding } from './validations';

const AREA_DIGIT = { routing: '1', destinations: '2', workloads: '3', security: '4', resilience: '5', isolation: '6' } as const;

describe('the catalogue', () => {
  it('has one checker per unique HM code, numbered within its area', () => {
    const codes = CATALOGUE.map((c) => c.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const checker of CATALOGUE) {
      expect(checker.code).toMatch(/^HM[1-9]\d{3}$/);
      expect(checker.code[2]).toBe(AREA_DIGIT[checker.area]);
      expect(checker.title).not.toBe('');
      expect(checker.description).not.toBe('');
    }
  });

  it('keeps its published codes (a code is never renumbered or reused)', () => {
    expect(Object.fromEntries(CATALOGUE.map((c) => [c.code, c.title]))).toMatchInlineSnapshot(`
      {
        "HM1001": "VirtualService references a missing Gateway",
        "HM1002": "Two VirtualServices claim the same host and match",
        "HM1003": "Another VirtualService shadows a hub route",
        "HM1004": "Another VirtualService will shadow a hub route once it is re-created",
        "HM1005": "A hub route takes a more specific hub route's requests",
        "HM2001": "Destination Service does not exist",
        "HM2002": "Destination port is not a port of the Service",
        "HM2003": "Destination Service port is not declared HTTP",
        "HM2004": "Hub route whose pod is gone",
        "HM3001": "Notebook pod without a route",
        "HM3002": "Notebook namespace without sidecar injection",
        "HM3003": "Pod without a sidecar",
        "HM4001": "DestinationRule disables TLS towards STRICT mTLS servers",
        "HM4002": "Port-level mTLS that ztunnel runs otherwise (ambient)",
        "HM5001": "Retries take longer than the route's timeout",
        "HM5002": "A timeout on a route that carries websockets",
        "HM5003": "A fault without a scope or an expiry",
        "HM5004": "A rate limit patch that matches no route",
        "HM5005": "Another owner's DestinationRule keeps a notebook from the defaults' circuit breaking",
        "HM6001": "AuthorizationPolicy selects no pod",
        "HM6002": "AuthorizationPolicy names identities, but mTLS is not STRICT",
        "HM6003": "Principal names no identity",
        "HM6004": "AuthorizationPolicy method is not an HTTP method",
        "HM6005": "AuthorizationPolicy with HTTP rules enforced by ztunnel (ambient)",
        "HM6101": "A NetworkPolicy keeps sidecars from reaching istiod",
        "HM6102": "A NetworkPolicy keeps the ingress gateway from a route's pods",
        "HM6103": "A NetworkPolicy still targets the z2jh proxy pod hubmesh replaced",
        "HM6104": "The hub namespace has no NetworkPolicy",
        "HM6105": "A NetworkPolicy closes the sidecar's metrics port",
      }
    `);
  });
});

describe('runValidations', () => {
  const healthy = () =>
    snapshot({
      virtualServices: [hubRoute('/user/alice', { service: 'jupyter-alice', created: 2 }), virtualService('grafana', [prefixRule('/grafana/', 'grafana')], { created: 1 })],
      services: [service('jupyter-alice'), service('grafana', [{ name: 'http-web', port: 3000 }])],
      pods: [notebookPod('jupyter-alice', 'alice')],
      namespaces: [namespace(NS, { 'istio-injection': 'enabled' })],
      effectiveMtls: { [NS]: 'STRICT' },
      // isolated for ingress, and every connection allowed: a NetworkPolicy that breaks nothing
      networkPolicies: [{ metadata: { name: 'allow-all', namespace: NS }, spec: { podSelector: {}, ingress: [{}] } }],
    });

  it('finds nothing in a healthy hub namespace, and still lists every rule with a zero count', () => {
    const report = runValidations(healthy());
    expect(report.findings).toEqual([]);
    expect(report.catalogue.map((c) => [c.code, c.count])).toEqual(CATALOGUE.map((c) => [c.code, 0]));
    expect(Object.values(report.counts)).toEqual(CATALOGUE.map(() => 0));
    expect(report.bySeverity).toEqual({ error: 0, warning: 0, info: 0 });
  });

  it('counts findings per code and severity, sorted by severity, code and object', () => {
    const broken = healthy();
    broken.pods = [notebookPod('jupyter-zed', 'zed', { sidecar: false }), notebookPod('jupyter-amy', 'amy', { sidecar: false })];
    broken.virtualServices.push(virtualService('old-users', [prefixRule('/user/')], { created: 0 }));
    const report = runValidations(broken);
    expect(report.findings.map((f) => `${f.severity} ${f.code} ${f.object.name}`)).toEqual([
      'error HM1003 old-users',
      // it routes to other.jupyterhub.svc.cluster.local, which does not exist
      'error HM2001 old-users',
      'warning HM2004 ' + broken.virtualServices[0]!.metadata.name,
      'warning HM3001 jupyter-amy',
      'warning HM3001 jupyter-zed',
      'warning HM3003 jupyter-amy',
      'warning HM3003 jupyter-zed',
    ]);
    expect(report.counts).toMatchObject({ HM1003: 1, HM2001: 1, HM2004: 1, HM3001: 2, HM3003: 2, HM1001: 0 });
    expect(report.bySeverity).toEqual({ error: 2, warning: 5, info: 0 });
    expect(report.catalogue.find((c) => c.code === 'HM3003')!.count).toBe(2);
  });

  it('orders findings the same whatever order the checkers produce them in', () => {
    const findings = runValidations(healthy()).findings;
    const a: Finding = { code: 'HM3003', severity: 'warning', message: 'm', object: { kind: 'Pod', namespace: NS, name: 'b' } };
    const b: Finding = { ...a, object: { ...a.object, name: 'a' } };
    const c: Finding = { ...a, code: 'HM1001', severity: 'error' };
    expect([a, b, c, ...findings].sort(compareFindings)).toEqual([c, b, a]);
    expect(runValidations(healthy(), [...CATALOGUE].reverse()).catalogue.map((e) => e.code)).toEqual(CATALOGUE.map((e) => e.code));
  });
});
