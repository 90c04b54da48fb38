import { describe, expect, it } from 'vitest';
import type { AuthorizationPolicy } from '../../kube/authorizationpolicies';
import type { Namespace } from '../../kube/namespaces';
import type { Pod } from '../../kube/pods';
import { ambientL7Policy, ztunnelConditionMessage } from './ambient-l7-policy';
import { NS, snapshot } from './test-fixtures';

const policy = (name: string, spec: AuthorizationPolicy['spec'], namespace = NS): AuthorizationPolicy => ({ metadata: { name, namespace }, spec });
const notebooks = { matchLabels: { component: 'singleuser-server' } };
const ambientNamespace = (labels: Record<string, string> = {}): Namespace => ({ metadata: { name: NS, labels: { 'istio.io/dataplane-mode': 'ambient', ...labels } } });
const notebook = (name: string, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name, namespace: NS, labels: { component: 'singleuser-server' }, annotations: { 'ambient.istio.io/redirection': 'enabled' }, ...extra },
  spec: { containers: [{ name: 'notebook' }] },
  status: { phase: 'Running' },
});
const adminOnly = policy('admin-only', { selector: notebooks, rules: [{ to: [{ operation: { paths: ['/admin/*'], methods: ['GET'] } }] }] });

describe("ztunnel's condition message", () => {
  it("is istiod's, by action", () => {
    expect(ztunnelConditionMessage(adminOnly)).toBe(
      'ztunnel does not support HTTP attributes (found: methods, paths). In ambient mode you must use a waypoint proxy to enforce HTTP rules. Within an ALLOW policy, rules matching HTTP attributes are omitted. This will be more restrictive than requested.',
    );
    const deny = policy('deny', { action: 'DENY', rules: [{ when: [{ key: 'request.headers[x-debug]', values: ['1'] }] }] });
    expect(ztunnelConditionMessage(deny)).toBe(
      'ztunnel does not support HTTP attributes (found: request.headers[x-debug]). In ambient mode you must use a waypoint proxy to enforce HTTP rules. DENY policy with HTTP attributes is enforced without the HTTP rules. This will be more restrictive than requested.',
    );
    expect(ztunnelConditionMessage(policy('ext', { action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] }))).toBe('ztunnel does not support the CUSTOM action');
  });
});

describe('HM6005 HTTP rules on ambient pods', () => {
  it('flags a selector policy with HTTP attributes that applies to ambient pods, naming the pods', () => {
    const findings = ambientL7Policy.check(snapshot({ namespaces: [ambientNamespace()], pods: [notebook('jupyter-alice'), notebook('jupyter-bob')], authorizationPolicies: [adminOnly] }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      code: 'HM6005',
      severity: 'warning',
      object: { kind: 'AuthorizationPolicy', namespace: NS, name: 'admin-only' },
      related: [
        { kind: 'Pod', namespace: NS, name: 'jupyter-alice' },
        { kind: 'Pod', namespace: NS, name: 'jupyter-bob' },
      ],
    });
    expect(findings[0]!.message).toContain('applies to 2 ambient pods (jupyter-alice, jupyter-bob) by selector, so ztunnel enforces it: ztunnel does not support HTTP attributes (found: methods, paths).');
    expect(findings[0]!.message).toContain('They have no waypoint');
  });

  it('still flags it when a waypoint serves the pods, since waypoints take only targetRefs policies', () => {
    const waypoints = [{ namespace: NS, name: 'waypoint', for: 'service' as const, ready: true }];
    const findings = ambientL7Policy.check(
      snapshot({ namespaces: [ambientNamespace({ 'istio.io/use-waypoint': 'waypoint' })], pods: [notebook('jupyter-alice')], authorizationPolicies: [adminOnly], waypoints }),
    );
    expect(findings.map((f) => f.message)).toEqual([expect.stringContaining(`The waypoint ${NS}/waypoint serves some of them, but a waypoint enforces only policies that target it`)]);
  });

  it('is quiet for L4 policies, targetRefs policies, sidecar pods and pods outside ambient', () => {
    const l4 = policy('l4', { selector: notebooks, rules: [{ from: [{ source: { principals: ['cluster.local/ns/jupyterhub/sa/hub'] } }], to: [{ operation: { ports: ['8888'] } }] }] });
    const attached = policy('attached', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }], rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }] });
    expect(ambientL7Policy.check(snapshot({ namespaces: [ambientNamespace()], pods: [notebook('jupyter-alice')], authorizationPolicies: [l4, attached] }))).toEqual([]);
    const sidecar = notebook('jupyter-alice', { annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' } });
    expect(ambientL7Policy.check(snapshot({ namespaces: [ambientNamespace()], pods: [sidecar], authorizationPolicies: [adminOnly] }))).toEqual([]);
    expect(ambientL7Policy.check(snapshot({ namespaces: [{ metadata: { name: NS } }], pods: [notebook('jupyter-alice')], authorizationPolicies: [adminOnly] }))).toEqual([]);
  });
});
