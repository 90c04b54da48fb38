import { describe, expect, it } from 'vitest';
import type { ClientTlsMode, DestinationRule } from '../kube/destinationrules';
import type { MtlsMode, PeerAuthentication } from '../kube/peerauthentications';
import { describeServerSide, type KialiMtlsStatus, meshMtlsStatus, namespaceMtlsStatus, type NamespaceMtlsInput } from './mtls';

const ROOT = 'istio-system';
const NS = 'bookinfo';
const DOMAIN = 'cluster.local';

function pa(
  namespace: string,
  name: string,
  options: { mode?: MtlsMode; selector?: Record<string, string>; ports?: Record<string, MtlsMode | undefined>; created?: string; noMtls?: boolean } = {},
): PeerAuthentication {
  return {
    metadata: { namespace, name, creationTimestamp: options.created ?? '2026-01-01T00:00:00Z' },
    spec: {
      ...(options.selector ? { selector: { matchLabels: options.selector } } : {}),
      ...(options.noMtls ? {} : { mtls: options.mode ? { mode: options.mode } : {} }),
      ...(options.ports ? { portLevelMtls: Object.fromEntries(Object.entries(options.ports).map(([port, mode]) => [port, mode ? { mode } : {}])) } : {}),
    },
  };
}

function dr(namespace: string, name: string, host: string, tls: ClientTlsMode | 'empty' | 'none', created = '2026-01-01T00:00:00Z'): DestinationRule {
  return {
    metadata: { namespace, name, creationTimestamp: created },
    spec: { host, ...(tls === 'none' ? {} : { trafficPolicy: { tls: tls === 'empty' ? {} : { mode: tls } } }) },
  };
}

const input = (overrides: Partial<NamespaceMtlsInput>): NamespaceMtlsInput => ({
  namespace: NS,
  rootNamespace: ROOT,
  clusterDomain: DOMAIN,
  peerAuthentications: [],
  destinationRules: [],
  autoMtls: true,
  ...overrides,
});

const E: KialiMtlsStatus = 'MTLS_ENABLED';
const P: KialiMtlsStatus = 'MTLS_PARTIALLY_ENABLED';
const N: KialiMtlsStatus = 'MTLS_NOT_ENABLED';
const D: KialiMtlsStatus = 'MTLS_DISABLED';

type ClientCase = { name: string; autoMtls: boolean; drs: DestinationRule[]; source: string; scope?: 'namespace' | 'mesh' };
const NS_HOST = `*.${NS}.svc.${DOMAIN}`;
const CLIENTS: ClientCase[] = [
  { name: 'no DR, auto-mTLS on', autoMtls: true, drs: [], source: 'auto-mtls' },
  { name: 'no DR, auto-mTLS off', autoMtls: false, drs: [], source: 'none' },
  { name: 'namespace DR ISTIO_MUTUAL', autoMtls: true, drs: [dr(NS, 'ns-mtls', NS_HOST, 'ISTIO_MUTUAL')], source: 'destination-rule', scope: 'namespace' },
  { name: 'namespace DR DISABLE', autoMtls: true, drs: [dr(NS, 'ns-plain', NS_HOST, 'DISABLE')], source: 'destination-rule', scope: 'namespace' },
  { name: 'mesh DR ISTIO_MUTUAL', autoMtls: true, drs: [dr(ROOT, 'mesh-mtls', '*.local', 'ISTIO_MUTUAL')], source: 'destination-rule', scope: 'mesh' },
  { name: 'mesh DR DISABLE', autoMtls: true, drs: [dr(ROOT, 'mesh-plain', '*.local', 'DISABLE')], source: 'destination-rule', scope: 'mesh' },
];

type NsPolicy = 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'UNSET' | 'none';
type MeshPolicy = 'STRICT' | 'PERMISSIVE' | 'DISABLE' | 'none';

/**
 * Kiali's verdict per namespace policy × mesh policy, one column per CLIENTS entry. A namespace's own decisive verdict
 * (ENABLED/DISABLED) stands; a partial one takes what it lacks from the mesh; no policy of its own inherits the mesh's.
 */
