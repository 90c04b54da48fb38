import { describe, expect, it } from 'vitest';
import type { Namespace } from '../../kube/namespaces';
import type { MtlsMode, PeerAuthentication } from '../../kube/peerauthentications';
import type { Pod } from '../../kube/pods';
import { ambientPortMtls, ztunnelPortMtls } from './ambient-port-mtls';
import { at, NS, snapshot } from './test-fixtures';

const pa = (name: string, namespace: string, mode: MtlsMode | undefined, extra: PeerAuthentication['spec'] = {}, created = 0): PeerAuthentication => ({
  metadata: { name, namespace, creationTimestamp: at(created) },
  spec: { ...(mode ? { mtls: { mode } } : {}), ...extra },
});
const legacy = (mode: MtlsMode | undefined, ports: Record<string, MtlsMode>, created = 10) =>
  pa('legacy', NS, mode, { selector: { matchLabels: { app: 'legacy' } }, portLevelMtls: Object.fromEntries(Object.entries(ports).map(([p, m]) => [p, { mode: m }])) }, created);
const meshStrict = pa('default', 'istio-system', 'STRICT');
const nsPolicy = (mode: MtlsMode | undefined) => pa('default', NS, mode);

const none = { strictLost: false, strictPortsNotEnforced: [], disablePortsStayStrict: [], disableRunsPermissive: [] };

describe('ztunnelPortMtls: what istiod makes of port-level mTLS for ztunnel', () => {
  it('honours PERMISSIVE ports under a STRICT workload policy, and runs DISABLE as PERMISSIVE', () => {
    expect(ztunnelPortMtls(legacy('STRICT', { 8080: 'PERMISSIVE' }), undefined, undefined)).toEqual(none);
    expect(ztunnelPortMtls(legacy('STRICT', { 8080: 'DISABLE' }), undefined, undefined)).toEqual({ ...none, disableRunsPermissive: [8080] });
    expect(ztunnelPortMtls(legacy('DISABLE', {}), undefined, undefined)).toEqual({ ...none, disableRunsPermissive: ['workload'] });
  });

  it('under an UNSET workload in a STRICT namespace: a PERMISSIVE port is honoured, DISABLE ports alone stay STRICT', () => {
    expect(ztunnelPortMtls(legacy(undefined, { 8080: 'PERMISSIVE', 9090: 'DISABLE' }), nsPolicy('STRICT'), undefined)).toEqual({ ...none, disableRunsPermissive: [9090] });
    expect(ztunnelPortMtls(legacy('UNSET', { 9090: 'DISABLE' }), nsPolicy('STRICT'), undefined)).toEqual({ ...none, disablePortsStayStrict: [9090] });
  });

  it('loses STRICT for the whole pod when STRICT comes from the mesh through an UNSET namespace policy', () => {
    expect(ztunnelPortMtls(legacy(undefined, { 8080: 'PERMISSIVE' }), nsPolicy('UNSET'), meshStrict)).toEqual({ ...none, strictLost: true });
    expect(ztunnelPortMtls(legacy(undefined, { 8080: 'PERMISSIVE' }), nsPolicy(undefined), meshStrict)).toEqual({ ...none, strictLost: true });
    // without a namespace policy at all, the mesh's STRICT is merged into the converted policy
    expect(ztunnelPortMtls(legacy(undefined, { 8080: 'PERMISSIVE' }), undefined, meshStrict)).toEqual(none);
  });

  it('skips a STRICT port of a PERMISSIVE workload when STRICT comes from the mesh', () => {
    expect(ztunnelPortMtls(legacy('PERMISSIVE', { 8443: 'STRICT' }), undefined, meshStrict)).toEqual({ ...none, strictPortsNotEnforced: [8443] });
    expect(ztunnelPortMtls(legacy('PERMISSIVE', { 8443: 'STRICT' }), nsPolicy('PERMISSIVE'), meshStrict)).toEqual(none);
  });
});

describe('HM4002 port-level mTLS on ambient pods', () => {
  const ambientNamespace: Namespace = { metadata: { name: NS, labels: { 'istio.io/dataplane-mode': 'ambient' } } };
  const pod = (name: string, annotations: Record<string, string> = {}): Pod => ({
    metadata: { name, namespace: NS, labels: { app: 'legacy' }, annotations: { 'ambient.istio.io/redirection': 'enabled', ...annotations } },
    spec: { containers: [{ name: 'app' }] },
    status: { phase: 'Running' },
  });

  it('names the policy, the ambient pods it selects and what ztunnel does', () => {
    const findings = ambientPortMtls.check(
      snapshot({ namespaces: [ambientNamespace], pods: [pod('legacy-1'), pod('legacy-0')], peerAuthentications: [nsPolicy('STRICT'), legacy('STRICT', { 8080: 'DISABLE' })] }),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      code: 'HM4002',
      severity: 'warning',
      object: { kind: 'PeerAuthentication', namespace: NS, name: 'legacy' },
      related: [
        { kind: 'Pod', namespace: NS, name: 'legacy-1' },
        { kind: 'Pod', namespace: NS, name: 'legacy-0' },
      ],
    });
    expect(findings[0]!.message).toContain('selects 2 ambient pods (legacy-0, legacy-1)');
    expect(findings[0]!.message).toContain('DISABLE on port 8080 runs as PERMISSIVE');
  });

  it('is quiet where ztunnel runs the policy as written, for sidecar pods, and outside ambient', () => {
    const honoured = [nsPolicy('STRICT'), legacy('STRICT', { 8080: 'PERMISSIVE' })];
    expect(ambientPortMtls.check(snapshot({ namespaces: [ambientNamespace], pods: [pod('legacy-0')], peerAuthentications: honoured }))).toEqual([]);
    const disabling = [nsPolicy('STRICT'), legacy('STRICT', { 8080: 'DISABLE' })];
    const sidecarPod = pod('legacy-0', { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' });
    expect(ambientPortMtls.check(snapshot({ namespaces: [ambientNamespace], pods: [sidecarPod], peerAuthentications: disabling }))).toEqual([]);
    expect(ambientPortMtls.check(snapshot({ namespaces: [{ metadata: { name: NS } }], pods: [pod('legacy-0')], peerAuthentications: disabling }))).toEqual([]);
  });

  it('judges only the oldest workload policy of a pod, the one istiod applies', () => {
    const older = pa('older', NS, 'STRICT', { selector: { matchLabels: { app: 'legacy' } } }, 1);
    expect(ambientPortMtls.check(snapshot({ namespaces: [ambientNamespace], pods: [pod('legacy-0')], peerAuthentications: [older, legacy('STRICT', { 8080: 'DISABLE' }, 5)] }))).toEqual([]);
  });
});
