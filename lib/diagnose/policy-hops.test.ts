import { describe, expect, it } from 'vitest';
import type { AuthorizationPolicy } from '../kube/authorizationpolicies';
import { destinationRule, hubRoute, NS, peerAuthentication } from '../mesh/checkers/test-fixtures';
import { gatewayIngress, istiodEgress, z2jhHubPod, z2jhNotebookPod, z2jhNotebookService, z2jhSingleuserPolicy } from '../mesh/checkers/z2jh-fixtures';
import type { Identity } from '../mesh/authz/identities';
import { accessHop, mtlsHop } from './policy-hops';
import { diagnoseInput, healthySnapshot, hopContext, ready, SERVICE, SERVICE_HOST, USER } from './test-fixtures';
import type { DiagnoseInput } from './types';

const identity = (role: Identity['role'], namespace: string, serviceAccount: string): Identity => ({ role, principal: `cluster.local/ns/${namespace}/sa/${serviceAccount}`, namespace, serviceAccount, pods: [`${serviceAccount}-0`] });
const GATEWAY = identity('gateway', 'istio-system', 'istio-ingressgateway-service-account');
const HUB = identity('hub', NS, 'hub');

describe('hop 5: mTLS', () => {
  it("passes when nothing contradicts, with the mTLS page's words", () => {
    const hop = mtlsHop(hopContext());
    expect(hop.status).toBe('pass');
    expect(hop.evidence).toContainEqual({ label: 'mTLS page', value: `mTLS not configured (sidecars use auto mTLS where they can) in ${NS}` });
    expect(hop.evidence).toContainEqual({ label: 'Clients send', value: 'auto mTLS: mTLS to pods with a sidecar' });
  });

  it("fails for a DestinationRule that turns TLS off towards the pod's STRICT PeerAuthentication, naming the rule", () => {
    const snap = healthySnapshot({ destinationRules: [destinationRule('plain', SERVICE_HOST, { tls: { mode: 'DISABLE' } })], peerAuthentications: [peerAuthentication('strict-alice', 'STRICT', { app: SERVICE })] });
    const hop = mtlsHop(hopContext(diagnoseInput(snap)));
    expect(hop.status).toBe('fail');
    expect(hop.summary).toContain(`DestinationRule ${NS}/plain sets tls.mode DISABLE`);
    expect(hop.summary).toContain(`PeerAuthentication ${NS}/strict-alice (STRICT for the Service's pods)`);
    expect(hop.fix).toBe(`Set tls.mode ISTIO_MUTUAL in DestinationRule ${NS}/plain, or remove its tls setting so that auto mTLS chooses.`);
    expect(hop.evidence).toContainEqual({ label: 'This pod', value: `PeerAuthentication ${NS}/strict-alice: STRICT`, ref: { kind: 'PeerAuthentication', namespace: NS, name: 'strict-alice' } });
  });

  it('leaves DestinationRules for other hosts alone, and warns when mTLS is disabled', () => {
    const other = healthySnapshot({ destinationRules: [destinationRule('plain', 'jupyter-bob', { tls: { mode: 'DISABLE' } })], peerAuthentications: [peerAuthentication('default', 'STRICT')], effectiveMtls: { [NS]: 'STRICT' } });
    expect(mtlsHop(hopContext(diagnoseInput(other))).status).toBe('pass');
    const disabled = healthySnapshot({ peerAuthentications: [peerAuthentication('default', 'DISABLE')] });
    const hop = mtlsHop(hopContext(diagnoseInput(disabled)));
    expect(hop.status).toBe('warn');
    expect(hop.summary).toContain('not mTLS-encrypted');
  });
});