const NAMESPACE_MATRIX: Array<[NsPolicy, MeshPolicy, KialiMtlsStatus[]]> = [
  ['STRICT', 'STRICT', [E, P, E, P, E, E]],
  ['STRICT', 'PERMISSIVE', [E, P, E, P, E, E]],
  ['STRICT', 'DISABLE', [E, P, E, P, E, E]],
  ['STRICT', 'none', [E, P, E, P, E, E]],
  ['PERMISSIVE', 'STRICT', [P, P, P, P, P, P]],
  ['PERMISSIVE', 'PERMISSIVE', [P, P, P, P, P, P]],
  ['PERMISSIVE', 'DISABLE', [P, P, P, P, P, P]],
  ['PERMISSIVE', 'none', [P, P, P, P, P, P]],
  ['DISABLE', 'STRICT', [D, D, P, D, D, D]],
  ['DISABLE', 'PERMISSIVE', [D, D, P, D, D, D]],
  ['DISABLE', 'DISABLE', [D, D, P, D, D, D]],
  ['DISABLE', 'none', [D, D, P, D, D, D]],
  ...(['UNSET', 'none'] as const).flatMap((ns): Array<[NsPolicy, MeshPolicy, KialiMtlsStatus[]]> => [
    [ns, 'STRICT', [E, P, E, P, E, P]],
    [ns, 'PERMISSIVE', [P, P, P, P, P, P]],
    [ns, 'DISABLE', [D, D, P, D, P, D]],
    [ns, 'none', [N, N, E, D, E, D]],
  ]),
];

describe('namespaceMtlsStatus: the config-status matrix', () => {
  const cases = NAMESPACE_MATRIX.flatMap(([nsPolicy, meshPolicy, statuses]) =>
    CLIENTS.map((client, i) => ({ nsPolicy, meshPolicy, client, expected: statuses[i]! })),
  );

  it.each(cases)('namespace $nsPolicy, mesh $meshPolicy, $client.name → $expected', ({ nsPolicy, meshPolicy, client, expected }) => {
    const pas = [
      ...(nsPolicy === 'none' ? [] : [pa(NS, 'default', { mode: nsPolicy })]),
      ...(meshPolicy === 'none' ? [] : [pa(ROOT, 'default', { mode: meshPolicy })]),
    ];
    const result = namespaceMtlsStatus(input({ peerAuthentications: pas, destinationRules: client.drs, autoMtls: client.autoMtls }));

    expect(result.status).toBe(expected);
    const ownMode = nsPolicy !== 'none' && nsPolicy !== 'UNSET';
    expect(result.inherited).toBe(!ownMode);
    const expectedMode = ownMode ? nsPolicy : meshPolicy === 'none' ? undefined : meshPolicy;
    expect(result.server.mode).toBe(expectedMode);
    expect(result.server.runtimeMode).toBe(expectedMode ?? 'PERMISSIVE');
    expect(result.server.policy).toEqual(
      ownMode ? { kind: 'PeerAuthentication', namespace: NS, name: 'default' } : meshPolicy === 'none' ? undefined : { kind: 'PeerAuthentication', namespace: ROOT, name: 'default' },
    );
    expect(result.client.source).toBe(client.source);
    if (result.client.source === 'destination-rule') {
      expect(result.client.scope).toBe(client.scope);
      expect(result.decidedBy).toContainEqual(result.client.rule);
    }
  });
});

describe('meshMtlsStatus: the config-status matrix', () => {
  const meshClients = [
    { name: 'no DR, auto-mTLS on', autoMtls: true, drs: [] as DestinationRule[] },
    { name: 'no DR, auto-mTLS off', autoMtls: false, drs: [] },
    { name: '*.local DR ISTIO_MUTUAL', autoMtls: true, drs: [dr(ROOT, 'mesh', '*.local', 'ISTIO_MUTUAL')] },
    { name: '*.local DR DISABLE', autoMtls: true, drs: [dr(ROOT, 'mesh', '*.local', 'DISABLE')] },
    { name: '*.local DR ISTIO_MUTUAL, auto-mTLS off', autoMtls: false, drs: [dr(ROOT, 'mesh', '*.local', 'ISTIO_MUTUAL')] },
  ];
  const matrix: Array<[MtlsMode | 'none', KialiMtlsStatus[]]> = [
    ['STRICT', [E, P, E, P, E]],
    ['PERMISSIVE', [P, P, P, P, P]],
    ['DISABLE', [D, D, P, D, P]],
    // istiod runs an UNSET mesh policy as PERMISSIVE by default, i.e. as no policy; so does this
    ['UNSET', [N, N, E, D, P]],
    ['none', [N, N, E, D, P]],
  ];
  const cases = matrix.flatMap(([meshPolicy, statuses]) => meshClients.map((client, i) => ({ meshPolicy, client, expected: statuses[i]! })));

  it.each(cases)('mesh $meshPolicy, $client.name → $expected', ({ meshPolicy, client, expected }) => {
    const pas = meshPolicy === 'none' ? [] : [pa(ROOT, 'default', { mode: meshPolicy })];
    const result = meshMtlsStatus({ rootNamespace: ROOT, peerAuthentications: pas, destinationRules: client.drs, autoMtls: client.autoMtls });
    expect(result.status).toBe(expected);
    expect(result.scope).toBe('mesh');
    expect(result.inherited).toBe(false);
    const setsMode = meshPolicy !== 'none' && meshPolicy !== 'UNSET';
    expect(result.server.mode).toBe(setsMode ? meshPolicy : undefined);
    expect(result.server.scope).toBe(setsMode ? 'mesh' : 'default');
  });
});

