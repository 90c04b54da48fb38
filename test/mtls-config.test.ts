import { ApiException } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import { destinationRuleKind, type ClientTlsMode, type DestinationRule } from '@/lib/kube/destinationrules';
import { peerAuthenticationKind, type MtlsMode, type PeerAuthentication } from '@/lib/kube/peerauthentications';
import { isKubeError } from '@/lib/kube/errors';
import { type KialiMtlsStatus, meshMtlsStatus, namespaceMtlsStatus, type ServerMtlsMode } from '@/lib/mesh/mtls';
import { clients, HUB_NAMESPACE, uniqueName } from './helpers';

/**
 * mTLS status from configuration on the real apiserver with Istio's CRDs: PeerAuthentications and DestinationRules are
 * created by the admin in fresh namespaces and in the root namespace, read back through hubmesh's kube layer, and
 * evaluated. Mesh-wide objects live in istio-system only for the duration of this file.
 */

const ROOT = 'istio-system';
const CLUSTER_DOMAIN = 'cluster.local';
const RUN_LABEL = 'hubmesh.io/test-run';
const run = uniqueName('mtls');

const paGroup = { group: 'security.istio.io', version: 'v1', plural: 'peerauthentications' };
const drGroup = { group: 'networking.istio.io', version: 'v1', plural: 'destinationrules' };

type OwnPolicy = ServerMtlsMode | 'UNSET' | 'none';
type ClientRule = 'auto' | 'ISTIO_MUTUAL' | 'DISABLE';
const OWN_POLICIES: OwnPolicy[] = ['STRICT', 'PERMISSIVE', 'DISABLE', 'UNSET', 'none'];
const CLIENT_RULES: ClientRule[] = ['auto', 'ISTIO_MUTUAL', 'DISABLE'];
const scenarioNamespace = (own: OwnPolicy, client: ClientRule) => `${run}-${own}-${client}`.toLowerCase().replace('_', '');

const E: KialiMtlsStatus = 'MTLS_ENABLED';
const P: KialiMtlsStatus = 'MTLS_PARTIALLY_ENABLED';
const D: KialiMtlsStatus = 'MTLS_DISABLED';

/**
 * The phases change the mesh policy (and add a `*.local` DestinationRule); `expected` gives Kiali's verdict per namespace
 * policy, one entry per CLIENT_RULES column. A namespace's own STRICT/DISABLE verdict stands whatever the mesh says;
 * namespaces without a mode of their own (UNSET or no policy) take the mesh's.
 */
const PHASES: Array<{ mesh: ServerMtlsMode; meshRule?: ClientTlsMode; meshStatus: KialiMtlsStatus; expected: Record<OwnPolicy, KialiMtlsStatus[]> }> = [
  {
    mesh: 'STRICT',
    meshStatus: E,
    expected: { STRICT: [E, E, P], PERMISSIVE: [P, P, P], DISABLE: [D, P, D], UNSET: [E, E, P], none: [E, E, P] },
  },
  {
    mesh: 'PERMISSIVE',
    meshStatus: P,
    expected: { STRICT: [E, E, P], PERMISSIVE: [P, P, P], DISABLE: [D, P, D], UNSET: [P, P, P], none: [P, P, P] },
  },
  {
    mesh: 'DISABLE',
    meshRule: 'DISABLE',
    meshStatus: D,
    expected: { STRICT: [E, E, P], PERMISSIVE: [P, P, P], DISABLE: [D, P, D], UNSET: [D, P, D], none: [D, P, D] },
  },
];

const peerAuthentication = (name: string, spec: PeerAuthentication['spec']): PeerAuthentication => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'PeerAuthentication',
  metadata: { name, labels: { [RUN_LABEL]: run } },
  spec,
});
const destinationRule = (name: string, host: string, mode: ClientTlsMode): DestinationRule => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name, labels: { [RUN_LABEL]: run } },
  spec: { host, trafficPolicy: { tls: { mode } } },
});

