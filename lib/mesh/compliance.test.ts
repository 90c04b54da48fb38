import { describe, expect, it } from 'vitest';
import type { PeerAuthentication } from '../kube/peerauthentications';
import { complianceVerdict, type RequiredPod, type TelemetryState } from './compliance';
import { namespaceMtlsStatus } from './mtls';
import type { NamespaceTraffic } from './traffic';
import { AMBIENT, podSummary } from './test-fixtures';
import type { SidecarInfo } from './types';

const ns = 'jupyterhub';
const pa = (name: string, namespace: string, mode: 'STRICT' | 'PERMISSIVE', extra: PeerAuthentication['spec'] = {}): PeerAuthentication => ({
  metadata: { name, namespace, creationTimestamp: '2026-11-01T00:00:00Z' },
  spec: { mtls: { mode }, ...extra },
});
const config = (peerAuthentications: PeerAuthentication[], autoMtls = true) =>
  namespaceMtlsStatus({ namespace: ns, rootNamespace: 'istio-system', peerAuthentications, destinationRules: [], autoMtls, clusterDomain: 'cluster.local' });
const strict = config([pa('default', ns, 'STRICT')]);

const breakdown = (mutualTls: number, none: number) => ({ mutualTls, none, unknown: 0, total: mutualTls + none, share: mutualTls + none ? mutualTls / (mutualTls + none) : null });
const traffic = (mutual: number, plain: number): NamespaceTraffic => ({
  namespace: ns,
  requests: breakdown(mutual, plain),
  tcpBytes: breakdown(0, 0),
  verdict: plain ? 'partial' : 'mtls',
  services: 1,
  servicesWithPlaintext: plain ? 1 : 0,
});
const allMutual: TelemetryState = { state: 'ok', window: '5m', traffic: traffic(4, 0), services: [], offendingPairs: [] };

const pod = (name: string, sidecar: Partial<SidecarInfo> = {}) => podSummary({ name, namespace: ns }, sidecar);
const meshed: RequiredPod[] = [
  { role: 'hub', pod: pod('hub-0') },
  { role: 'notebook', pod: pod('jupyter-alice') },
];