describe('how the result names its sources', () => {
  it('says a namespace without a policy inherits the mesh policy, and which one', () => {
    const result = namespaceMtlsStatus(input({ peerAuthentications: [pa(ROOT, 'default', { mode: 'STRICT' })] }));
    expect(describeServerSide(result)).toBe('Strict (inherited from mesh: istio-system/default)');
    expect(result.decidedBy).toEqual([{ kind: 'PeerAuthentication', namespace: ROOT, name: 'default' }]);
    expect(result.client).toEqual({ source: 'auto-mtls', mtls: true });
  });

  it("names a namespace's own policy and DestinationRule", () => {
    const result = namespaceMtlsStatus(
      input({
        peerAuthentications: [pa(NS, 'ns-policy', { mode: 'PERMISSIVE' }), pa(ROOT, 'default', { mode: 'STRICT' })],
        destinationRules: [dr(NS, 'ns-rule', NS_HOST, 'ISTIO_MUTUAL')],
      }),
    );
    expect(describeServerSide(result)).toBe('Permissive (bookinfo/ns-policy)');
    expect(result.decidedBy).toEqual([
      { kind: 'PeerAuthentication', namespace: NS, name: 'ns-policy' },
      { kind: 'DestinationRule', namespace: NS, name: 'ns-rule' },
    ]);
    expect(result.client).toMatchObject({ source: 'destination-rule', scope: 'namespace', tlsMode: 'ISTIO_MUTUAL', mtls: true });
  });

  it('lists an UNSET namespace policy as deferring, and inherits past it', () => {
    const result = namespaceMtlsStatus(input({ peerAuthentications: [pa(NS, 'default', { mode: 'UNSET' }), pa(ROOT, 'default', { mode: 'DISABLE' })] }));
    expect(result.inherited).toBe(true);
    expect(result.server).toMatchObject({ mode: 'DISABLE', scope: 'mesh', unsetPolicies: [{ kind: 'PeerAuthentication', namespace: NS, name: 'default' }] });
    expect(result.decidedBy.map((r) => `${r.namespace}/${r.name}`)).toEqual(['bookinfo/default', 'istio-system/default']);
    expect(result.client).toEqual({ source: 'auto-mtls', mtls: false });
  });

  it('says "Not set" when nothing sets a mode, naming policies that leave it UNSET', () => {
    expect(describeServerSide(namespaceMtlsStatus(input({})))).toBe('Not set (runs Permissive)');
    const result = namespaceMtlsStatus(input({ peerAuthentications: [pa(NS, 'default', { noMtls: true }), pa(ROOT, 'default', { mode: 'UNSET' })] }));
    expect(result.server).toMatchObject({ mode: undefined, runtimeMode: 'PERMISSIVE', scope: 'default' });
    expect(describeServerSide(result)).toBe('Not set (bookinfo/default is UNSET; istio-system/default is UNSET; runs Permissive)');
    expect(result.status).toBe(N);
  });

  it('gives the root namespace the mesh status', () => {
    const result = namespaceMtlsStatus(input({ namespace: ROOT, peerAuthentications: [pa(ROOT, 'default', { mode: 'STRICT' })] }));
    expect(result).toMatchObject({ scope: 'mesh', namespace: ROOT, status: E, inherited: false });
  });
});

