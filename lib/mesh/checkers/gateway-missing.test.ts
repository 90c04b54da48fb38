import { describe, expect, it } from 'vitest';
import { gatewayMissing } from './gateway-missing';
import { gateway, NS, prefixRule, snapshot, virtualService } from './test-fixtures';

describe('HM1001 gatewayMissing', () => {
  it('reports a bare, ./ and ns/ reference to a Gateway that does not exist in an observed namespace', () => {
    const vs = virtualService('grafana', [prefixRule('/grafana/')], { gateways: ['gone', `./also-gone`, `${NS}/jupyterhub-gateway`] });
    const findings = gatewayMissing.check(snapshot({ virtualServices: [vs] }));
    expect(findings.map((f) => f.related)).toEqual([[{ kind: 'Gateway', namespace: NS, name: 'gone' }], [{ kind: 'Gateway', namespace: NS, name: 'also-gone' }]]);
    expect(findings[0]).toMatchObject({ code: 'HM1001', severity: 'error', object: { kind: 'VirtualService', namespace: NS, name: 'grafana' } });
    expect(findings[0]!.message).toContain(`Gateway ${NS}/gone (written "gone")`);
  });

  it('accepts existing gateways, mesh, and gateways in namespaces it cannot see', () => {
    const vs = virtualService('ok', [prefixRule('/x/')], { gateways: ['jupyterhub-gateway', 'mesh', 'istio-system/ingressgateway'] });
    expect(gatewayMissing.check(snapshot({ virtualServices: [vs] }))).toEqual([]);
    const seen = snapshot({ virtualServices: [vs], observedNamespaces: [NS, 'istio-system'], gateways: [gateway('jupyterhub-gateway'), gateway('ingressgateway', ['*'], { namespace: 'istio-system' })] });
    expect(gatewayMissing.check(seen)).toEqual([]);
  });
});