describe('hop 6: AuthorizationPolicies and NetworkPolicies', () => {
  const withPolicies = (policies: AuthorizationPolicy[], extra: Partial<DiagnoseInput['isolation']> = {}) =>
    hopContext(diagnoseInput(healthySnapshot(), { isolation: { identities: { gateway: [GATEWAY], hub: [HUB], hubmesh: [], notebooks: [] }, policies, strict: false, hubPods: [], ...extra } }));
  const policy = (name: string, spec: AuthorizationPolicy['spec']): AuthorizationPolicy => ({ metadata: { name, namespace: NS }, spec });

  it('passes when no policy applies', () => {
    const hop = accessHop(withPolicies([]));
    expect(hop).toMatchObject({ status: 'pass', summary: `The gateway and the hub may reach pod ${NS}/${SERVICE} on TCP 8888.` });
    expect(hop.evidence).toContainEqual({ label: 'AuthorizationPolicies', value: 'none apply to the pod' });
  });

  it('fails when an ALLOW policy lets the hub in but not the gateway, naming it', () => {
    const hop = accessHop(withPolicies([policy('hub-only', { selector: { matchLabels: { component: 'singleuser-server' } }, rules: [{ from: [{ source: { principals: [HUB.principal] } }] }] })]));
    expect(hop.status).toBe('fail');
    expect(hop.summary).toContain(`ALLOW policies apply to the pod (AuthorizationPolicy ${NS}/hub-only) and none of them allows the ingress gateway`);
    expect(hop.summary).toContain("users' requests get 403");
    expect(hop.fix).toContain(GATEWAY.principal);
  });

  it('fails when a DENY policy refuses the hub', () => {
    const hop = accessHop(withPolicies([policy('no-hub', { action: 'DENY', rules: [{ from: [{ source: { principals: [HUB.principal] } }] }] })]));
    expect(hop.status).toBe('fail');
    expect(hop.summary).toContain(`AuthorizationPolicy ${NS}/no-hub denies the hub`);
  });

  it("is unknown when policies apply and the gateway's identity is not known", () => {
    const ctx = withPolicies([policy('hub-only', { rules: [{ from: [{ source: { principals: [HUB.principal] } }] }] })], { identities: { gateway: [], hub: [], hubmesh: [], notebooks: [] } });
    const hop = accessHop(ctx);
    expect(hop.status).toBe('unknown');
    expect(hop.summary).toContain("The ingress gateway's identity is unknown");
  });

  it("fails for z2jh's singleuser NetworkPolicy, which admits neither the gateway nor lets the sidecar reach istiod, and passes with docs/z2jh.md's rules", () => {
    const pod = ready(z2jhNotebookPod(USER, { namespace: NS, name: SERVICE }));
    const route = hubRoute(`/user/${USER}`, { service: SERVICE, user: USER });
    const snap = (networkPolicies: ReturnType<typeof z2jhSingleuserPolicy>[]) =>
      healthySnapshot({ virtualServices: [route], services: [z2jhNotebookService(USER, { namespace: NS, name: SERVICE })], pods: [pod], networkPolicies });
    const hop = accessHop(hopContext(diagnoseInput(snap([z2jhSingleuserPolicy({ namespace: NS })]))));
    expect(hop.status).toBe('fail');
    expect(hop.summary).toContain('no rule admits the ingress gateway');
    expect(hop.summary).toContain('reach istiod');
    expect(hop.fix).toContain('Add this rule to singleuser.networkPolicy.ingress in the z2jh values');
    expect(hop.evidence).toContainEqual(expect.objectContaining({ label: 'NetworkPolicy', ref: { kind: 'NetworkPolicy', namespace: NS, name: 'singleuser' } }));
    const fixed = z2jhSingleuserPolicy({ namespace: NS, singleuser: { ingress: [gatewayIngress('notebook-port')], egress: [istiodEgress()] } });
    const hub = z2jhHubPod({ namespace: NS });
    const ok = accessHop(hopContext(diagnoseInput(snap([fixed]), { isolation: { identities: { gateway: [], hub: [], hubmesh: [], notebooks: [] }, policies: [], strict: false, hubPods: [hub] } })));
    expect(ok.status).toBe('pass');
    expect(ok.evidence).toContainEqual({ label: 'NetworkPolicies', value: `${NS}/singleuser` });
  });

  it("fails when the NetworkPolicy does not admit the hub's pod", () => {
    const pod = ready(z2jhNotebookPod(USER, { namespace: NS, name: SERVICE }));
    const hub = z2jhHubPod({ namespace: NS });
    delete hub.metadata.labels!['hub.jupyter.org/network-access-singleuser'];
    const fixed = z2jhSingleuserPolicy({ namespace: NS, singleuser: { ingress: [gatewayIngress('notebook-port')], egress: [istiodEgress()] } });
    const snap = healthySnapshot({ virtualServices: [hubRoute(`/user/${USER}`, { service: SERVICE, user: USER })], services: [z2jhNotebookService(USER, { namespace: NS, name: SERVICE })], pods: [pod], networkPolicies: [fixed] });
    const hop = accessHop(hopContext(diagnoseInput(snap, { isolation: { identities: { gateway: [], hub: [], hubmesh: [], notebooks: [] }, policies: [], strict: false, hubPods: [hub] } })));
    expect(hop.status).toBe('fail');
    expect(hop.summary).toContain(`no rule admits the hub's pod ${hub.metadata.name} on TCP 8888`);
    expect(hop.fix).toContain('hub.jupyter.org/network-access-singleuser=true');
  });

  it('is unknown without a pod', () => {
    expect(accessHop(hopContext(diagnoseInput(healthySnapshot({ pods: [] })))).status).toBe('unknown');
  });
});