describe('which objects count', () => {
  it('treats a selector with empty matchLabels as namespace-wide, as istiod does', () => {
    const result = namespaceMtlsStatus(input({ peerAuthentications: [pa(NS, 'empty-selector', { mode: 'STRICT', selector: {} })] }));
    expect(result.server).toMatchObject({ mode: 'STRICT', scope: 'namespace' });
    expect(result.status).toBe(E);
  });

  it('counts DestinationRules only for the exact wildcard host, and only when they set TLS', () => {
    const strict = [pa(NS, 'default', { mode: 'STRICT' })];
    const ignored = [
      dr(NS, 'one-service', `reviews.${NS}.svc.${DOMAIN}`, 'DISABLE'),
      dr(NS, 'other-domain', `*.${NS}.svc.example.org`, 'DISABLE'),
      dr(NS, 'no-tls', NS_HOST, 'none'),
      dr(ROOT, 'mesh-no-tls', '*.local', 'none'),
    ];
    const result = namespaceMtlsStatus(input({ peerAuthentications: strict, destinationRules: ignored }));
    expect(result.client.source).toBe('auto-mtls');
    expect(result.status).toBe(E);

    const withDomain = namespaceMtlsStatus(input({ clusterDomain: 'example.org', peerAuthentications: strict, destinationRules: ignored }));
    expect(withDomain.client).toMatchObject({ source: 'destination-rule', rule: { name: 'other-domain' }, tlsMode: 'DISABLE' });
    expect(withDomain.status).toBe(P);
  });

  it('reads tls: {} as DISABLE, the proto default', () => {
    const result = namespaceMtlsStatus(input({ peerAuthentications: [pa(NS, 'default', { mode: 'DISABLE' })], destinationRules: [dr(NS, 'empty-tls', NS_HOST, 'empty')] }));
    expect(result.client).toMatchObject({ source: 'destination-rule', tlsMode: 'DISABLE', mtls: false });
    expect(result.status).toBe(D);
  });

  it('counts MUTUAL like ISTIO_MUTUAL and SIMPLE as neither', () => {
    const strict = [pa(NS, 'default', { mode: 'STRICT' })];
    expect(namespaceMtlsStatus(input({ autoMtls: false, peerAuthentications: strict, destinationRules: [dr(NS, 'r', NS_HOST, 'MUTUAL')] })).status).toBe(E);
    expect(namespaceMtlsStatus(input({ peerAuthentications: strict, destinationRules: [dr(NS, 'r', NS_HOST, 'SIMPLE')] })).status).toBe(P);
  });

  it("prefers the namespace's own wildcard rule over one elsewhere and reports the disagreement", () => {
    const result = namespaceMtlsStatus(
      input({
        peerAuthentications: [pa(NS, 'default', { mode: 'STRICT' })],
        destinationRules: [dr('other', 'elsewhere', NS_HOST, 'DISABLE', '2025-01-01T00:00:00Z'), dr(NS, 'own', NS_HOST, 'ISTIO_MUTUAL', '2026-06-01T00:00:00Z')],
      }),
    );
    expect(result.client).toMatchObject({ rule: { namespace: NS, name: 'own' } });
    expect(result.status).toBe(E);
    expect(result.conflicts).toEqual([expect.objectContaining({ code: 'multiple-destination-rules', winner: { kind: 'DestinationRule', namespace: NS, name: 'own' } })]);
  });

  it('takes a namespace rule from another namespace when there is no own one, as Kiali does', () => {
    const result = namespaceMtlsStatus(input({ peerAuthentications: [pa(NS, 'default', { mode: 'STRICT' })], destinationRules: [dr('other', 'elsewhere', NS_HOST, 'ISTIO_MUTUAL')] }));
    expect(result.client).toMatchObject({ scope: 'namespace', rule: { namespace: 'other', name: 'elsewhere' } });
  });
});