describe('complianceVerdict', () => {
  it('is compliant when STRICT, all traffic is mutual TLS and every required pod has a ready sidecar', () => {
    const verdict = complianceVerdict({ namespace: ns, config: strict, telemetry: allMutual, pods: meshed });
    expect(verdict).toEqual({ namespace: ns, compliant: true, reasons: [], checks: { strict: true, allTrafficMutual: true, inMesh: true } });
  });

  it('counts a window without traffic as no plaintext', () => {
    const quiet: TelemetryState = { state: 'ok', window: '5m', traffic: undefined, services: [], offendingPairs: [] };
    expect(complianceVerdict({ namespace: ns, config: strict, telemetry: quiet, pods: meshed }).compliant).toBe(true);
  });

  it('names the PeerAuthentication that keeps the namespace PERMISSIVE, or says nothing sets a mode', () => {
    const permissive = complianceVerdict({ namespace: ns, config: config([pa('default', ns, 'PERMISSIVE')]), telemetry: allMutual, pods: meshed });
    expect(permissive.compliant).toBe(false);
    expect(permissive.reasons).toEqual([
      { code: 'mtls-not-strict', message: 'mTLS is PERMISSIVE, not STRICT (set by PeerAuthentication jupyterhub/default)', objects: [{ kind: 'PeerAuthentication', namespace: ns, name: 'default' }] },
    ]);
    const unset = complianceVerdict({ namespace: ns, config: config([]), telemetry: allMutual, pods: meshed });
    expect(unset.reasons[0]).toMatchObject({ code: 'mtls-not-strict', objects: [{ kind: 'Namespace', name: ns }] });
    expect(unset.reasons[0]!.message).toContain('no PeerAuthentication sets a mode');
  });

  it('flags a workload policy that weakens STRICT, and clients that send no mTLS', () => {
    const weakened = config([pa('default', ns, 'STRICT'), pa('legacy', ns, 'PERMISSIVE', { selector: { matchLabels: { app: 'legacy' } } })]);
    expect(complianceVerdict({ namespace: ns, config: weakened, telemetry: allMutual, pods: meshed }).reasons.map((r) => r.code)).toEqual(['mtls-override-weakens']);
    const noClientMtls = config([pa('default', ns, 'STRICT')], false);
    const verdict = complianceVerdict({ namespace: ns, config: noClientMtls, telemetry: allMutual, pods: meshed });
    expect(verdict.reasons.map((r) => r.code)).toEqual(['clients-without-mtls']);
    expect(verdict.checks.strict).toBe(false);
  });

  it('lists the plaintext share and the offending pairs, each linked to its Service', () => {
    const telemetry: TelemetryState = {
      state: 'ok',
      window: '5m',
      traffic: traffic(3, 1),
      services: [],
      offendingPairs: [
        { source: { namespace: 'default', workload: 'curl' }, destination: { namespace: ns, service: 'hub' }, policy: 'none', requestsPerSecond: 1, tcpBytes: 0 },
        { source: { namespace: 'x', workload: 'y' }, destination: { namespace: 'elsewhere', service: 'z' }, policy: 'none', requestsPerSecond: 1, tcpBytes: 0 },
      ],
    };
    const verdict = complianceVerdict({ namespace: ns, config: strict, telemetry, pods: meshed });
    expect(verdict.checks.allTrafficMutual).toBe(false);
    expect(verdict.reasons).toEqual([
      { code: 'plaintext-traffic', message: 'only 75.0% of requests were mutual TLS in the last 5m: default/curl → hub (none)', objects: [{ kind: 'Service', namespace: ns, name: 'hub' }] },
    ]);
  });

  it('cannot prove the traffic without Prometheus, and says which way it is missing', () => {
    expect(complianceVerdict({ namespace: ns, config: strict, telemetry: { state: 'unconfigured' }, pods: meshed }).reasons.map((r) => r.code)).toEqual(['telemetry-unconfigured']);
    const down = complianceVerdict({ namespace: ns, config: strict, telemetry: { state: 'unavailable', message: 'connect ECONNREFUSED' }, pods: meshed });
    expect(down).toMatchObject({ compliant: false, checks: { allTrafficMutual: undefined }, reasons: [{ code: 'telemetry-unavailable', message: 'Prometheus cannot be asked: connect ECONNREFUSED' }] });
  });

  it('names every required pod without a sidecar or with one not ready', () => {
    const pods: RequiredPod[] = [
      { role: 'hubmesh', pod: pod('hubmesh-0', { injected: false, ready: false, optedOut: true }) },
      { role: 'notebook', pod: pod('jupyter-bob', { ready: false }) },
      { role: 'notebook', pod: pod('jupyter-carol') },
    ];
    const verdict = complianceVerdict({ namespace: ns, config: strict, telemetry: allMutual, pods });
    expect(verdict.checks.inMesh).toBe(false);
    expect(verdict.reasons).toEqual([
      { code: 'pod-without-sidecar', message: 'hubmesh pod hubmesh-0 has no istio-proxy sidecar (it opts out with sidecar.istio.io/inject: "false") and is not enrolled in ambient', objects: [{ kind: 'Pod', namespace: ns, name: 'hubmesh-0' }] },
      { code: 'sidecar-not-ready', message: "notebook pod jupyter-bob's istio-proxy sidecar is not ready", objects: [{ kind: 'Pod', namespace: ns, name: 'jupyter-bob' }] },
    ]);
  });

  it('counts a pod enrolled in ambient and redirected by ztunnel as in the mesh, under the same STRICT PeerAuthentication', () => {
    const ambientPods: RequiredPod[] = [
      { role: 'hub', pod: podSummary({ name: 'hub-0', ambient: AMBIENT }, { injected: false, ready: false }) },
      { role: 'notebook', pod: podSummary({ name: 'jupyter-alice', ambient: AMBIENT }, { injected: false, ready: false }) },
    ];
    const ztunnelTcp: TelemetryState = {
      state: 'ok',
      window: '5m',
      traffic: { ...traffic(0, 0), tcpBytes: breakdown(8192, 0), verdict: 'mtls' },
      services: [],
      offendingPairs: [],
    };
    expect(complianceVerdict({ namespace: ns, config: strict, telemetry: ztunnelTcp, pods: ambientPods })).toEqual({
      namespace: ns,
      compliant: true,
      reasons: [],
      checks: { strict: true, allTrafficMutual: true, inMesh: true },
    });
    const plaintextTcp: TelemetryState = { ...ztunnelTcp, traffic: { ...traffic(0, 0), tcpBytes: breakdown(3, 1), verdict: 'partial' } };
    expect(complianceVerdict({ namespace: ns, config: strict, telemetry: plaintextTcp, pods: ambientPods }).reasons.map((r) => [r.code, r.message])).toEqual([
      ['plaintext-traffic', 'only 75.0% of TCP bytes were mutual TLS in the last 5m: see the offending pairs'],
    ]);
    expect(complianceVerdict({ namespace: ns, config: config([pa('default', ns, 'PERMISSIVE')]), telemetry: ztunnelTcp, pods: ambientPods }).reasons.map((r) => r.code)).toEqual(['mtls-not-strict']);
  });

  it('names ambient pods ztunnel does not redirect yet, and pods that opt out of an ambient namespace', () => {
    const pods: RequiredPod[] = [
      { role: 'notebook', pod: podSummary({ name: 'jupyter-dan', ambient: { ...AMBIENT, redirected: false } }, { injected: false, ready: false }) },
      { role: 'notebook', pod: podSummary({ name: 'jupyter-eve', ambient: { ...AMBIENT, enrolled: false, enrolledBy: undefined, optedOut: true, redirected: false } }, { injected: false, ready: false }) },
      { role: 'notebook', pod: podSummary({ name: 'jupyter-fay', ambient: AMBIENT }, { injected: false, ready: false }) },
    ];
    const verdict = complianceVerdict({ namespace: ns, config: strict, telemetry: allMutual, pods });
    expect(verdict.checks.inMesh).toBe(false);
    expect(verdict.reasons).toEqual([
      {
        code: 'ztunnel-not-redirecting',
        message: 'notebook pod jupyter-dan is enrolled in ambient by its namespace, but istio-cni has not redirected it to ztunnel (no ambient.istio.io/redirection: enabled annotation)',
        objects: [{ kind: 'Pod', namespace: ns, name: 'jupyter-dan' }],
      },
      {
        code: 'pod-not-enrolled',
        message: 'notebook pod jupyter-eve is not in ambient although its namespace is: it opts out with istio.io/dataplane-mode=none, and it has no sidecar',
        objects: [{ kind: 'Pod', namespace: ns, name: 'jupyter-eve' }],
      },
    ]);
  });

  it('lets a sidecar decide for a pod that has one, even in an ambient namespace (ztunnel skips it)', () => {
    const pods: RequiredPod[] = [{ role: 'notebook', pod: podSummary({ name: 'jupyter-gus', ambient: { ...AMBIENT, enrolled: false, enrolledBy: undefined, redirected: false } }, { ready: false }) }];
    expect(complianceVerdict({ namespace: ns, config: strict, telemetry: allMutual, pods }).reasons.map((r) => r.code)).toEqual(['sidecar-not-ready']);
  });
});
