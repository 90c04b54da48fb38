import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowedLabels,
  authzScenarios,
  evaluateInbound,
  judgeSamples,
  NOTEBOOK_NAMESPACE,
  NOTEBOOK_PORT,
  notebookObjects,
  notebookSidecar,
  sampleRequests,
  type AuthzScenario,
} from './oracle/authz-case';
import type { AuthorizationPolicy } from '@/lib/kube/authorizationpolicies';
import type { Pod } from '@/lib/kube/pods';
import { desiredIsolationPolicies } from '@/lib/mesh/authz/desired';
import { applicablePolicies, decide } from '@/lib/mesh/authz/evaluate';
import { identitiesOf } from '@/lib/mesh/authz/identities';
import { Oracle, oracleBinary, type OracleVerdict } from './oracle/client';
import { objectsYaml } from './oracle/routing-case';

/**
 * A notebook's inbound authorization as Istio builds it (istio-oracle): istiod generates the notebook sidecar's
 * inbound listener from the AuthorizationPolicies and PeerAuthentications, and the RBAC filters of the chains on
 * 8888 are evaluated with Envoy's semantics (./oracle/envoy-rbac) for sample peers, paths and methods. Every object
 * passes Istio's validation and analyzers. Needs no cluster, only the oracle binary.
 */