describe('conflicts: the oldest selector-less policy wins', () => {
  it('applies the oldest namespace policy and names the ones Istio ignores', () => {
    const result = namespaceMtlsStatus(
      input({
        peerAuthentications: [
          pa(NS, 'newer-strict', { mode: 'STRICT', created: '2026-03-01T10:00:00Z' }),
          pa(NS, 'older-disable', { mode: 'DISABLE', created: '2026-03-01T09:59:59Z' }),
        ],
      }),
    );
    expect(result.server).toMatchObject({ mode: 'DISABLE', policy: { name: 'older-disable' } });
    expect(result.status).toBe(D);
    expect(result.conflicts).toEqual([
      {
        code: 'multiple-scope-policies',
        message: expect.stringContaining('Istio applies the oldest, bookinfo/older-disable'),
        winner: { kind: 'PeerAuthentication', namespace: NS, name: 'older-disable' },
        objects: [
          { kind: 'PeerAuthentication', namespace: NS, name: 'older-disable' },
          { kind: 'PeerAuthentication', namespace: NS, name: 'newer-strict' },
        ],
      },
    ]);
  });

  it('breaks a tie in creation time (second precision) by name, as istiod does', () => {
    const same = '2026-03-01T10:00:00Z';
    const result = namespaceMtlsStatus(input({ peerAuthentications: [pa(NS, 'zz', { mode: 'STRICT', created: same }), pa(NS, 'aa', { mode: 'PERMISSIVE', created: same })] }));
    expect(result.server.policy?.name).toBe('aa');
  });

  it('lets an older UNSET policy win, so the namespace inherits even though a newer one says STRICT', () => {
    const result = namespaceMtlsStatus(
      input({
        peerAuthentications: [
          pa(NS, 'old-unset', { mode: 'UNSET', created: '2026-01-01T00:00:00Z' }),
          pa(NS, 'new-strict', { mode: 'STRICT', created: '2026-02-01T00:00:00Z' }),
          pa(ROOT, 'default', { mode: 'PERMISSIVE' }),
        ],
      }),
    );
    expect(result.inherited).toBe(true);
    expect(result.server).toMatchObject({ mode: 'PERMISSIVE', scope: 'mesh' });
    expect(result.conflicts.map((c) => c.code)).toEqual(['multiple-scope-policies']);
  });

  it('does the same for mesh policies, and reports selector policies in the root namespace as ignored', () => {
    const result = meshMtlsStatus({
      rootNamespace: ROOT,
      autoMtls: true,
      destinationRules: [],
      peerAuthentications: [
        pa(ROOT, 'b-mesh', { mode: 'PERMISSIVE', created: '2026-01-02T00:00:00Z' }),
        pa(ROOT, 'a-mesh', { mode: 'STRICT', created: '2026-01-01T00:00:00Z' }),
        pa(ROOT, 'ingress', { mode: 'DISABLE', selector: { app: 'istio-ingressgateway' } }),
      ],
    });
    expect(result.server.policy?.name).toBe('a-mesh');
    expect(result.status).toBe(E);
    expect(result.conflicts.map((c) => [c.code, c.winner?.name, c.objects.map((o) => o.name)])).toEqual([
      ['multiple-scope-policies', 'a-mesh', ['a-mesh', 'b-mesh']],
      ['ignored-root-workload-policy', undefined, ['ingress']],
    ]);
  });
});

