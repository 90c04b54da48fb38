import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationPolicy } from '@/lib/kube/authorizationpolicies';
import type { K8sGateway } from '@/lib/kube/k8s-gateways';
import type { MtlsMode, PeerAuthentication } from '@/lib/kube/peerauthentications';
import type { Pod } from '@/lib/kube/pods';
import { ambientInfo, waypointRefs } from '@/lib/mesh/ambient';
import { l7Attributes, needsWaypoint } from '@/lib/mesh/authz/l7';
import { ztunnelConditionMessage } from '@/lib/mesh/checkers/ambient-l7-policy';
import { ztunnelPortMtls } from '@/lib/mesh/checkers/ambient-port-mtls';
import { HUB_NAMESPACE, notebookPod } from './helpers';
import { Oracle, oracleBinary, type OracleAmbient, type OracleAmbientPolicy, type OracleVerdict } from './oracle/client';
import { objectsYaml } from './oracle/routing-case';
import { ztunnelAllows } from './oracle/ztunnel-authz';

/**
 * Ambient mode as Istio's own code sees it (istio-oracle with `ambient`: an istiod started with ambient on):
 * what ztunnel receives for notebook pods shaped as the test cluster's kwok pods (no istio-proxy container,
 * ambient labels and annotations), which waypoint they are bound to, and the conditions istiod writes on
 * AuthorizationPolicies. Each case is also judged by hubmesh's pure evaluation (lib/mesh/ambient.ts,
 * lib/mesh/authz/l7.ts), which must agree with Istio. Needs no cluster, only the oracle binary.
 */

type Labels = Record<string, string>;

const namespace = (labels: Labels) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: HUB_NAMESPACE, labels } });

/** A notebook pod as KubeSpawner makes it, with what kwok and istio-cni add: an IP, Running and Ready, the redirection annotation. */
function ambientNotebook(user: string, ip: string, extra: { labels?: Labels; annotations?: Labels; sidecar?: boolean } = {}): Pod {
  const pod = notebookPod(`jupyter-${user}`, user, { sidecar: extra.sidecar ?? false });
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      name: `jupyter-${user}`,
      namespace: HUB_NAMESPACE,
      labels: { ...pod.metadata?.labels, ...extra.labels },
      annotations: { ...pod.metadata?.annotations, ...extra.annotations },
    },
    spec: { ...pod.spec!, serviceAccountName: 'default', nodeName: 'kwok-node' },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] },
  } as Pod;
}

const redirected = { 'ambient.istio.io/redirection': 'enabled' };

const notebookService = (user: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: `jupyter-${user}`, namespace: HUB_NAMESPACE },
  spec: { selector: { 'hub.jupyter.org/username': user }, ports: [{ name: 'http', port: 8888, targetPort: 8888 }] },
});

/** a waypoint Gateway as its controller reports it once the proxy runs (ready: an address), or before (a condition only) */
const waypoint = (forTraffic: string, ready = true): K8sGateway =>
  ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: HUB_NAMESPACE, labels: { 'istio.io/waypoint-for': forTraffic } },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    status: ready
      ? { addresses: [{ type: 'Hostname', value: `waypoint.${HUB_NAMESPACE}.svc.cluster.local` }] }
      : { conditions: [{ type: 'Programmed', status: 'False', reason: 'Pending', message: 'waiting for the deployment', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  }) as K8sGateway;

const policy = (name: string, spec: Record<string, unknown>): AuthorizationPolicy =>
  ({ apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace: HUB_NAMESPACE }, spec }) as AuthorizationPolicy;

const aliceOnly = { matchLabels: { 'hub.jupyter.org/username': 'alice' } };

type AmbientScenario = {
  name: string;
  namespaceLabels: Labels;
  pods: Pod[];
  waypoints?: K8sGateway[];
  policies?: AuthorizationPolicy[];
};

const ambientNamespace = { 'istio.io/dataplane-mode': 'ambient' };

