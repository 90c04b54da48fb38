import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { NetworkPolicy } from '../../kube/networkpolicies';
import type { Pod } from '../../kube/pods';
import { egressBlocksIstiod, gatewayBlocked, metricsPortClosed, namespaceWithoutNetworkPolicy, proxyPolicyLeft, z2jhValuesOf } from './network-policies';
import { hubRoute, namespace, NS, snapshot } from './test-fixtures';
import type { ValidationSnapshot } from './types';
import {
  gatewayIngress,
  istiodEgress,
  z2jhHubPod,
  z2jhHubPolicy,
  z2jhHubService,
  z2jhNotebookPod,
  z2jhNotebookService,
  z2jhPolicies,
  z2jhProxyPod,
  z2jhProxyPolicy,
  z2jhSingleuserPolicy,
  type Z2jhOptions,
} from './z2jh-fixtures';

/**
 * templates/singleuser/netpol.yaml with the chart's default values, rendered by hand (release and namespace
 * jupyterhub): the reference z2jh-fixtures.ts's builders must reproduce.
 */
const SINGLEUSER_DEFAULT = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: singleuser
  namespace: jupyterhub
  labels:
    component: singleuser
    app.kubernetes.io/component: singleuser
    app: jupyterhub
    release: jupyterhub
    chart: jupyterhub-4.2.0
    heritage: Helm
    app.kubernetes.io/name: jupyterhub
    app.kubernetes.io/instance: jupyterhub
    helm.sh/chart: jupyterhub-4.2.0
    app.kubernetes.io/managed-by: Helm
spec:
  podSelector:
    matchLabels:
      component: singleuser-server
      app: jupyterhub
      release: jupyterhub
  policyTypes:
    - Ingress
    - Egress
  ingress:
    - ports:
        - port: notebook-port
      from:
        - podSelector:
            matchLabels:
              hub.jupyter.org/network-access-singleuser: "true"
  egress:
    - to:
        - podSelector:
            matchLabels:
              component: hub
              app: jupyterhub
              release: jupyterhub
      ports:
        - port: 8081
    - to:
        - podSelector:
            matchLabels:
              component: proxy
              app: jupyterhub
              release: jupyterhub
      ports:
        - port: 8000
    - to:
        - podSelector:
            matchLabels:
              component: autohttps
              app: jupyterhub
              release: jupyterhub
      ports:
        - port: 8080
        - port: 8443
    - ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
      to:
        - ipBlock:
            cidr: 169.254.169.254/32
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: kube-system
        - ipBlock:
            cidr: 10.0.0.0/8
        - ipBlock:
            cidr: 172.16.0.0/12
        - ipBlock:
            cidr: 192.168.0.0/16
    - to:
        - ipBlock:
            cidr: 0.0.0.0/0
            except:
              - 10.0.0.0/8
              - 172.16.0.0/12
              - 192.168.0.0/16
              - 169.254.169.254/32