describe('mTLS status from real PeerAuthentications and DestinationRules', () => {
  const { adminCore, adminCustom } = clients();
  const scenarioNamespaces = OWN_POLICIES.flatMap((own) => CLIENT_RULES.map((client) => ({ own, client, namespace: scenarioNamespace(own, client) })));
  const oldestNamespace = `${run}-oldest`;
  const overridesNamespace = `${run}-overrides`;
  const namespaces = [...scenarioNamespaces.map((s) => s.namespace), oldestNamespace, overridesNamespace];
  const meshPolicyName = `${run}-mesh`;
  const meshRuleName = `${run}-mesh`;

  const admin = connect(parseConfig({ KUBECONFIG: inject('adminKubeconfig'), HUBMESH_NAMESPACE: overridesNamespace }));
  const adminPeerAuthentications = admin.backend<PeerAuthentication>(peerAuthenticationKind);
  const adminDestinationRules = admin.backend<DestinationRule>(destinationRuleKind);

  const createPolicy = (namespace: string, body: PeerAuthentication) => adminCustom.createNamespacedCustomObject({ ...paGroup, namespace, body });
  const createRule = (namespace: string, body: DestinationRule) => adminCustom.createNamespacedCustomObject({ ...drGroup, namespace, body });

  /** What hubmesh sees, as it would list it: the namespace's and the root namespace's objects (and every test namespace's rules). */
  async function readConfig() {
    const policies = await Promise.all([ROOT, ...namespaces].map((ns) => adminPeerAuthentications.list(ns)));
    const rules = await Promise.all([ROOT, ...namespaces].map((ns) => adminDestinationRules.list(ns)));
    return { peerAuthentications: policies.flatMap((l) => l.items), destinationRules: rules.flatMap((l) => l.items) };
  }

  async function setMeshPolicy(mode: MtlsMode) {
    const current = (await adminCustom.getNamespacedCustomObject({ ...paGroup, namespace: ROOT, name: meshPolicyName })) as PeerAuthentication;
    await adminCustom.replaceNamespacedCustomObject({ ...paGroup, namespace: ROOT, name: meshPolicyName, body: { ...current, spec: { mtls: { mode } } } });
  }

  beforeAll(async () => {
    const existing = await adminPeerAuthentications.list(ROOT);
    const meshRules = (await adminDestinationRules.list(ROOT)).items.filter((dr) => dr.spec?.host === '*.local');
    // the expectations assume this file owns the mesh-wide policy; another one would take part in the verdict
    expect(existing.items.map((pa) => pa.metadata.name), 'PeerAuthentications already in istio-system').toEqual([]);
    expect(meshRules.map((dr) => dr.metadata.name), '*.local DestinationRules already in istio-system').toEqual([]);

    await Promise.all(namespaces.map((name) => adminCore.createNamespace({ body: { metadata: { name, labels: { [RUN_LABEL]: run } } } })));
    await createPolicy(ROOT, peerAuthentication(meshPolicyName, { mtls: { mode: 'STRICT' } }));
    await Promise.all(
      scenarioNamespaces.map(async ({ own, client, namespace }) => {
        if (own !== 'none') await createPolicy(namespace, peerAuthentication('default', { mtls: { mode: own } }));
        if (client !== 'auto') await createRule(namespace, destinationRule('namespace-tls', `*.${namespace}.svc.${CLUSTER_DOMAIN}`, client));
      }),
    );
  });

  afterAll(async () => {
    await adminCustom.deleteNamespacedCustomObject({ ...paGroup, namespace: ROOT, name: meshPolicyName }).catch(() => undefined);
    await adminCustom.deleteNamespacedCustomObject({ ...drGroup, namespace: ROOT, name: meshRuleName }).catch(() => undefined);
    await Promise.all(namespaces.map((name) => adminCore.deleteNamespace({ name }).catch(() => undefined)));
  });

  describe.each(PHASES)('mesh policy $mesh', (phase) => {
    let config: Awaited<ReturnType<typeof readConfig>>;

    beforeAll(async () => {
      await setMeshPolicy(phase.mesh);
      if (phase.meshRule) await createRule(ROOT, destinationRule(meshRuleName, '*.local', phase.meshRule));
      config = await readConfig();
    });

    it(`gives the mesh ${phase.meshStatus}`, () => {
      const mesh = meshMtlsStatus({ rootNamespace: ROOT, autoMtls: true, ...config });
      expect(mesh.status).toBe(phase.meshStatus);
      expect(mesh.server).toMatchObject({ mode: phase.mesh, scope: 'mesh', policy: { kind: 'PeerAuthentication', namespace: ROOT, name: meshPolicyName } });
      expect(mesh.client).toMatchObject(phase.meshRule ? { source: 'destination-rule', tlsMode: phase.meshRule, rule: { namespace: ROOT, name: meshRuleName } } : { source: 'auto-mtls' });
      // every scenario namespace whose own mode differs from the mesh's shows up as an override
      const departing = scenarioNamespaces.filter((s) => s.own !== 'none' && s.own !== 'UNSET' && s.own !== phase.mesh).map((s) => s.namespace);
      expect(mesh.overrides.map((o) => o.policy.namespace).sort()).toEqual(departing.sort());
    });

    it.each(scenarioNamespaces)('namespace policy $own, client side $client', ({ own, client, namespace }) => {
      const result = namespaceMtlsStatus({ namespace, rootNamespace: ROOT, clusterDomain: CLUSTER_DOMAIN, autoMtls: true, ...config });
      const ownMode = own !== 'none' && own !== 'UNSET';

      expect(result.status).toBe(phase.expected[own][CLIENT_RULES.indexOf(client)]);
      expect(result.inherited).toBe(!ownMode);
      expect(result.server.mode).toBe(ownMode ? own : phase.mesh);
      expect(result.server.policy).toEqual({ kind: 'PeerAuthentication', namespace: ownMode ? namespace : ROOT, name: ownMode ? 'default' : meshPolicyName });
      const ownPolicy = { kind: 'PeerAuthentication', namespace, name: 'default' };
      const meshPolicy = { kind: 'PeerAuthentication', namespace: ROOT, name: meshPolicyName };
      const namespaceRule = { kind: 'DestinationRule', namespace, name: 'namespace-tls' };
      const meshRule = { kind: 'DestinationRule', namespace: ROOT, name: meshRuleName };
      if (client !== 'auto') {
        expect(result.client).toMatchObject({ source: 'destination-rule', scope: 'namespace', tlsMode: client, rule: namespaceRule });
      } else if (phase.meshRule) {
        expect(result.client).toMatchObject({ source: 'destination-rule', scope: 'mesh', tlsMode: phase.meshRule, rule: meshRule });
      } else {
        expect(result.client.source).toBe('auto-mtls');
      }
      const clientRule = client !== 'auto' ? [namespaceRule] : phase.meshRule ? [meshRule] : [];
      const serverPolicies = own === 'UNSET' ? [ownPolicy, meshPolicy] : ownMode ? [ownPolicy] : [meshPolicy];
      expect(result.decidedBy).toEqual([...serverPolicies, ...clientRule]);
    });
  });

  it('applies the oldest of two selector-less policies in a namespace, by the creation times the apiserver stamps', async () => {
    await createPolicy(oldestNamespace, peerAuthentication('zz-older', { mtls: { mode: 'DISABLE' } }));
    const older = await adminPeerAuthentications.get(oldestNamespace, 'zz-older');
    // creationTimestamp has second precision: wait until the next second so the second policy is strictly newer
    const olderSecond = Date.parse(older.metadata.creationTimestamp!);
    await new Promise((r) => setTimeout(r, Math.max(0, olderSecond + 1100 - Date.now())));
    await createPolicy(oldestNamespace, peerAuthentication('aa-newer', { mtls: { mode: 'STRICT' } }));

    const config = await readConfig();
    const result = namespaceMtlsStatus({ namespace: oldestNamespace, rootNamespace: ROOT, clusterDomain: CLUSTER_DOMAIN, autoMtls: true, ...config });
    expect(result.server).toMatchObject({ mode: 'DISABLE', scope: 'namespace', policy: { name: 'zz-older' } });
    expect(result.status).toBe(D);
    expect(result.conflicts).toEqual([
      expect.objectContaining({
        code: 'multiple-scope-policies',
        winner: { kind: 'PeerAuthentication', namespace: oldestNamespace, name: 'zz-older' },
        objects: [
          { kind: 'PeerAuthentication', namespace: oldestNamespace, name: 'zz-older' },
          { kind: 'PeerAuthentication', namespace: oldestNamespace, name: 'aa-newer' },
        ],
      }),
    ]);
  });

  it('reports workload and port-level policies that weaken the namespace mode', async () => {
    await createPolicy(overridesNamespace, peerAuthentication('default', { mtls: { mode: 'STRICT' } }));
    await createPolicy(overridesNamespace, peerAuthentication('legacy', { selector: { matchLabels: { app: 'legacy' } }, mtls: { mode: 'PERMISSIVE' } }));
    await createPolicy(overridesNamespace, peerAuthentication('metrics', { selector: { matchLabels: { app: 'api' } }, portLevelMtls: { '9090': { mode: 'DISABLE' } } }));

    const config = await readConfig();
    const result = namespaceMtlsStatus({ namespace: overridesNamespace, rootNamespace: ROOT, clusterDomain: CLUSTER_DOMAIN, autoMtls: true, ...config });
    expect(result.server.mode).toBe('STRICT');
    expect(result.overrides.map((o) => ({ scope: o.scope, name: o.policy.name, selector: o.selector, port: o.port, mode: o.mode, effect: o.effect }))).toEqual([
      { scope: 'workload', name: 'legacy', selector: { app: 'legacy' }, port: undefined, mode: 'PERMISSIVE', effect: 'weakens' },
      { scope: 'port', name: 'metrics', selector: { app: 'api' }, port: 9090, mode: 'DISABLE', effect: 'weakens' },
    ]);
  });

  it('relies on the CRD refusing port-level mTLS on a selector-less policy', async () => {
    const refused = await createPolicy(overridesNamespace, peerAuthentication('ports-without-selector', { portLevelMtls: { '8080': { mode: 'DISABLE' } } })).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException<unknown>).code).toBe(422);
    expect(String((refused as ApiException<unknown>).body)).toContain('portLevelMtls requires selector');
  });

  it('lets the app identity read the root namespace policy and rules, and nothing in other namespaces', async () => {
    const app = connect(parseConfig({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
    const policies = await app.backend<PeerAuthentication>(peerAuthenticationKind).list(ROOT);
    const rules = await app.backend<DestinationRule>(destinationRuleKind).list(ROOT);
    expect(policies.items.map((pa) => pa.metadata.name)).toContain(meshPolicyName);
    expect(rules.items.map((dr) => dr.metadata.name)).toContain(meshRuleName);

    const fromApp = meshMtlsStatus({ rootNamespace: ROOT, autoMtls: true, peerAuthentications: policies.items, destinationRules: rules.items });
    const fromAdmin = meshMtlsStatus({ rootNamespace: ROOT, autoMtls: true, ...(await readConfig()) });
    expect({ ...fromApp, overrides: [] }).toEqual({ ...fromAdmin, overrides: [] });

    const forbidden = await app.backend<PeerAuthentication>(peerAuthenticationKind).list(overridesNamespace).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(isKubeError(forbidden) && forbidden.status).toBe(403);
  });
});