describe('overrides', () => {
  const strictNamespace = pa(NS, 'default', { mode: 'STRICT' });

  it('lists workload and port-level policies that run another mode than their parent', () => {
    const result = namespaceMtlsStatus(
      input({
        peerAuthentications: [
          strictNamespace,
          pa(NS, 'legacy', { mode: 'PERMISSIVE', selector: { app: 'legacy' } }),
          pa(NS, 'metrics-port', { mode: 'UNSET', selector: { app: 'api' }, ports: { '9090': 'DISABLE', '8080': 'UNSET' } }),
          pa(NS, 'redundant', { mode: 'STRICT', selector: { app: 'web' } }),
        ],
      }),
    );
    expect(result.status).toBe(E);
    expect(result.overrides).toEqual([
      {
        scope: 'workload',
        policy: { kind: 'PeerAuthentication', namespace: NS, name: 'legacy' },
        selector: { app: 'legacy' },
        declaredMode: 'PERMISSIVE',
        mode: 'PERMISSIVE',
        parentMode: 'STRICT',
        effect: 'weakens',
      },
      {
        scope: 'port',
        policy: { kind: 'PeerAuthentication', namespace: NS, name: 'metrics-port' },
        selector: { app: 'api' },
        port: 9090,
        declaredMode: 'DISABLE',
        mode: 'DISABLE',
        parentMode: 'STRICT',
        effect: 'weakens',
      },
    ]);
  });

  it('resolves an UNSET port against its workload, and a workload against the inherited mesh mode', () => {
    const result = namespaceMtlsStatus(
      input({
        peerAuthentications: [pa(ROOT, 'default', { mode: 'PERMISSIVE' }), pa(NS, 'hardened', { mode: 'STRICT', selector: { app: 'db' }, ports: { '5432': 'UNSET', '9100': 'PERMISSIVE' } })],
      }),
    );
    expect(result.overrides.map((o) => [o.scope, o.port, o.mode, o.parentMode, o.effect])).toEqual([
      ['workload', undefined, 'STRICT', 'PERMISSIVE', 'strengthens'],
      ['port', 9100, 'PERMISSIVE', 'STRICT', 'weakens'],
    ]);
  });

  it('reports workload policies whose selectors overlap: the oldest applies to workloads both select', () => {
    const result = namespaceMtlsStatus(
      input({
        peerAuthentications: [
          strictNamespace,
          pa(NS, 'broad', { mode: 'PERMISSIVE', selector: { app: 'api' }, created: '2026-01-01T00:00:00Z' }),
          pa(NS, 'narrow', { mode: 'DISABLE', selector: { app: 'api', version: 'v2' }, created: '2026-01-02T00:00:00Z' }),
          pa(NS, 'unrelated', { mode: 'DISABLE', selector: { app: 'web' }, created: '2026-01-03T00:00:00Z' }),
        ],
      }),
    );
    expect(result.conflicts.map((c) => [c.code, c.winner?.name, c.objects.map((o) => o.name)])).toEqual([['overlapping-workload-policies', 'broad', ['broad', 'narrow']]]);
  });

  it('lists namespaces whose own policy departs from the mesh mode in the mesh result', () => {
    const result = meshMtlsStatus({
      rootNamespace: ROOT,
      autoMtls: true,
      destinationRules: [],
      peerAuthentications: [pa(ROOT, 'default', { mode: 'STRICT' }), pa('legacy', 'default', { mode: 'PERMISSIVE' }), pa('same', 'default', { mode: 'STRICT' }), pa('defers', 'default', { mode: 'UNSET' })],
    });
    expect(result.overrides).toEqual([
      { scope: 'namespace', policy: { kind: 'PeerAuthentication', namespace: 'legacy', name: 'default' }, declaredMode: 'PERMISSIVE', mode: 'PERMISSIVE', parentMode: 'STRICT', effect: 'weakens' },
    ]);
  });
});

describe('TLS mismatches between client and server side', () => {
  it('flags a mesh DR that disables TLS towards a STRICT namespace (Kiali still says ENABLED)', () => {
    const result = namespaceMtlsStatus(input({ peerAuthentications: [pa(NS, 'default', { mode: 'STRICT' })], destinationRules: [dr(ROOT, 'plain', '*.local', 'DISABLE')] }));
    expect(result.status).toBe(E);
    expect(result.conflicts).toEqual([
      {
        code: 'tls-mismatch',
        message: expect.stringContaining('istio-system/plain sets TLS DISABLE'),
        objects: [
          { kind: 'PeerAuthentication', namespace: NS, name: 'default' },
          { kind: 'DestinationRule', namespace: ROOT, name: 'plain' },
        ],
      },
    ]);
  });

  it('flags STRICT with auto-mTLS off and no DestinationRule, and ISTIO_MUTUAL towards DISABLE', () => {
    const strictNoAuto = namespaceMtlsStatus(input({ autoMtls: false, peerAuthentications: [pa(NS, 'default', { mode: 'STRICT' })] }));
    expect(strictNoAuto.conflicts.map((c) => c.code)).toEqual(['tls-mismatch']);
    const mutualToDisabled = meshMtlsStatus({ rootNamespace: ROOT, autoMtls: true, peerAuthentications: [pa(ROOT, 'default', { mode: 'DISABLE' })], destinationRules: [dr(ROOT, 'm', '*.local', 'ISTIO_MUTUAL')] });
    expect(mutualToDisabled.conflicts.map((c) => c.code)).toEqual(['tls-mismatch']);
  });

  it('finds none with auto-mTLS, which follows the server side', () => {
    for (const mode of ['STRICT', 'PERMISSIVE', 'DISABLE'] as const) {
      expect(namespaceMtlsStatus(input({ peerAuthentications: [pa(NS, 'default', { mode })] })).conflicts).toEqual([]);
    }
  });
});
