import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { alertRuleGroup, alertRulesYaml, prometheusRule } from './alerts';

const options = { namespace: 'jupyterhub', window: '5m', for: '1m' };

describe('alert rules', () => {
  it('alerts on plaintext requests and TCP bytes reported by the destination, and on pods without sidecars', () => {
    const group = alertRuleGroup(options);
    expect(group.rules.map((r) => r.alert)).toEqual(['HubmeshPlaintextRequests', 'HubmeshPlaintextTcp', 'HubmeshPodWithoutSidecar']);
    const [requests, tcp, sidecars] = group.rules;
    expect(requests!.expr).toContain('istio_requests_total{reporter="destination", destination_service_namespace="jupyterhub", connection_security_policy!="mutual_tls"}[5m]');
    expect(tcp!.expr).toContain('istio_tcp_received_bytes_total{reporter="destination"');
    expect(sidecars!.expr).toContain('kube_pod_init_container_info{namespace="jupyterhub", container="istio-proxy"}');
    for (const rule of group.rules) expect(rule).toMatchObject({ for: '1m', labels: { namespace: 'jupyterhub' } });
  });

  it('escapes the namespace as a PromQL string', () => {
    expect(alertRuleGroup({ ...options, namespace: 'a"b\\c' }).rules[0]!.expr).toContain('destination_service_namespace="a\\"b\\\\c"');
  });

  it('gives the same group as a rule file and as a PrometheusRule owned by hubmesh', () => {
    const { ruleFile, prometheusRule: objectYaml } = alertRulesYaml(options);
    const object = YAML.parse(objectYaml);
    expect(YAML.parse(ruleFile)).toEqual({ groups: [alertRuleGroup(options)] });
    expect(object).toEqual(prometheusRule(options));
    expect(object).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { labels: { 'app.kubernetes.io/managed-by': 'hubmesh' } } });
    expect(object.spec.groups).toEqual([alertRuleGroup(options)]);
  });
});
