import { describe, expect, it } from 'vitest';
import { tlsDisabledUnderStrict } from './tls-disabled-under-strict';
import { destinationRule, notebookPod, NS, peerAuthentication, service, snapshot } from './test-fixtures';

const DISABLE = { tls: { mode: 'DISABLE' as const } };

describe('HM4001 tlsDisabledUnderStrict', () => {
  it('reports a DISABLE rule for a Service of a STRICT namespace', () => {
    const findings = tlsDisabledUnderStrict.check(
      snapshot({ destinationRules: [destinationRule('plain', `nb.${NS}.svc.cluster.local`, DISABLE)], effectiveMtls: { [NS]: 'STRICT' } }),
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      code: 'HM4001',
      severity: 'error',
      object: { kind: 'DestinationRule', namespace: NS, name: 'plain' },
      related: [{ kind: 'Namespace', name: NS }],
    });
    expect(findings[0]!.message).toContain(`namespace ${NS} (STRICT)`);
  });

  it('follows wildcard and short hosts, port-level settings and subsets', () => {
    const mtls = { [NS]: 'STRICT' as const, other: 'STRICT' as const, open: 'PERMISSIVE' as const };
    const meshWide = destinationRule('mesh', '*.local', DISABLE, 'istio-system');
    const byPort = destinationRule('port', 'nb', { portLevelSettings: [{ port: { number: 8888 }, tls: { mode: 'DISABLE' } }] });
    const bySubset = { ...destinationRule('subset', 'nb'), spec: { host: 'nb', subsets: [{ name: 'v1', trafficPolicy: DISABLE }] } };
    const findings = tlsDisabledUnderStrict.check(snapshot({ destinationRules: [meshWide, byPort, bySubset], effectiveMtls: mtls }));
    expect(findings.map((f) => f.related?.map((r) => r.name))).toEqual([[NS, 'other'], [NS], [NS]]);
    expect(findings[1]!.message).toContain('(port 8888)');
    expect(findings[2]!.message).toContain('(subset v1)');
  });

  it("reports a STRICT workload PeerAuthentication on the Service's pods when the namespace is not STRICT", () => {
    const s = snapshot({
      destinationRules: [destinationRule('plain', 'jupyter-alice', DISABLE)],
      services: [service('jupyter-alice')],
      pods: [notebookPod('jupyter-alice', 'alice')],
      peerAuthentications: [peerAuthentication('alice-strict', 'STRICT', { app: 'jupyter-alice' }), peerAuthentication('ns', 'PERMISSIVE')],
      effectiveMtls: { [NS]: 'PERMISSIVE' },
    });
    expect(tlsDisabledUnderStrict.check(s).map((f) => f.related)).toEqual([[{ kind: 'PeerAuthentication', namespace: NS, name: 'alice-strict' }]]);
  });

  it('accepts DISABLE towards PERMISSIVE namespaces, other namespaces, and rules that keep mTLS', () => {
    const s = snapshot({
      destinationRules: [
        destinationRule('plain', 'nb', DISABLE),
        destinationRule('elsewhere', 'x.other.svc.cluster.local', DISABLE),
        destinationRule('mutual', 'nb', { tls: { mode: 'ISTIO_MUTUAL' } }),
      ],
      effectiveMtls: { [NS]: 'PERMISSIVE', other: 'UNSET' },
    });
    expect(tlsDisabledUnderStrict.check(s)).toEqual([]);
    expect(tlsDisabledUnderStrict.check({ ...s, effectiveMtls: { [NS]: 'STRICT' } }).map((f) => f.object.name)).toEqual(['plain']);
  });
});
