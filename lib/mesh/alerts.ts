import YAML from 'yaml';
import { LABELS } from '../kube/labels';
import { promqlString } from '../telemetry/promql';

export type AlertRuleOptions = {
  /** the namespace whose incoming traffic and pods must be in the mesh */
  namespace: string;
  /** the rate window, a Prometheus duration such as 5m */
  window: string;
  /** how long a condition must hold before the alert fires, a Prometheus duration */
  for: string;
};

type Rule = { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> };
export type RuleGroup = { name: string; rules: Rule[] };

/**
 * Alerts that keep the namespace compliant: any request or TCP byte reaching it without mutual TLS (the
 * destination's sidecar reports the real policy, so reporter="destination"), and any running pod without an
 * istio-proxy container or native sidecar (from kube-state-metrics' kube_pod_*_info series). Pure.
 */
export function alertRuleGroup(options: AlertRuleOptions): RuleGroup {
  const ns = promqlString(options.namespace);
  const plaintext = (metric: string) =>
    `sum by (destination_service_namespace, destination_service_name, source_workload_namespace, source_workload) (rate(${metric}{reporter="destination", destination_service_namespace=${ns}, connection_security_policy!="mutual_tls"}[${options.window}])) > 0`;
  const where = `namespace ${options.namespace}`;
  return {
    name: `hubmesh-mtls-${options.namespace}`,
    rules: [
      {
        alert: 'HubmeshPlaintextRequests',
        expr: plaintext('istio_requests_total'),
        for: options.for,
        labels: { severity: 'critical', namespace: options.namespace },
        annotations: {
          summary: `Requests without mutual TLS reach ${where}`,
          description:
            '{{ $labels.source_workload_namespace }}/{{ $labels.source_workload }} sends {{ $value | humanize }} requests/s to {{ $labels.destination_service_name }} without mTLS.',
        },
      },
      {
        alert: 'HubmeshPlaintextTcp',
        expr: plaintext('istio_tcp_received_bytes_total'),
        for: options.for,
        labels: { severity: 'critical', namespace: options.namespace },
        annotations: {
          summary: `TCP traffic without mutual TLS reaches ${where}`,
          description:
            '{{ $labels.source_workload_namespace }}/{{ $labels.source_workload }} sends {{ $value | humanize1024 }}B/s to {{ $labels.destination_service_name }} without mTLS.',
        },
      },
      {
        alert: 'HubmeshPodWithoutSidecar',
        expr: `(kube_pod_status_phase{namespace=${ns}, phase="Running"} == 1) unless on (namespace, pod) (kube_pod_container_info{namespace=${ns}, container="istio-proxy"} or kube_pod_init_container_info{namespace=${ns}, container="istio-proxy"})`,
        for: options.for,
        labels: { severity: 'warning', namespace: options.namespace },
        annotations: {
          summary: `A running pod in ${where} has no Istio sidecar`,
          description: 'Pod {{ $labels.pod }} runs without an istio-proxy container, so its traffic bypasses mTLS. Needs kube-state-metrics.',
        },
      },
    ],
  };
}

/** The same rules as a Prometheus Operator PrometheusRule, for clusters that run the operator. */
export function prometheusRule(options: AlertRuleOptions) {
  const group = alertRuleGroup(options);
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: group.name, namespace: options.namespace, labels: { [LABELS.managedBy]: 'hubmesh' } },
    spec: { groups: [group] },
  };
}

/** Both forms as YAML: a plain Prometheus rule file (rule_files:) and the PrometheusRule object. */
export function alertRulesYaml(options: AlertRuleOptions): { ruleFile: string; prometheusRule: string } {
  return { ruleFile: YAML.stringify({ groups: [alertRuleGroup(options)] }), prometheusRule: YAML.stringify(prometheusRule(options)) };
}