describe('notebook authorization, as Istio generates it for the sidecar (istio-oracle)', () => {
  let oracle: Oracle;
  const scenarios = authzScenarios();
  const verdicts = new Map<string, OracleVerdict>();

  beforeAll(async () => {
    oracle = new Oracle(oracleBinary());
    await Promise.all(
      scenarios.map(async (s) => {
        const verdict = await oracle.judge({
          objects: objectsYaml([...notebookObjects({ extraNamespaces: s.extraNamespaces }), ...s.objects]),
          requests: [],
          sidecar: { ...notebookSidecar(), ports: [NOTEBOOK_PORT, ...(s.extraPorts ?? [])] },
        });
        verdicts.set(s.name, verdict);
      }),
    );
  }, 240_000);

  afterAll(async () => {
    await oracle?.close();
  });

  const verdictOf = (s: AuthzScenario) => {
    const v = verdicts.get(s.name)!;
    expect(v.error).toBe('');
    return v;
  };

  it.each(scenarios.map((s) => [s.name, s] as const))('%s: every object passes validation and analysis', (_name, s) => {
    const v = verdictOf(s);
    expect(v.messages.filter((m) => m.level === 'Error')).toEqual([]);
    if (!s.warns) expect(v.messages).toEqual([]);
    else expect(v.messages.map((m) => m.code)).toContain('IST0133');
    expect(v.sidecar).toMatchObject({ pod: 'jupyterhub/jupyter-alice', identity: 'spiffe://cluster.local/ns/jupyterhub/sa/default' });
    expect(v.sidecar!.serviceTargets).toContain('jupyter-alice.jupyterhub.svc.cluster.local:8888/HTTP -> 8888');
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s: the sample requests Envoy lets through', (_name, s) => {
    const v = verdictOf(s);
    const judged = judgeSamples(v.inboundRbac!);
    const expected = sampleRequests()
      .filter((r) => s.allowed(r))
      .map((r) => r.label);
    expect(allowedLabels(judged)).toEqual(expected);
    for (const extra of s.extra ?? []) expect({ label: extra.label, allowed: evaluateInbound(v.inboundRbac!, extra.request).allowed }).toEqual({ label: extra.label, allowed: extra.allowed });
  });

  it('the ALLOW policy becomes one RBAC filter on both chains, matching the exact SPIFFE principals', () => {
    const v = verdictOf(scenarios[0]!);
    const chains = v.inboundRbac!.filter((e) => e.chain.port === NOTEBOOK_PORT);
    expect(chains.map((e) => ({ tls: e.chain.tls, transport: e.chain.transport, protocol: e.chain.protocol }))).toEqual([
      { tls: true, transport: 'tls', protocol: 'http' },
      { tls: false, transport: 'raw_buffer', protocol: 'http' },
    ]);
    for (const e of chains) {
      expect(e.filters.map((f) => f.name)).toEqual(['envoy.filters.http.rbac']);
      const rules = e.filters[0]!.config.rules as { action?: string; policies: Record<string, unknown> };
      expect(rules.action).toBeUndefined(); // ALLOW, the zero value
      expect(Object.keys(rules.policies)).toEqual(['ns[jupyterhub]-policy[notebooks]-rule[0]']);
      const json = JSON.stringify(rules.policies);
      expect(json).toContain('{"authenticated":{"principal_name":{"exact":"spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"}}}');
      expect(json).toContain('{"authenticated":{"principal_name":{"exact":"spiffe://cluster.local/ns/jupyterhub/sa/hub"}}}');
      // RBAC comes after Istio's metadata exchange and before the router
      expect(e.httpFilters.indexOf('envoy.filters.http.rbac')).toBeGreaterThan(e.httpFilters.indexOf('istio.metadata_exchange'));
      expect(e.httpFilters.at(-1)).toBe('envoy.filters.http.router');
    }
  });

  it('STRICT mTLS leaves no plaintext chain: a plaintext request finds no filter chain', () => {
    const v = verdictOf(scenarios.find((s) => s.name.includes('STRICT'))!);
    expect(v.inboundRbac!.map((e) => e.chain.tls)).toEqual([true]);
    expect(evaluateInbound(v.inboundRbac!, { port: NOTEBOOK_PORT, method: 'GET', path: '/', host: 'x' })).toEqual({ allowed: false, reason: 'no-filter-chain' });
  });

  it('DENY runs before ALLOW and reports its policy', () => {
    const v = verdictOf(scenarios.find((s) => s.name.startsWith('DENY the hub'))!);
    const chain = v.inboundRbac!.find((e) => e.chain.tls)!;
    expect(chain.filters.map((f) => (f.config.rules as { action?: string }).action ?? 'ALLOW')).toEqual(['DENY', 'ALLOW']);
    const outcome = evaluateInbound(v.inboundRbac!, { principal: 'spiffe://cluster.local/ns/jupyterhub/sa/hub', port: NOTEBOOK_PORT, method: 'POST', path: '/user/alice/api/kernels?x=1', host: 'x' });
    expect(outcome.http?.deniedBy).toEqual({ index: 0, action: 'DENY', policy: 'ns[jupyterhub]-policy[no-hub-kernels]-rule[0]' });
  });

  it('a dry-run policy becomes shadow rules only', () => {
    const v = verdictOf(scenarios.find((s) => s.name.startsWith('a dry-run'))!);
    for (const e of v.inboundRbac!) {
      expect(e.filters).toHaveLength(1);
      expect(e.filters[0]!.config.rules).toBeUndefined();
      expect(e.filters[0]!.config.shadow_rules).toBeDefined();
    }
  });

  it('a TCP port gets a network RBAC filter and no HTTP one', () => {
    const v = verdictOf(scenarios.find((s) => s.name.startsWith('HTTP-only fields'))!);
    const tcp = v.inboundRbac!.filter((e) => e.chain.port === 9000);
    expect(tcp.length).toBeGreaterThan(0);
    for (const e of tcp) {
      expect(e.chain.protocol).toBe('tcp');
      expect(e.filters).toEqual([]);
      expect(e.networkFilters.map((f) => f.name)).toEqual(['envoy.filters.network.rbac', 'envoy.filters.network.rbac']);
      const [deny, allow] = e.networkFilters.map((f) => f.config.rules as { action?: string; policies: Record<string, unknown> });
      expect(deny!.action).toBe('DENY');
      expect(Object.keys(allow!.policies)).toEqual(['ns[jupyterhub]-policy[hub-paths]-rule[1]']); // rule 0 has paths
    }
  });

  /** hubmesh's own evaluation (lib/mesh/authz) of a sample, as the isolation page asks it: the notebook's applicable policies, its mTLS mode */
  function hubmeshDecides(s: AuthzScenario, request: { principal?: string; protocol?: 'http' | 'tcp'; port: number; method?: string; path?: string; host?: string }) {
    const objects = s.objects as AuthorizationPolicy[];
    const policies = objects.filter((o) => o.kind === 'AuthorizationPolicy');
    const strict = objects.some((o) => o.kind === 'PeerAuthentication' && (o as { spec?: { mtls?: { mode?: string } } }).spec?.mtls?.mode === 'STRICT');
    if (request.principal === undefined && strict) return false;
    const workload = { namespace: NOTEBOOK_NAMESPACE, labels: notebookSidecar().labels! };
    return decide(applicablePolicies(policies, workload, 'istio-system'), { ...request, principal: request.principal?.replace(/^spiffe:\/\//, '') }).allowed;
  }

  it.each(scenarios.map((s) => [s.name, s] as const))("%s: hubmesh's evaluation agrees with Envoy on Istio's generated RBAC", (_name, s) => {
    const v = verdictOf(s);
    const samples = [...sampleRequests().map((r) => ({ label: r.label, request: r.request })), ...(s.extra ?? []).map((e) => ({ label: e.label, request: e.request }))];
    const disagreements = samples.flatMap(({ label, request }) => {
      const envoy = evaluateInbound(v.inboundRbac!, request).allowed;
      const hubmesh = hubmeshDecides(s, request);
      return envoy === hubmesh ? [] : [`${label}: Envoy ${envoy ? 'allows' : 'denies'}, hubmesh says ${String(hubmesh)}`];
    });
    expect(disagreements).toEqual([]);
  });

  it("Isolate notebooks' notebook policy, as Istio builds it, lets in exactly the gateway and the hub", async () => {
    const pod = (name: string, namespace: string, serviceAccountName: string): Pod => ({ metadata: { name, namespace }, spec: { serviceAccountName, containers: [] }, status: { phase: 'Running' } });
    const identities = {
      gateway: identitiesOf('gateway', [pod('gw', 'istio-system', 'istio-ingressgateway-service-account')], 'cluster.local'),
      hub: identitiesOf('hub', [pod('hub', NOTEBOOK_NAMESPACE, 'hub')], 'cluster.local'),
      hubmesh: identitiesOf('hubmesh', [pod('hubmesh', NOTEBOOK_NAMESPACE, 'hubmesh')], 'cluster.local'),
      notebooks: identitiesOf('notebook', [pod('jupyter-alice', NOTEBOOK_NAMESPACE, 'default')], 'cluster.local'),
    };
    const desired = desiredIsolationPolicies({
      namespace: NOTEBOOK_NAMESPACE,
      prefix: 'hubmesh',
      selectors: { notebooks: { component: 'singleuser-server' }, hub: { component: 'hub' }, hubmesh: { 'app.kubernetes.io/name': 'hubmesh' } },
      identities,
    });
    const verdict = await oracle.judge({ objects: objectsYaml([...notebookObjects(), ...desired.map((p) => ({ ...p, metadata: { ...p.metadata, creationTimestamp: '2026-01-01T00:00:00Z' } }))]), requests: [], sidecar: notebookSidecar() });
    expect(verdict.error).toBe('');
    expect(verdict.messages.filter((m) => m.level === 'Error')).toEqual([]);
    const judged = judgeSamples(verdict.inboundRbac!);
    expect([...new Set(judged.filter((j) => j.outcome.allowed).map((j) => j.source))]).toEqual(['gateway', 'hub']);
    // and every sample of the gateway and the hub passes: the notebook policy has no path or method limits
    expect(judged.filter((j) => (j.source === 'gateway' || j.source === 'hub') && !j.outcome.allowed)).toEqual([]);
    const principals = JSON.stringify(verdict.inboundRbac!.map((e) => e.filters.map((f) => f.config)));
    expect(principals).toContain('"exact":"spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"');
    expect(principals).toContain('"exact":"spiffe://cluster.local/ns/jupyterhub/sa/hub"');
  });
});