`;

const at = { namespace: NS };
const alice = z2jhNotebookPod('alice', at);
const hubPod = z2jhHubPod(at);

/** A z2jh hub namespace: the default policies (or `values`), the hub and alice's server with their routes. */
function z2jhSnapshot(values: Omit<Z2jhOptions, 'namespace'> = {}, parts: Partial<ValidationSnapshot> = {}): ValidationSnapshot {
  return snapshot({
    networkPolicies: z2jhPolicies({ namespace: NS, ...values }),
    pods: [hubPod, alice],
    services: [z2jhHubService(NS), z2jhNotebookService('alice', at)],
    virtualServices: [hubRoute('/', { service: 'hub', port: 8081, hub: true }), hubRoute('/user/alice', { service: 'jupyter-alice', user: 'alice' })],
    ...parts,
  });
}

const summary = (findings: Array<{ code: string; object: { kind: string; name: string } }>) => findings.map((f) => `${f.code} ${f.object.kind} ${f.object.name}`);

describe("z2jh's policies, as the fixtures render them", () => {
  it("match the chart's default singleuser policy rendered by hand", () => {
    expect(z2jhSingleuserPolicy(at)).toEqual(YAML.parse(SINGLEUSER_DEFAULT));
  });

  it('add the values ingress and egress after the chart rules, and switch egressAllowRules', () => {
    const policy = z2jhSingleuserPolicy({ ...at, singleuser: { ingress: [gatewayIngress('notebook-port')], egress: [istiodEgress()], egressAllowRules: { nonPrivateIPs: false, privateIPs: true } } });
    expect(policy.spec!.ingress!.at(-1)).toEqual(gatewayIngress('notebook-port'));
    expect(policy.spec!.egress!.at(-1)).toEqual(istiodEgress());
    expect(policy.spec!.egress!.at(-2)).toEqual({ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }, { ipBlock: { cidr: '172.16.0.0/12' } }, { ipBlock: { cidr: '192.168.0.0/16' } }] });
  });

  it('are recognised as z2jh policies, with their Helm values key', () => {
    expect(z2jhPolicies(at).map(z2jhValuesOf)).toEqual(['hub.networkPolicy', 'proxy.chp.networkPolicy', 'singleuser.networkPolicy']);
    expect(z2jhValuesOf({ metadata: { name: 'singleuser', labels: { component: 'singleuser' } } })).toBeUndefined();
  });
});

describe('HM6101 egressBlocksIstiod', () => {
  it("reports z2jh's default singleuser policy: the notebooks' sidecars cannot reach istiod", () => {
    const findings = egressBlocksIstiod.check(z2jhSnapshot());
    expect(summary(findings)).toEqual(['HM6101 NetworkPolicy singleuser']);
    expect(findings[0]).toMatchObject({ severity: 'error', related: [{ kind: 'Pod', namespace: NS, name: 'jupyter-alice' }] });
    expect(findings[0]!.message).toBe(
      'NetworkPolicy jupyterhub/singleuser isolates pod jupyter-alice for egress, and no rule lets it reach istiod (pods app=istiod in namespace istio-system) on TCP 15012: ' +
        "its sidecar gets neither configuration nor certificates, never becomes ready, and the pod's traffic fails. " +
        "The ipBlock 0.0.0.0/0 except 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 169.254.169.254/32 of jupyterhub/singleuser (z2jh's egressAllowRules.nonPrivateIPs) leaves out the private ranges pod addresses come from, so it does not reach istiod. " +
        'Add this rule to singleuser.networkPolicy.egress in the z2jh values: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}, podSelector: {matchLabels: {app: istiod}}}], ports: [{port: 15012, protocol: TCP}]}] ' +
        '(Or set singleuser.networkPolicy.egressAllowRules.privateIPs=true, which opens every private address, but not on Cilium: it does not apply ipBlocks to pods.)',
    );
  });

  it('is satisfied by the istiod rule, by privateIPs, and says nothing of pods without a sidecar or not isolated', () => {
    expect(egressBlocksIstiod.check(z2jhSnapshot({ singleuser: { egress: [istiodEgress()] } }))).toEqual([]);
    expect(egressBlocksIstiod.check(z2jhSnapshot({ singleuser: { egressAllowRules: { privateIPs: true } } }))).toEqual([]);
    // the hub's own policy allows private addresses by default
    expect(egressBlocksIstiod.check(z2jhSnapshot({}, { pods: [hubPod], networkPolicies: [z2jhHubPolicy(at)] }))).toEqual([]);
    expect(egressBlocksIstiod.check(z2jhSnapshot({}, { pods: [z2jhNotebookPod('alice', { ...at, sidecar: false }), hubPod] }))).toEqual([]);
    expect(egressBlocksIstiod.check(z2jhSnapshot({}, { networkPolicies: [z2jhHubPolicy(at)] }))).toEqual([]);
  });

  it('follows the istiod rule to a renamed root namespace, and a named port', () => {
    const rule = { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'mesh' } }, podSelector: { matchLabels: { app: 'istiod' } } }], ports: [{ port: 'tls-xds' }] };
    expect(egressBlocksIstiod.check(z2jhSnapshot({ singleuser: { egress: [rule] } }, { rootNamespace: 'mesh' }))).toEqual([]);
    expect(summary(egressBlocksIstiod.check(z2jhSnapshot({ singleuser: { egress: [rule] } })))).toEqual(['HM6101 NetworkPolicy singleuser']);
  });

  it('judges notebooks that do not run yet as the policy selects them, before the first spawn fails', () => {
    const findings = egressBlocksIstiod.check(z2jhSnapshot({}, { pods: [hubPod] }));
    expect(summary(findings)).toEqual(['HM6101 NetworkPolicy singleuser']);
    expect(findings[0]!.message).toContain('isolates notebook pods to come (component=singleuser-server,app=jupyterhub,release=jupyterhub) for egress');
    expect(findings[0]!.related).toBeUndefined();
  });

  it('names one finding for many pods, and the policy to edit for a policy of your own', () => {
    const pods = ['a', 'b', 'c', 'd', 'e'].map((u) => z2jhNotebookPod(u, at));
    const own: NetworkPolicy = { metadata: { name: 'lockdown', namespace: NS }, spec: { podSelector: {}, policyTypes: ['Egress'] } };
    const findings = egressBlocksIstiod.check(snapshot({ networkPolicies: [own], pods }));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain('isolates pods jupyter-a, jupyter-b, jupyter-c and 2 more for egress');
    expect(findings[0]!.message).toContain('Add this rule to spec.egress of NetworkPolicy jupyterhub/lockdown: {to: [');
    expect(findings[0]!.message).not.toContain('privateIPs');
    expect(findings[0]!.related).toHaveLength(5);
  });

  it('says an ipBlock of one private range reaches istiod only if its address is inside', () => {
    const findings = egressBlocksIstiod.check(z2jhSnapshot({ singleuser: { egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] } }));
    expect(findings[0]!.message).toContain('The ipBlock 10.0.0.0/8 of jupyterhub/singleuser reaches istiod only if its pod address is inside, which hubmesh cannot see');
  });
});

describe('HM6102 gatewayBlocked', () => {
  it("reports z2jh's default hub and singleuser policies: they admit CHP's labelled pods, not the gateway", () => {
    const findings = gatewayBlocked.check(z2jhSnapshot());
    expect(summary(findings)).toEqual(['HM6102 NetworkPolicy hub', 'HM6102 NetworkPolicy singleuser']);
    expect(findings[0]!.message).toBe(
      'NetworkPolicy jupyterhub/hub isolates pod hub-7d9f8c6b5-x2x7q for ingress, and no rule admits the ingress gateway (pods istio=ingressgateway in namespace istio-system) ' +
        'on TCP 8081 (http), where the route / sends requests: the gateway cannot connect, and users get 503. ' +
        "Its rule admits pods labelled hub.jupyter.org/network-access-hub=true in namespace jupyterhub: the CHP proxy pod hubmesh replaced carries that label, the gateway's pods do not and run elsewhere. " +
        'Add this rule to hub.networkPolicy.ingress in the z2jh values: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: istio-system}}, podSelector: {matchLabels: {istio: ingressgateway}}}], ports: [{port: http}]}]',
    );
    expect(findings[1]).toMatchObject({ severity: 'error', related: [{ kind: 'Pod', name: 'jupyter-alice' }] });
    expect(findings[1]!.message).toContain('on TCP 8888 (notebook-port), where the route /user/alice sends requests');
    expect(findings[1]!.message).toContain('Add this rule to singleuser.networkPolicy.ingress in the z2jh values: [{from: [');
  });

  it("is satisfied by docs/z2jh.md's gateway rules", () => {
    const fixed = z2jhSnapshot({ hub: { ingress: [gatewayIngress('http')] }, singleuser: { ingress: [gatewayIngress('notebook-port')] } });
    expect(gatewayBlocked.check(fixed)).toEqual([]);
    // the same rules, but hubmesh's gateway runs elsewhere
    const elsewhere = gatewayBlocked.check({ ...fixed, ingressGateway: { namespace: 'istio-ingress', labels: { istio: 'ingressgateway' } } });
    expect(summary(elsewhere)).toEqual(['HM6102 NetworkPolicy hub', 'HM6102 NetworkPolicy singleuser']);
    expect(elsewhere[1]!.message).toContain('(pods istio=ingressgateway in namespace istio-ingress)');
    expect(elsewhere[1]!.message).toContain('{kubernetes.io/metadata.name: istio-ingress}');
  });

  it("matches a namespaceSelector on the gateway namespace's own labels, when the Namespace is known", () => {
    const byTeam = { from: [{ namespaceSelector: { matchLabels: { team: 'mesh' } }, podSelector: { matchLabels: { istio: 'ingressgateway' } } }], ports: [{ port: 8888 }] };
    const s = z2jhSnapshot({ hub: { ingress: [gatewayIngress('http')] }, singleuser: { ingress: [byTeam] } });
    expect(summary(gatewayBlocked.check(s))).toEqual(['HM6102 NetworkPolicy singleuser']);
    expect(gatewayBlocked.check({ ...s, peerNamespaces: [namespace('istio-system', { team: 'mesh' })] })).toEqual([]);
  });

  it("judges the gateway's own pods when the snapshot has them: one refused pod is enough", () => {
    const gatewayPod = (name: string, ip: string): Pod => ({ metadata: { name, namespace: 'istio-system', labels: { istio: 'ingressgateway', app: 'istio-ingressgateway' } }, spec: { containers: [] }, status: { phase: 'Running', podIP: ip } });
    const byApp = gatewayIngress('notebook-port', 'istio-system', { app: 'istio-ingressgateway' });
    const byIp = { from: [{ ipBlock: { cidr: '10.244.0.5/32' } }] };
    const ingressGateway = { namespace: 'istio-system', labels: { istio: 'ingressgateway' }, pods: [gatewayPod('gw-a', '10.244.0.5'), gatewayPod('gw-b', '10.244.3.9')] };
    const hubFixed = { ingress: [gatewayIngress('http')] };
    // by a label the selector does not name: seen only through the pods
    expect(summary(gatewayBlocked.check(z2jhSnapshot({ hub: hubFixed, singleuser: { ingress: [byApp] } })))).toEqual(['HM6102 NetworkPolicy singleuser']);
    expect(gatewayBlocked.check(z2jhSnapshot({ hub: hubFixed, singleuser: { ingress: [byApp] } }, { ingressGateway }))).toEqual([]);
    const findings = gatewayBlocked.check(z2jhSnapshot({ hub: hubFixed, singleuser: { ingress: [byIp] } }, { ingressGateway }));
    expect(findings[0]!.message).toContain('(pods istio=ingressgateway in namespace istio-system: 1 of its 2 pods, gw-b)');
  });

  it('judges notebooks that do not run yet on KubeSpawner\'s port, and ambient pods on HBONE', () => {
    const toCome = gatewayBlocked.check(z2jhSnapshot({ hub: { ingress: [gatewayIngress('http')] } }, { pods: [hubPod] }));
    expect(summary(toCome)).toEqual(['HM6102 NetworkPolicy singleuser']);
    expect(toCome[0]!.message).toContain('isolates notebook pods to come (component=singleuser-server,app=jupyterhub,release=jupyterhub) for ingress, and no rule admits');
    expect(toCome[0]!.message).toContain('on TCP 8888 (notebook-port): the gateway');

    const ambient = z2jhSnapshot(
      { hub: { ingress: [gatewayIngress('http')] }, singleuser: { ingress: [gatewayIngress('notebook-port')] } },
      { pods: [hubPod, z2jhNotebookPod('alice', { ...at, sidecar: false })], namespaces: [namespace(NS, { 'istio.io/dataplane-mode': 'ambient' })] },
    );
    const hbone = gatewayBlocked.check(ambient);
    expect(summary(hbone)).toEqual(['HM6102 NetworkPolicy singleuser']);
    expect(hbone[0]!.message).toContain('on TCP 15008 (HBONE: the pods are in ambient mode)');
    expect(hbone[0]!.message).toContain('ports: [{port: 15008, protocol: TCP}]');
  });
});

describe('HM6103 proxyPolicyLeft', () => {
  it("reports z2jh's proxy policy, and a policy of one's own that selects the proxy", () => {
    const own: NetworkPolicy = { metadata: { name: 'chp-lockdown', namespace: NS }, spec: { podSelector: { matchExpressions: [{ key: 'component', operator: 'In', values: ['proxy'] }] }, ingress: [] } };
    const proxy = z2jhProxyPod(at);
    const findings = proxyPolicyLeft.check(snapshot({ networkPolicies: [...z2jhPolicies(at), own], pods: [hubPod, proxy] }));
    expect(summary(findings)).toEqual(['HM6103 NetworkPolicy proxy', 'HM6103 NetworkPolicy chp-lockdown']);
    expect(findings[0]).toMatchObject({ severity: 'warning', related: [{ kind: 'Pod', namespace: NS, name: proxy.metadata.name }] });
    expect(findings[0]!.message).toBe(
      'NetworkPolicy jupyterhub/proxy selects the z2jh proxy pod proxy-5b6c7d8f9-q4m2z (component=proxy), configurable-http-proxy, which hubmesh replaced: ' +
        "users now enter through the Istio ingress gateway and the hub's proxy API is hubmesh's, so this policy guards a pod that carries none of the hub's traffic, " +
        'and editing it changes nothing users see. Set proxy.chp.networkPolicy.enabled=false in the z2jh values.',
    );
    expect(findings[1]!.message).toContain('Delete it (kubectl delete networkpolicy -n jupyterhub chp-lockdown)');
  });

  it('says when no proxy pod runs, and leaves the hub, notebook and namespace-wide policies alone', () => {
    const findings = proxyPolicyLeft.check(snapshot({ networkPolicies: [z2jhProxyPolicy(at)] }));
    expect(findings[0]!.message).toContain('selects pods labelled component=proxy (none runs)');
    expect(findings[0]!.related).toBeUndefined();
    const wide: NetworkPolicy = { metadata: { name: 'default-deny', namespace: NS }, spec: { podSelector: {} } };
    expect(proxyPolicyLeft.check(snapshot({ networkPolicies: [z2jhHubPolicy(at), z2jhSingleuserPolicy(at), wide], pods: [z2jhProxyPod(at)] }))).toEqual([]);
  });
});

describe('HM6104 namespaceWithoutNetworkPolicy', () => {
  it('informs when the hub namespace has no NetworkPolicy, and only then', () => {
    const findings = namespaceWithoutNetworkPolicy.check(snapshot());
    expect(findings).toEqual([
      expect.objectContaining({ code: 'HM6104', severity: 'info', object: { kind: 'Namespace', name: NS } }),
    ]);
    expect(findings[0]!.message).toContain('singleuser.networkPolicy.enabled=true');
    const elsewhere: NetworkPolicy = { metadata: { name: 'other', namespace: 'other' }, spec: { podSelector: {} } };
    expect(namespaceWithoutNetworkPolicy.check(snapshot({ networkPolicies: [elsewhere] }))).toHaveLength(1);
    expect(namespaceWithoutNetworkPolicy.check(snapshot({ networkPolicies: [z2jhProxyPolicy(at)] }))).toEqual([]);
  });
});

describe('HM6105 metricsPortClosed', () => {
  const prometheus = { namespace: 'monitoring' };

  it("reports z2jh's default policies when hubmesh reads Prometheus: nobody may scrape the sidecars", () => {
    const findings = metricsPortClosed.check(z2jhSnapshot({}, { prometheus }));
    expect(summary(findings)).toEqual(['HM6105 NetworkPolicy hub', 'HM6105 NetworkPolicy singleuser']);
    expect(findings[1]).toMatchObject({ severity: 'warning' });
    expect(findings[1]!.message).toBe(
      "NetworkPolicy jupyterhub/singleuser isolates pod jupyter-alice for ingress, and no rule opens TCP 15020, where Prometheus scrapes its sidecar's metrics: " +
        "Istio's request metrics for it are missing, so hubmesh's runtime mTLS share, its alert rules and last_activity from traffic miss it. " +
        'Add this rule to singleuser.networkPolicy.ingress in the z2jh values: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}], ports: [{port: 15020, protocol: TCP}]}]',
    );
    const unknown = metricsPortClosed.check(z2jhSnapshot({}, { prometheus: {} }));
    expect(unknown[1]!.message).toContain("[{ports: [{port: 15020, protocol: TCP}]}] (narrow it with a `from` for your Prometheus's namespace)");
  });

  it('is quiet without Prometheus, with a rule that opens 15020, and for pods without a sidecar', () => {
    expect(metricsPortClosed.check(z2jhSnapshot())).toEqual([]);
    const scrape = { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 15020 }] };
    expect(metricsPortClosed.check(z2jhSnapshot({ hub: { ingress: [scrape] }, singleuser: { ingress: [scrape] } }, { prometheus }))).toEqual([]);
    expect(metricsPortClosed.check(z2jhSnapshot({}, { prometheus, pods: [z2jhNotebookPod('alice', { ...at, sidecar: false })], networkPolicies: [z2jhSingleuserPolicy(at)] }))).toEqual([]);
  });
});