const scenarios = {
  mixed: {
    name: 'an ambient namespace: enrolled, opted-out, sidecar and not-yet-redirected pods',
    namespaceLabels: ambientNamespace,
    pods: [
      ambientNotebook('alice', '10.10.0.11', { annotations: redirected }),
      ambientNotebook('bob', '10.10.0.12', { labels: { 'istio.io/dataplane-mode': 'none' } }),
      ambientNotebook('carol', '10.10.0.13', { sidecar: true }),
      ambientNotebook('dave', '10.10.0.14'),
    ],
  },
  ownLabel: {
    name: 'a namespace outside ambient, one pod enrolled by its own label',
    namespaceLabels: {},
    pods: [ambientNotebook('alice', '10.10.0.11', { labels: { 'istio.io/dataplane-mode': 'ambient' }, annotations: redirected }), ambientNotebook('bob', '10.10.0.12')],
  },
  workloadWaypoint: {
    name: 'use-waypoint on the namespace, workload waypoint present',
    namespaceLabels: { ...ambientNamespace, 'istio.io/use-waypoint': 'waypoint' },
    pods: [ambientNotebook('alice', '10.10.0.11', { annotations: redirected })],
    waypoints: [waypoint('all')],
  },
  serviceWaypoint: {
    name: 'use-waypoint on the namespace, waypoint for services only',
    namespaceLabels: { ...ambientNamespace, 'istio.io/use-waypoint': 'waypoint' },
    pods: [ambientNotebook('alice', '10.10.0.11', { annotations: redirected })],
    waypoints: [waypoint('service')],
  },
  waypointNotReady: {
    name: 'use-waypoint on the namespace, waypoint not running yet',
    namespaceLabels: { ...ambientNamespace, 'istio.io/use-waypoint': 'waypoint' },
    pods: [ambientNotebook('alice', '10.10.0.11', { annotations: redirected })],
    waypoints: [waypoint('all', false)],
  },
  missingWaypoint: {
    name: 'use-waypoint on the pod, waypoint absent',
    namespaceLabels: ambientNamespace,
    pods: [ambientNotebook('alice', '10.10.0.11', { labels: { 'istio.io/use-waypoint': 'waypoint' }, annotations: redirected })],
  },
  podWaypoint: {
    name: 'use-waypoint on the pod, waypoint present; the namespace opts out with none',
    namespaceLabels: ambientNamespace,
    pods: [
      ambientNotebook('alice', '10.10.0.11', { labels: { 'istio.io/use-waypoint': 'waypoint' }, annotations: redirected }),
      ambientNotebook('bob', '10.10.0.12', { labels: { 'istio.io/use-waypoint': 'none' }, annotations: redirected }),
    ],
    waypoints: [waypoint('workload')],
  },
  policies: {
    name: 'L4 and L7 policies on ambient pods without a waypoint',
    namespaceLabels: ambientNamespace,
    pods: [ambientNotebook('alice', '10.10.0.11', { annotations: redirected })],
    policies: [
      policy('from-proxy', {
        selector: aliceOnly,
        action: 'ALLOW',
        rules: [{ from: [{ source: { principals: ['cluster.local/ns/jupyterhub/sa/proxy'] } }], to: [{ operation: { ports: ['8888'] } }] }],
      }),
      policy('api-only', { selector: aliceOnly, action: 'ALLOW', rules: [{ to: [{ operation: { methods: ['GET'], paths: ['/user/alice/api/*'] } }] }] }),
      policy('no-terminals', { action: 'DENY', rules: [{ to: [{ operation: { paths: ['*/terminals/*'] } }], when: [{ key: 'request.headers[x-user]', values: ['eve'] }] }] }),
      policy('ext-authz', { selector: aliceOnly, action: 'CUSTOM', provider: { name: 'oauth2-proxy' }, rules: [{}] }),
    ],
  },
  waypointPolicy: {
    name: 'an L7 policy attached to the waypoint',
    namespaceLabels: { ...ambientNamespace, 'istio.io/use-waypoint': 'waypoint' },
    pods: [ambientNotebook('alice', '10.10.0.11', { annotations: redirected })],
    waypoints: [waypoint('service')],
    policies: [
      policy('api-only-at-waypoint', {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
        action: 'ALLOW',
        rules: [{ to: [{ operation: { methods: ['GET'], paths: ['/user/alice/api/*'] } }] }],
      }),
    ],
  },
} satisfies Record<string, AmbientScenario>;
const allScenarios: AmbientScenario[] = Object.values(scenarios);

function objectsOf(s: AmbientScenario): string {
  const users = s.pods.map((p) => p.metadata.labels?.['hub.jupyter.org/username'] ?? '');
  return objectsYaml([namespace(s.namespaceLabels), ...s.pods, ...users.map(notebookService), ...(s.waypoints ?? []), ...(s.policies ?? [])]);
}

