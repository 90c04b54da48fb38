import { describe, expect, it } from 'vitest';
import type { AuthorizationPolicy } from '../../kube/authorizationpolicies';
import type { Pod } from '../../kube/pods';
import { summarizePod } from '../pod-status';
import { SIDECAR_MESH } from '../test-fixtures';
import { desiredIsolationPolicies, exceptionOf, exceptionPolicy, type IsolationIdentities, type WorkloadSelectors } from './desired';
import { identitiesOf } from './identities';
import { analyzeIsolation, type IsolationInput } from './isolation';
import { isolationVerdict, listSome, type IsolationTelemetry } from './verdict';

const NS = 'jupyterhub';
const TD = 'cluster.local';

const pod = (name: string, namespace: string, labels: Record<string, string>, serviceAccountName: string, extra: Partial<Pod['metadata']> = {}): Pod => ({
  metadata: { name, namespace, labels, ...extra },
  spec: {
    serviceAccountName,
    containers: [{ name: 'main', ports: [{ name: 'notebook-port', containerPort: 8888 }] }],
    initContainers: [{ name: 'istio-proxy', image: 'istio/proxyv2:1.28.1', restartPolicy: 'Always' }],
  },
  status: { phase: 'Running', initContainerStatuses: [{ name: 'istio-proxy', ready: true, restartCount: 0 }], containerStatuses: [{ name: 'main', ready: true, restartCount: 0 }] },
});
const notebookPod = (user: string) =>
  pod(`jupyter-${user}`, NS, { component: 'singleuser-server', 'hub.jupyter.org/username': user }, 'default', { annotations: { 'hub.jupyter.org/username': user } });

const pods = {
  gateway: [pod('istio-ingressgateway-1', 'istio-system', { istio: 'ingressgateway' }, 'istio-ingressgateway-service-account')],
  hub: [pod('hub-1', NS, { component: 'hub' }, 'hub')],
  hubmesh: [pod('hubmesh-1', NS, { 'app.kubernetes.io/name': 'hubmesh' }, 'hubmesh')],
  notebooks: [notebookPod('alice'), notebookPod('bob')],
};
const identities: IsolationIdentities = {
  gateway: identitiesOf('gateway', pods.gateway, TD),
  hub: identitiesOf('hub', pods.hub, TD),
  hubmesh: identitiesOf('hubmesh', pods.hubmesh, TD),
  notebooks: identitiesOf('notebook', pods.notebooks, TD),
};
const selectors: WorkloadSelectors = { notebooks: { component: 'singleuser-server' }, hub: { component: 'hub' }, hubmesh: { 'app.kubernetes.io/name': 'hubmesh' } };
const desired = desiredIsolationPolicies({ namespace: NS, prefix: 'hubmesh', selectors, identities });

const input = (policies: AuthorizationPolicy[], strict = true): IsolationInput => ({
  namespace: NS,
  rootNamespace: 'istio-system',
  trustDomain: TD,
  identities,
  pods: { notebooks: pods.notebooks, hub: pods.hub, hubmesh: pods.hubmesh },
  policies,
  strict,
});
const quiet: IsolationTelemetry = { state: 'ok', traffic: { window: '1h', flows: [], notebookToNotebook: [] } };
const required = [...pods.notebooks, ...pods.hub, ...pods.hubmesh].map((p) => ({ role: 'notebook' as const, pod: summarizePod(p, SIDECAR_MESH) }));
const verdictOf = (policies: AuthorizationPolicy[], options: { strict?: boolean; telemetry?: IsolationTelemetry } = {}) =>
  isolationVerdict({ namespace: NS, identities, analysis: analyzeIsolation(input(policies, options.strict)), telemetry: options.telemetry ?? quiet, pods: required, gatewayLookup: 'istio-system, istio=ingressgateway' });

