import { describe, expect, it } from 'vitest';
import type { AuthorizationPolicy } from '../../kube/authorizationpolicies';
import type { Pod } from '../../kube/pods';
import { decide } from './evaluate';
import { identitiesOf } from './identities';
import { analyzeIsolation } from './isolation';
import { ztunnelView } from './ztunnel';

const NS = 'jupyterhub';
const policy = (name: string, spec: AuthorizationPolicy['spec']): AuthorizationPolicy => ({ metadata: { name, namespace: NS }, spec });
const hub = 'cluster.local/ns/jupyterhub/sa/hub';
const gateway = 'cluster.local/ns/istio-system/sa/istio-ingressgateway';
const request = (principal: string, path = '/user/alice/api') => ({ principal, port: 8888, method: 'GET', path });

describe('ztunnelView: an AuthorizationPolicy as ztunnel enforces it', () => {
  it('drops ALLOW rules with HTTP attributes, so they never match and the rest is denied', () => {
    const pathsOnly = policy('paths', { rules: [{ from: [{ source: { principals: [gateway] } }], to: [{ operation: { paths: ['/user/*'] } }] }, { from: [{ source: { principals: [hub] } }] }] });
    const view = ztunnelView(pathsOnly)!;
    expect(view.spec?.rules).toEqual([{ from: [{ source: { principals: [hub] } }] }]);
    // a sidecar lets the gateway in for /user/*; ztunnel does not
    expect(decide([pathsOnly], request(gateway)).allowed).toBe(true);
    expect(decide([view], request(gateway))).toMatchObject({ allowed: false, decidedBy: 'no-allow-match' });
    expect(decide([view], request(hub)).allowed).toBe(true);
  });

  it('keeps only the L4 parts of a DENY rule, which then denies the whole connection', () => {
    const denyAdmin = policy('deny-admin', { action: 'DENY', rules: [{ from: [{ source: { notPrincipals: [hub] } }], to: [{ operation: { paths: ['/admin/*'] } }] }] });
    const view = ztunnelView(denyAdmin)!;
    expect(view.spec?.rules).toEqual([{ from: [{ source: { notPrincipals: [hub] } }], to: [{ operation: {} }] }]);
    // the sidecar denies only /admin/*; ztunnel denies every connection from anyone but the hub
    expect(decide([denyAdmin], request(gateway, '/user/alice/')).allowed).toBe(true);
    expect(decide([view], request(gateway, '/user/alice/'))).toMatchObject({ allowed: false, decidedBy: 'deny-policy' });
    expect(decide([view], request(hub)).allowed).toBe(true);
    const headerOnly = policy('deny-debug', { action: 'DENY', rules: [{ when: [{ key: 'request.headers[x-debug]', values: ['1'] }] }] });
    expect(decide([ztunnelView(headerOnly)!], request(hub)).allowed).toBe(false);
  });

  it('leaves L4 policies as they are, and gives ztunnel no CUSTOM or AUDIT policy', () => {
    const l4 = policy('l4', { rules: [{ from: [{ source: { principals: [hub] } }], to: [{ operation: { ports: ['8888'] } }], when: [{ key: 'source.namespace', values: [NS] }] }] });
    expect(ztunnelView(l4)).toEqual(l4);
    expect(ztunnelView(policy('ext', { action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] }))).toBeUndefined();
    expect(ztunnelView(policy('audit', { action: 'AUDIT', rules: [{}] }))).toBeUndefined();
  });
});

describe('the isolation analysis of ambient pods', () => {
  const pod = (name: string, labels: Record<string, string>, serviceAccountName: string, namespace = NS): Pod => ({
    metadata: { name, namespace, labels },
    spec: { serviceAccountName, containers: [{ name: 'main', ports: [{ name: 'http', containerPort: 8081 }] }] },
    status: { phase: 'Running' },
  });
  const hubPod = pod('hub-1', { component: 'hub' }, 'hub');
  const hubmeshPod = pod('hubmesh-1', { 'app.kubernetes.io/name': 'hubmesh' }, 'hubmesh');
  const proxyApiOnlyForHub = policy('hubmesh-proxy-api', { selector: { matchLabels: { 'app.kubernetes.io/name': 'hubmesh' } }, rules: [{ from: [{ source: { principals: [hub] } }], to: [{ operation: { paths: ['/api/routes', '/api/routes/*'] } }] }] });
  const analysis = (ztunnelPods: string[]) =>
    analyzeIsolation({
      namespace: NS,
      rootNamespace: 'istio-system',
      trustDomain: 'cluster.local',
      identities: { gateway: [], hub: identitiesOf('hub', [hubPod], 'cluster.local'), hubmesh: identitiesOf('hubmesh', [hubmeshPod], 'cluster.local'), notebooks: [] },
      pods: { notebooks: [], hub: [hubPod], hubmesh: [hubmeshPod] },
      policies: [proxyApiOnlyForHub],
      strict: true,
      ztunnelPods: new Set(ztunnelPods),
    });
  const hubReachesProxyApi = (ztunnelPods: string[]) => {
    const group = analysis(ztunnelPods).groups.find((g) => g.target === 'hubmesh-proxy-api')!;
    return { enforcedBy: group.enforcedBy, allowed: group.access.find((a) => a.probe === `hub:${hub}`)?.allowed };
  };

  it("does not claim a path rule protects an ambient pod: ztunnel drops the ALLOW rule, so even the hub is refused", () => {
    expect(hubReachesProxyApi([])).toEqual({ enforcedBy: 'sidecar', allowed: true });
    expect(hubReachesProxyApi(['hubmesh-1'])).toEqual({ enforcedBy: 'ztunnel', allowed: false });
  });
});