describe('ambient mode, as Istio sees it (istio-oracle)', () => {
  let oracle: Oracle;
  const verdicts = new Map<string, OracleVerdict>();

  beforeAll(async () => {
    oracle = new Oracle(oracleBinary());
    await Promise.all(allScenarios.map(async (s) => verdicts.set(s.name, await oracle.judge({ objects: objectsOf(s), requests: [], ambient: true }))));
  }, 240_000);

  afterAll(async () => {
    await oracle?.close();
  });

  const ambientOf = (s: AmbientScenario): OracleAmbient => {
    const v = verdicts.get(s.name)!;
    expect(v.error).toBe('');
    expect(v.ambient).toBeDefined();
    return v.ambient!;
  };
  const workloadOf = (a: OracleAmbient, user: string) => {
    const w = a.workloads.find((x) => x.name === `jupyter-${user}`);
    if (!w) throw new Error(`Istio has no workload for ${user}: ${JSON.stringify(a.workloads.map((x) => x.name))}`);
    return w;
  };
  const policyOf = (a: OracleAmbient, name: string): OracleAmbientPolicy => a.policies.find((p) => p.name === name)!;
  const condition = (p: OracleAmbientPolicy, type: string) => p.conditions.find((c) => c.type === type);

  it('Istio captures only redirected pods and istio-cni enrolls by its own rules', () => {
    const a = ambientOf(scenarios.mixed);
    expect(workloadOf(a, 'alice')).toMatchObject({ tunnelProtocol: 'HBONE', capturedByZtunnel: true, cniEnrolls: true });
    expect(workloadOf(a, 'bob')).toMatchObject({ tunnelProtocol: 'NONE', cniEnrolls: false });
    expect(workloadOf(a, 'carol')).toMatchObject({ tunnelProtocol: 'NONE', cniEnrolls: false });
    // enrolled by the namespace, but istio-cni has not redirected it yet: ztunnel does not capture it
    expect(workloadOf(a, 'dave')).toMatchObject({ tunnelProtocol: 'NONE', cniEnrolls: true, redirectionAnnotation: '' });
  });

  it('a workload waypoint binds the pod; a service waypoint or a missing one does not', () => {
    expect(workloadOf(ambientOf(scenarios.workloadWaypoint), 'alice').waypoint).toBe('jupyterhub/waypoint.jupyterhub.svc.cluster.local');
    const serviceOnly = ambientOf(scenarios.serviceWaypoint);
    expect(workloadOf(serviceOnly, 'alice').waypoint).toBe('');
    expect(serviceOnly.services.find((svc) => svc.name === 'jupyter-alice')).toMatchObject({
      waypoint: 'jupyterhub/waypoint.jupyterhub.svc.cluster.local',
      waypointBound: { status: true, reason: 'WaypointAccepted' },
    });
    expect(workloadOf(ambientOf(scenarios.missingWaypoint), 'alice').waypoint).toBe('');
    const notReady = ambientOf(scenarios.waypointNotReady);
    expect(workloadOf(notReady, 'alice').waypoint).toBe('');
    expect(notReady.waypoints).toEqual([]);
    expect(notReady.services.find((svc) => svc.name === 'jupyter-alice')?.waypointBound).toMatchObject({ status: false, reason: 'WaypointIsNotReady' });
  });

  it('ztunnel takes the L4 policy and accepts the L7 ones with their HTTP rules dropped, in Istio words', () => {
    const a = ambientOf(scenarios.policies);
    expect(condition(policyOf(a, 'from-proxy'), 'ZtunnelAccepted')).toEqual({ type: 'ZtunnelAccepted', status: true, reason: 'Accepted', message: 'attached to ztunnel' });
    expect(condition(policyOf(a, 'api-only'), 'ZtunnelAccepted')).toEqual({
      type: 'ZtunnelAccepted',
      status: true,
      reason: 'UnsupportedValue',
      message:
        'ztunnel does not support HTTP attributes (found: methods, paths). In ambient mode you must use a waypoint proxy to enforce HTTP rules. ' +
        'Within an ALLOW policy, rules matching HTTP attributes are omitted. This will be more restrictive than requested.',
    });
    const custom = policyOf(a, 'ext-authz');
    expect(condition(custom, 'ZtunnelAccepted')).toMatchObject({ status: false, reason: 'UnsupportedValue', message: 'ztunnel does not support the CUSTOM action' });
    expect(custom.ztunnel).toBeUndefined();
    expect(policyOf(a, 'from-proxy').appliesTo).toEqual(['jupyterhub/jupyter-alice']);
  });

  it('a policy attached to the waypoint is bound there and enforced by the waypoint proxy on the Service', () => {
    const a = ambientOf(scenarios.waypointPolicy);
    const p = policyOf(a, 'api-only-at-waypoint');
    expect(p.conditions).toEqual([{ type: 'WaypointAccepted', status: true, reason: 'Accepted', message: 'bound to jupyterhub/waypoint' }]);
    expect(p.ztunnel).toBeUndefined();
    const [proxy] = a.waypoints;
    const chain = proxy?.proxy.find((c) => c.chain.name === 'inbound-vip|8888|http|jupyter-alice.jupyterhub.svc.cluster.local');
    expect(chain?.filters.map((f) => JSON.stringify(f.config)).some((c) => c.includes('policy[api-only-at-waypoint]') && c.includes('/user/alice/api/'))).toBe(true);
    expect(a.analysis).toEqual([]);
  });

  describe('hubmesh agrees with Istio', () => {
    it.each(allScenarios.map((s) => [s.name, s] as const))('%s: enrolment, capture and waypoint of every pod', (_name, s) => {
      const a = ambientOf(s);
      const refs = waypointRefs(s.waypoints ?? []);
      for (const pod of s.pods) {
        const istio = workloadOf(a, pod.metadata.labels?.['hub.jupyter.org/username'] ?? '');
        const mine = ambientInfo(pod, s.namespaceLabels, refs);
        expect({ pod: pod.metadata.name, enrolled: mine.enrolled }).toEqual({ pod: pod.metadata.name, enrolled: istio.cniEnrolls });
        expect({ pod: pod.metadata.name, redirected: mine.redirected }).toEqual({ pod: pod.metadata.name, redirected: istio.capturedByZtunnel });
        const boundByMine = mine.waypoint?.found === true && mine.waypoint.ready && (mine.waypoint.for === 'workload' || mine.waypoint.for === 'all');
        expect({ pod: pod.metadata.name, waypoint: boundByMine }).toEqual({ pod: pod.metadata.name, waypoint: istio.waypoint !== '' });
      }
    });

    it.each(allScenarios.filter((s) => s.policies).map((s) => [s.name, s] as const))('%s: which policies need a waypoint, and why', (_name, s) => {
      const a = ambientOf(s);
      // hubmesh judges the policies ztunnel enforces, not those attached to a waypoint or gateway
      for (const p of s.policies!.filter((policy) => !policy.spec?.targetRefs?.length)) {
        const ztunnel = condition(policyOf(a, p.metadata.name), 'ZtunnelAccepted');
        expect({ policy: p.metadata.name, needsWaypoint: needsWaypoint(p) }).toEqual({ policy: p.metadata.name, needsWaypoint: ztunnel?.reason === 'UnsupportedValue' });
        const found = /found: ([^)]*)\)/.exec(ztunnel?.message ?? '')?.[1]?.split(', ') ?? [];
        expect({ policy: p.metadata.name, l7: l7Attributes(p) }).toEqual({ policy: p.metadata.name, l7: found });
        if (needsWaypoint(p)) expect({ policy: p.metadata.name, message: ztunnelConditionMessage(p) }).toEqual({ policy: p.metadata.name, message: ztunnel?.message });
      }
      // HM6005 says istioctl analyze reports only the unsupported action (ZtunnelAccepted False) as IST0171
      const reported = a.analysis.filter((m) => m.code === 'IST0171').map((m) => m.object);
      const unsupportedAction = s.policies!.filter((p) => !['ALLOW', 'DENY'].includes(String(p.spec?.action ?? 'ALLOW')));
      expect(reported).toEqual(unsupportedAction.map((p) => `AuthorizationPolicy ${p.metadata.namespace}/${p.metadata.name}`));
    });
  });
  describe('port-level mTLS under ambient: what ztunnel enforces, and hubmesh (HM4002) agrees', () => {
    const pa = (namespaceName: string, name: string, mode: MtlsMode, selector: boolean, ports: Record<string, MtlsMode> = {}): PeerAuthentication =>
      ({
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name, namespace: namespaceName },
        spec: {
          ...(selector ? { selector: aliceOnly } : {}),
          ...(mode === 'UNSET' ? {} : { mtls: { mode } }),
          ...(Object.keys(ports).length ? { portLevelMtls: Object.fromEntries(Object.entries(ports).map(([port, m]) => [port, { mode: m }])) } : {}),
        },
      }) as PeerAuthentication;
    type PaCase = { name: string; workload: PeerAuthentication; namespacePolicy?: PeerAuthentication; meshPolicy?: PeerAuthentication };
    const cases: PaCase[] = [
      { name: 'STRICT, 8888 PERMISSIVE', workload: pa(HUB_NAMESPACE, 'w', 'STRICT', true, { '8888': 'PERMISSIVE' }) },
      { name: 'STRICT, 8888 DISABLE', workload: pa(HUB_NAMESPACE, 'w', 'STRICT', true, { '8888': 'DISABLE' }) },
      { name: 'STRICT, 8888 STRICT', workload: pa(HUB_NAMESPACE, 'w', 'STRICT', true, { '8888': 'STRICT' }) },
      { name: 'PERMISSIVE, 8888 STRICT', workload: pa(HUB_NAMESPACE, 'w', 'PERMISSIVE', true, { '8888': 'STRICT' }) },
      { name: 'DISABLE, 8888 STRICT', workload: pa(HUB_NAMESPACE, 'w', 'DISABLE', true, { '8888': 'STRICT' }) },
      { name: 'UNSET under a STRICT namespace, 8888 PERMISSIVE', workload: pa(HUB_NAMESPACE, 'w', 'UNSET', true, { '8888': 'PERMISSIVE' }), namespacePolicy: pa(HUB_NAMESPACE, 'ns', 'STRICT', false) },
      { name: 'UNSET under a STRICT namespace, 8888 DISABLE', workload: pa(HUB_NAMESPACE, 'w', 'UNSET', true, { '8888': 'DISABLE' }), namespacePolicy: pa(HUB_NAMESPACE, 'ns', 'STRICT', false) },
      {
        name: 'UNSET under an UNSET namespace and a STRICT mesh, 8888 PERMISSIVE',
        workload: pa(HUB_NAMESPACE, 'w', 'UNSET', true, { '8888': 'PERMISSIVE' }),
        namespacePolicy: pa(HUB_NAMESPACE, 'ns', 'UNSET', false),
        meshPolicy: pa('istio-system', 'mesh', 'STRICT', false),
      },
      { name: 'PERMISSIVE under a STRICT mesh, 8888 STRICT', workload: pa(HUB_NAMESPACE, 'w', 'PERMISSIVE', true, { '8888': 'STRICT' }), meshPolicy: pa('istio-system', 'mesh', 'STRICT', false) },
      { name: 'UNSET under a PERMISSIVE namespace, 8888 STRICT', workload: pa(HUB_NAMESPACE, 'w', 'UNSET', true, { '8888': 'STRICT' }), namespacePolicy: pa(HUB_NAMESPACE, 'ns', 'PERMISSIVE', false) },
    ];
    const paVerdicts = new Map<string, OracleVerdict>();

    beforeAll(async () => {
      await Promise.all(
        cases.map(async (c) => {
          const policies = [c.workload, c.namespacePolicy, c.meshPolicy].filter((p) => p !== undefined);
          const objects = objectsYaml([namespace(ambientNamespace), ambientNotebook('alice', '10.10.0.11', { annotations: redirected }), notebookService('alice'), ...policies]);
          paVerdicts.set(c.name, await oracle.judge({ objects, requests: [], ambient: true }));
        }),
      );
    }, 240_000);

    const modeOf = (p: PeerAuthentication | undefined): MtlsMode => p?.spec?.mtls?.mode ?? 'UNSET';
    /** the mode the policies declare for a port: the port's, else the workload's, else the namespace's, else the mesh's */
    function declared(c: PaCase, port: number): MtlsMode {
      const chain = [c.workload.spec?.portLevelMtls?.[String(port)]?.mode ?? 'UNSET', modeOf(c.workload), modeOf(c.namespacePolicy), modeOf(c.meshPolicy)];
      return chain.find((m) => m !== 'UNSET') ?? 'PERMISSIVE';
    }
    /** plaintext reaches the port, by hubmesh's reading of istiod's conversion (ztunnelPortMtls) */
    function hubmeshPlaintextAccepted(c: PaCase, port: number): boolean {
      const r = ztunnelPortMtls(c.workload, c.namespacePolicy, c.meshPolicy);
      if (r.strictLost || r.strictPortsNotEnforced.includes(port)) return true;
      if (r.disablePortsStayStrict.includes(port)) return false;
      return declared(c, port) !== 'STRICT';
    }

    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const v = paVerdicts.get(c.name)!;
      expect(v.error).toBe('');
      const a = v.ambient!;
      const alice = workloadOf(a, 'alice');
      for (const port of [8888, 9999]) {
        const istio = ztunnelAllows(alice, a.ztunnelPolicies, { port });
        expect({ port, plaintextAccepted: hubmeshPlaintextAccepted(c, port) }).toEqual({ port, plaintextAccepted: istio });
        // a peer with an identity (HBONE mTLS) always gets in: no AuthorizationPolicy here
        expect(ztunnelAllows(alice, a.ztunnelPolicies, { port, identity: 'spiffe://cluster.local/ns/jupyterhub/sa/hub' })).toBe(true);
      }
      expect(policyOf(a, 'w').conditions).toEqual([]);
    });
  });
});