describe('identities', () => {
  it('reads one SPIFFE principal per service account, with the pods it was read from', () => {
    expect(identities.gateway).toEqual([
      { role: 'gateway', principal: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account', namespace: 'istio-system', serviceAccount: 'istio-ingressgateway-service-account', pods: ['istio-ingressgateway-1'] },
    ]);
    expect(identities.notebooks).toEqual([expect.objectContaining({ principal: 'cluster.local/ns/jupyterhub/sa/default', pods: ['jupyter-alice', 'jupyter-bob'] })]);
  });
});

describe('the intended policies', () => {
  it('lets the gateway and the hub into notebooks, the gateway, notebooks and hubmesh into the hub, and only the hub into the proxy API', () => {
    const [notebooks, hub, hubmesh] = desired;
    expect(notebooks!.spec).toEqual({
      selector: { matchLabels: { component: 'singleuser-server' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account', 'cluster.local/ns/jupyterhub/sa/hub'] } }] }],
    });
    expect(hub!.spec!.rules![0]!.from![0]!.source!.principals).toEqual([
      'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account',
      'cluster.local/ns/jupyterhub/sa/default',
      'cluster.local/ns/jupyterhub/sa/hubmesh',
    ]);
    expect(hubmesh!.spec!.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/jupyterhub/sa/hub'] } }], to: [{ operation: { paths: ['/api/routes', '/api/routes/*'] } }] },
      { from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'] } }], to: [{ operation: { notPaths: ['/api/routes', '/api/routes/*'] } }] },
    ]);
    expect(notebooks!.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'hubmesh', 'hubmesh.io/isolation': 'notebooks' });
  });

  it('keeps an exception as its own named policy that it can be read back from', () => {
    const exception = { name: 'grader', source: { namespace: 'courses', serviceAccount: 'nbgrader' }, target: 'notebooks' as const, user: 'alice', reason: 'grading' };
    const policy = exceptionPolicy({ namespace: NS, prefix: 'hubmesh', trustDomain: TD, selectors, exception });
    expect(policy.metadata.name).toBe('hubmesh-allow-grader');
    expect(policy.spec!.selector!.matchLabels).toEqual({ component: 'singleuser-server', 'hub.jupyter.org/username': 'alice' });
    expect(policy.spec!.rules).toEqual([{ from: [{ source: { principals: ['cluster.local/ns/courses/sa/nbgrader'] } }] }]);
    expect(exceptionOf(policy)).toEqual(exception);
    expect(exceptionOf(desired[0]!)).toBeUndefined();
  });
});

describe('the isolation verdict', () => {
  it('fails with no policy at all: notebooks reach each other and everyone reaches everything', () => {
    const verdict = verdictOf([], { strict: false });
    expect(verdict.isolated).toBe(false);
    expect(verdict.checks).toEqual({ configuration: false, traffic: true, pods: true });
    const n2n = verdict.reasons.filter((r) => r.code === 'notebook-to-notebook');
    expect(n2n.map((r) => r.message)).toEqual(['notebooks running as jupyterhub/default can reach the notebooks of alice and bob: no ALLOW policy applies, so everything is allowed']);
    expect(verdict.reasons.map((r) => r.message)).toContain('plaintext (no mTLS, so no identity) can reach the notebooks of alice and bob: no ALLOW policy applies, so everything is allowed');
    expect(verdict.reasons.map((r) => r.message)).toContain("a notebook (jupyterhub/default) can reach hubmesh's proxy API: no ALLOW policy applies, so everything is allowed");
  });

  it('passes with the intended policies, STRICT mTLS, quiet traffic and every pod in the mesh', () => {
    const verdict = verdictOf(desired);
    expect(verdict.reasons).toEqual([]);
    expect(verdict.warnings).toEqual([]);
    expect(verdict.isolated).toBe(true);
  });

  it('names the policy that lets an unintended source in, and an intended one that is shut out', () => {
    const allowAll: AuthorizationPolicy = { metadata: { name: 'allow-all', namespace: NS }, spec: { selector: { matchLabels: { component: 'singleuser-server' } }, rules: [{}] } };
    const verdict = verdictOf([...desired, allowAll]);
    expect(verdict.reasons.find((r) => r.code === 'notebook-to-notebook')).toMatchObject({
      message: 'notebooks running as jupyterhub/default can reach the notebooks of alice and bob: allowed by jupyterhub/allow-all',
      objects: expect.arrayContaining([{ kind: 'AuthorizationPolicy', namespace: NS, name: 'allow-all' }]),
    });
    const denyGateway: AuthorizationPolicy = {
      metadata: { name: 'no-gateway', namespace: 'istio-system' },
      spec: { action: 'DENY', rules: [{ from: [{ source: { namespaces: ['istio-system'] } }] }] },
    };
    const shut = verdictOf([...desired, denyGateway]);
    expect(shut.isolated).toBe(true);
    expect(shut.warnings.map((w) => w.message)).toContain('the ingress gateway (istio-system/istio-ingressgateway-service-account) cannot reach the notebooks of alice and bob: denied by istio-system/no-gateway');
  });

  it('lets an exception in only where its policy applies', () => {
    const exception = exceptionPolicy({ namespace: NS, prefix: 'hubmesh', trustDomain: TD, selectors, exception: { name: 'grader', source: { namespace: 'courses', serviceAccount: 'nbgrader' }, target: 'notebooks', user: 'alice', reason: 'grading' } });
    const analysis = analyzeIsolation(input([...desired, exception]));
    const alice = analysis.groups.find((g) => g.target === 'notebook' && g.users.includes('alice'))!;
    const bob = analysis.groups.find((g) => g.target === 'notebook' && g.users.includes('bob'))!;
    expect(alice.access.find((a) => a.probe === 'exception:grader')).toMatchObject({ intended: true, allowed: true });
    expect(bob.access.find((a) => a.probe === 'exception:grader')).toMatchObject({ intended: false, allowed: false });
    expect(verdictOf([...desired, exception]).isolated).toBe(true);
  });

  it('asks once for an identity that several exceptions let in, and counts it intended wherever any of them applies', () => {
    const grader = (name: string, user: string) =>
      exceptionPolicy({ namespace: NS, prefix: 'hubmesh', trustDomain: TD, selectors, exception: { name, source: { namespace: 'courses', serviceAccount: 'nbgrader' }, target: 'notebooks', user, reason: 'grading' } });
    const policies = [...desired, grader('grader-alice', 'alice'), grader('grader-bob', 'bob')];
    const analysis = analyzeIsolation(input(policies));
    expect(analysis.probes.filter((p) => p.kind === 'exception')).toEqual([
      { id: 'exception:grader-alice', kind: 'exception', label: 'exceptions grader-alice, grader-bob (courses/nbgrader)', principal: 'cluster.local/ns/courses/sa/nbgrader', exceptions: ['grader-alice', 'grader-bob'] },
    ]);
    for (const group of analysis.groups.filter((g) => g.target === 'notebook')) {
      expect(group.access.find((a) => a.probe === 'exception:grader-alice')).toMatchObject({ intended: true, allowed: true });
    }
    expect(verdictOf(policies).isolated).toBe(true);
  });

  it('fails on notebook-to-notebook traffic, naming both users, and without telemetry', () => {
    const flow = { source: { namespace: NS, workload: 'jupyter-bob', user: 'bob', server: '', principal: 'cluster.local/ns/jupyterhub/sa/default' }, destination: { namespace: NS, workload: 'jupyter-alice', user: 'alice', server: '' }, requests: 12, connections: 0, denied: 2 };
    const verdict = verdictOf(desired, { telemetry: { state: 'ok', traffic: { window: '1h', flows: [flow], notebookToNotebook: [flow] } } });
    expect(verdict.isolated).toBe(false);
    expect(verdict.checks).toEqual({ configuration: true, traffic: false, pods: true });
    expect(verdict.reasons).toEqual([
      {
        code: 'notebook-traffic',
        message: "bob's notebook (jupyter-bob) sent 12 requests (2 answered 403) to alice's notebook (jupyter-alice) in the last 1h",
        objects: [
          { kind: 'Pod', namespace: NS, name: 'jupyter-bob' },
          { kind: 'Pod', namespace: NS, name: 'jupyter-alice' },
        ],
      },
    ]);
    expect(verdictOf(desired, { telemetry: { state: 'unconfigured' } }).reasons.map((r) => r.code)).toEqual(['telemetry-unconfigured']);
  });

  it('fails when the gateway identity cannot be read', () => {
    const verdict = isolationVerdict({
      namespace: NS,
      identities: { ...identities, gateway: [] },
      analysis: analyzeIsolation({ ...input(desired), identities: { ...identities, gateway: [] } }),
      telemetry: quiet,
      pods: [],
      gatewayLookup: 'pods labelled istio=ingressgateway in istio-system',
    });
    expect(verdict.reasons[0]).toMatchObject({ code: 'identity-unknown', message: expect.stringContaining('pods labelled istio=ingressgateway in istio-system') });
  });

  it('lists a few names and counts the rest', () => {
    expect(listSome(['a'])).toBe('a');
    expect(listSome(['a', 'b', 'c'])).toBe('a, b and c');
    expect(listSome(['a', 'b', 'c', 'd', 'e'])).toBe('a, b, c and 2 more');
  });
});
