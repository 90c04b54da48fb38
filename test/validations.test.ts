import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connect } from '@/lib/kube/connection';
import { destinationRuleKind, type DestinationRule } from '@/lib/kube/destinationrules';
import { envoyFilterKind, type EnvoyFilter } from '@/lib/kube/envoyfilters';
import { gatewayKind, type Gateway } from '@/lib/kube/gateways';
import { namespaceKind, type Namespace } from '@/lib/kube/namespaces';
import { networkPolicyKind, type NetworkPolicy } from '@/lib/kube/networkpolicies';
import { peerAuthenticationKind, type PeerAuthentication } from '@/lib/kube/peerauthentications';
import { podKind, type Pod } from '@/lib/kube/pods';
import { serviceKind, type Service } from '@/lib/kube/services';
import { authorizationPolicyKind, type AuthorizationPolicy } from '@/lib/kube/authorizationpolicies';
import type { KindDescriptor, KubeObject } from '@/lib/kube/types';
import { virtualServiceKind, type HTTPRoute, type VirtualService } from '@/lib/kube/virtualservices';
import { CATALOGUE, runValidations, type Finding, type ValidationSnapshot } from '@/lib/mesh/validations';
import type { Overlays } from '@/lib/routes/overlays';
import { renderRateLimitFilter } from '@/lib/routes/rate-limits';
import { renderRouteVirtualService } from '@/lib/routes/virtualservice';
import { clients, eventually, HUB_NAMESPACE, notebookPod, uniqueName, sceneCreators } from './helpers';

/**
 * The validations catalogue on a real apiserver: the admin creates, in the hub namespace, objects that break every
 * rule once (plus one healthy route and pod); the snapshot is listed through hubmesh's backends as the app identity,
 * the catalogue runs on it, and each expected finding must be there. Findings about other tests' objects are left out.
 */

const ROOT = 'istio-system';
const CLUSTER_DOMAIN = 'cluster.local';
const run = uniqueName('vt');
/** this run's objects all start with the run's name, and the hub routes carry it as hubmesh's prefix */
const PREFIX = run;
const HOST = `${run}.hub.test`;
const GATEWAY = `${run}-gw`;

const crd = (group: string, plural: string) => ({ group, version: 'v1', namespace: HUB_NAMESPACE, plural });
const gwGroup = crd('networking.istio.io', 'gateways');
const drGroup = crd('networking.istio.io', 'destinationrules');

const serviceHost = (name: string) => `${name}.${HUB_NAMESPACE}.svc.${CLUSTER_DOMAIN}`;

/** A route exactly as hubmesh renders it, bound to this run's gateway and host. */
function hubRoute(user: string, service: string, port: number, overlays?: Overlays): VirtualService {
  const path = `/user/${user}`;
  return renderRouteVirtualService(
    { path, data: { target: `http://${serviceHost(service)}:${port}`, user, server_name: '' }, lastActivity: new Date().toISOString() },
    { host: serviceHost(service), port },
    { namespace: HUB_NAMESPACE, prefix: PREFIX, gateway: `${HUB_NAMESPACE}/${GATEWAY}`, hosts: [HOST], hostRouting: false, routeTimeout: undefined },
    overlays,
  );
}

/** Someone else's VirtualService with one prefix rule. */
const foreignVirtualService = (name: string, prefix: string, gateways = [GATEWAY]): VirtualService => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name },
  spec: { hosts: [HOST], gateways, http: [{ match: [{ uri: { prefix } }], route: [{ destination: { host: serviceHost(`${run}-ok`) } }] } satisfies HTTPRoute] },
});

const kubeService = (name: string, portName: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name },
  spec: { selector: { app: name }, ports: [{ name: portName, port: 8888, targetPort: 8888 }] },
});

const labelled = (pod: V1Pod, app: string): V1Pod => ({ ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata!.labels, app } } });

/** The next second on the apiserver's clock, so istiod's creation-time order between two batches is certain. */
const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1_100));

describe('validations on real objects', () => {
  const { adminCore, adminCustom } = clients();
  const connection = connect(parseConfig({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
  const cleanups: Array<() => Promise<unknown>> = [];
  const { createPod, createService, createVirtualService } = sceneCreators(cleanups);

  const names = {
    namespace: `${run}-ns`,
    noGateway: `${run}-nogw`,
    dupOlder: `${run}-dup-a`,
    dupYounger: `${run}-dup-b`,
    shadow: `${run}-shadow`,
    late: `${run}-late`,
    rule: `${run}-plain`,
    carol: `${run}-carol`,
    dave: `${run}-dave`,
    ok: `${run}-ok`,
    filter: `${run}-rate-limits`,
    authz: `${run}-authz`,
  };
  const routes = {
    alice: hubRoute(`${run}-alice`, `${run}-alice`, 8888),
    ghost: hubRoute(`${run}-ghost`, `${run}-ghost`, 8888),
    port: hubRoute(`${run}-port`, `${run}-port`, 9999),
    tcp: hubRoute(`${run}-tcp`, `${run}-tcp`, 8888),
    ok: hubRoute(names.ok, names.ok, 8888),
    // rendered alone, as an older hubmesh did: it does not carry the named server created after it
    eve: hubRoute(`${run}-eve`, `${run}-alice`, 8888),
    // 4 tries of 10s cannot fit in 20s, and a timeout on a notebook's route cuts its kernels
    slow: hubRoute(`${run}-slow`, `${run}-alice`, 8888, { rules: [], retries: { attempts: 3, retryOn: 'reset', perTryTimeout: '10s' }, timeout: '20s' }),
    chaos: hubRoute(`${run}-chaos`, `${run}-alice`, 8888, { rules: [], fault: { abort: { percent: 5, httpStatus: 503 }, scope: 'everyone', expiresAt: new Date(Date.now() + 3_600_000).toISOString() } }),
  };
  const eveLab = hubRoute(`${run}-eve/lab2`, `${run}-alice`, 8888);




  /** What hubmesh itself can read, as the app identity: the hub namespace, plus policies of the root namespace. */
  async function listSnapshot(): Promise<ValidationSnapshot> {
    const list = async <T extends KubeObject>(kind: KindDescriptor, namespace = HUB_NAMESPACE) => (await connection.backend<T>(kind).list(namespace)).items;
    const [virtualServices, gateways, services, pods, hubRules, rootRules, hubPolicies, rootPolicies] = await Promise.all([
      list<VirtualService>(virtualServiceKind),
      list<Gateway>(gatewayKind),
      list<Service>(serviceKind),
      list<Pod>(podKind),
      list<DestinationRule>(destinationRuleKind),
      list<DestinationRule>(destinationRuleKind, ROOT),
      list<PeerAuthentication>(peerAuthenticationKind),
      list<PeerAuthentication>(peerAuthenticationKind, ROOT),
    ]);
    const namespaces = await Promise.all([HUB_NAMESPACE, names.namespace].map((n) => connection.backend<Namespace>(namespaceKind).get('', n)));
    return {
      namespace: HUB_NAMESPACE,
      rootNamespace: ROOT,
      clusterDomain: CLUSTER_DOMAIN,
      prefix: PREFIX,
      notebookSelector: 'component=singleuser-server',
      observedNamespaces: [HUB_NAMESPACE],
      virtualServices,
      gateways,
      services,
      pods,
      destinationRules: [...hubRules, ...rootRules],
      peerAuthentications: [...hubPolicies, ...rootPolicies],
      namespaces,
      // the mesh-wide policy belongs to other tests; this one states the mode it judges against
      effectiveMtls: { [HUB_NAMESPACE]: 'STRICT' },
      envoyFilters: (await list<EnvoyFilter>(envoyFilterKind, ROOT)).filter((f) => f.metadata.labels?.['hubmesh.io/prefix'] === PREFIX),
      // the notebook defaults ask for circuit breaking; names.rule (someone else's) configures ok's Service
      circuitBreaking: { outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 } },
      networkPolicies: await list<NetworkPolicy>(networkPolicyKind),
      authorizationPolicies: [...(await list<AuthorizationPolicy>(authorizationPolicyKind)), ...(await list<AuthorizationPolicy>(authorizationPolicyKind, ROOT))],
      trustDomain: 'cluster.local',
    };
  }

  let findings: Finding[] = [];

  beforeAll(async () => {
    cleanups.push(() => adminCore.deleteNamespace({ name: names.namespace }));
    await adminCore.createNamespace({ body: { metadata: { name: names.namespace } } });

    const gateway: Gateway = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: GATEWAY },
      spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
    };
    cleanups.push(() => adminCustom.deleteNamespacedCustomObject({ ...gwGroup, name: GATEWAY }));
    await adminCustom.createNamespacedCustomObject({ ...gwGroup, body: gateway });

    await Promise.all([
      createService(kubeService(`${run}-alice`, 'http')),
      createService(kubeService(`${run}-port`, 'http')),
      createService(kubeService(`${run}-tcp`, 'tcp-notebook')),
      createService(kubeService(names.ok, 'http')),
      createPod(labelled(notebookPod(names.ok, names.ok), names.ok)),
      createPod(notebookPod(names.carol, names.carol)),
      createPod(notebookPod(names.dave, names.dave, { sidecar: false })),
    ]);

    const rule: DestinationRule = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: names.rule },
      spec: { host: serviceHost(names.ok), trafficPolicy: { tls: { mode: 'DISABLE' } } },
    };
    cleanups.push(() => adminCustom.deleteNamespacedCustomObject({ ...drGroup, name: names.rule }));
    await adminCustom.createNamespacedCustomObject({ ...drGroup, body: rule });

    // a rate limit left for a route that is gone
    const filter = renderRateLimitFilter([{ path: `/user/${run}-gone`, virtualService: `${run}-gone`, envoyRoutes: [`route.${run}-gone`], limit: { requests: 5, per: 'second' } }], {
      name: names.filter,
      namespace: ROOT,
      prefix: PREFIX,
      gatewaySelector: { istio: 'ingressgateway' },
    });
    const efGroup = { group: 'networking.istio.io', version: 'v1alpha3', namespace: ROOT, plural: 'envoyfilters' };
    cleanups.push(() => adminCustom.deleteNamespacedCustomObject({ ...efGroup, name: names.filter }));
    await adminCustom.createNamespacedCustomObject({ ...efGroup, body: filter });

    // an AuthorizationPolicy that selects no pod, names identities (judged as if the namespace were PERMISSIVE
    // below), a principal of another trust domain and a service account no pod runs as, and a lower-case method
    const apGroup = { group: 'security.istio.io', version: 'v1', namespace: HUB_NAMESPACE, plural: 'authorizationpolicies' };
    cleanups.push(() => adminCustom.deleteNamespacedCustomObject({ ...apGroup, name: names.authz }));
    await adminCustom.createNamespacedCustomObject({
      ...apGroup,
      body: {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: names.authz },
        spec: {
          selector: { matchLabels: { component: `${run}-nobody` } },
          rules: [{ from: [{ source: { principals: ['example.org/ns/istio-system/sa/gw', `cluster.local/ns/${HUB_NAMESPACE}/sa/${run}-nosuch`] } }], to: [{ operation: { methods: ['get'] } }] }],
        },
      },
    });

    // older than the routes: it shadows alice's route (a prefix without its trailing slash catches /user/<run>-alice/)
    await createVirtualService(foreignVirtualService(names.shadow, `/user/${run}-al`));
    await createVirtualService(foreignVirtualService(names.dupOlder, `/${run}-dup/`));
    await createVirtualService(foreignVirtualService(names.noGateway, `/${run}-nogw/`, [`${run}-missing-gw`]));
    await nextSecond();
    for (const route of Object.values(routes)) await createVirtualService(route);
    await createVirtualService(foreignVirtualService(names.dupYounger, `/${run}-dup/`));
    await nextSecond();
    // younger than ghost's route: harmless until the hub re-creates that route
    await createVirtualService(foreignVirtualService(names.late, `/user/${run}-ghost/lab/`));
    // younger than eve's old rendering, which therefore takes its requests
    await createVirtualService(eveLab);

    // kwok runs the pods; a route's pod only counts once it is Running
    await eventually(async () => {
      const pods = await Promise.all([names.ok, names.carol, names.dave].map((n) => connection.backend<Pod>(podKind).get(HUB_NAMESPACE, n)));
      return pods.every((p) => p.status?.phase === 'Running') ? true : undefined;
    }, 'the notebook pods to run', 45_000);

    const snapshot = await listSnapshot();
    const report = runValidations(snapshot);
    const ours = (name: string) => name.startsWith(run);
    // HM6002 needs a namespace that is not STRICT
    const permissive = runValidations({ ...snapshot, effectiveMtls: { [HUB_NAMESPACE]: 'PERMISSIVE' } }).findings.filter((f) => f.code === 'HM6002');
    findings = [...report.findings, ...permissive].filter((f) => ours(f.object.name));
  });

  afterAll(async () => {
    await Promise.all(cleanups.reverse().map((cleanup) => cleanup().catch(() => undefined)));
  });

  const vs = (name: string) => ({ kind: 'VirtualService', namespace: HUB_NAMESPACE, name });
  const findingsOf = (code: string) => findings.filter((f) => f.code === code);
  const findingOn = (code: string, name: string) => findingsOf(code).find((f) => f.object.name === name)!;

  it('reports each broken object under its code', () => {
    const expected: Array<[string, { kind: string; namespace?: string; name: string }]> = [
      ['HM1001', vs(names.noGateway)],
      ['HM1002', vs(names.dupYounger)],
      ['HM1003', vs(names.shadow)],
      ['HM1004', vs(names.late)],
      ['HM1005', vs(routes.eve.metadata.name)],
      ['HM2001', vs(routes.ghost.metadata.name)],
      ['HM2002', vs(routes.port.metadata.name)],
      ['HM2003', vs(routes.tcp.metadata.name)],
      ['HM2004', vs(routes.alice.metadata.name)],
      ['HM3001', { kind: 'Pod', namespace: HUB_NAMESPACE, name: names.carol }],
      ['HM3002', { kind: 'Namespace', name: names.namespace }],
      ['HM3003', { kind: 'Pod', namespace: HUB_NAMESPACE, name: names.dave }],
      ['HM4001', { kind: 'DestinationRule', namespace: HUB_NAMESPACE, name: names.rule }],
      ['HM5001', vs(routes.slow.metadata.name)],
      ['HM5002', vs(routes.slow.metadata.name)],
      ['HM5003', vs(routes.chaos.metadata.name)],
      ['HM5004', { kind: 'EnvoyFilter', namespace: ROOT, name: names.filter }],
      ['HM5005', { kind: 'DestinationRule', namespace: HUB_NAMESPACE, name: names.rule }],
      ['HM6001', { kind: 'AuthorizationPolicy', namespace: HUB_NAMESPACE, name: names.authz }],
      ['HM6002', { kind: 'AuthorizationPolicy', namespace: HUB_NAMESPACE, name: names.authz }],
      ['HM6003', { kind: 'AuthorizationPolicy', namespace: HUB_NAMESPACE, name: names.authz }],
      ['HM6004', { kind: 'AuthorizationPolicy', namespace: HUB_NAMESPACE, name: names.authz }],
    ];
    for (const [code, object] of expected) {
      expect(findingsOf(code).map((f) => f.object), code).toContainEqual(object);
    }
    // the NetworkPolicy rules (HM61xx) have their own file, network-policies.test.ts, and the ambient rules ambient-verdict.test.ts
    const elsewhere = (code: string) => code.startsWith('HM61') || code === 'HM4002' || code === 'HM6005';
    expect(new Set(findings.map((f) => f.code))).toEqual(new Set(CATALOGUE.filter((c) => !elsewhere(c.code)).map((c) => c.code)));
  });

  it('links findings to the objects they are about', () => {
    expect(findingOn('HM1001', names.noGateway).related).toEqual([{ kind: 'Gateway', namespace: HUB_NAMESPACE, name: `${run}-missing-gw` }]);
    expect(findingOn('HM1002', names.dupYounger).related).toEqual([vs(names.dupOlder)]);
    expect(findingOn('HM1003', names.shadow).related).toEqual([vs(routes.alice.metadata.name)]);
    expect(findingOn('HM1004', names.late).related).toEqual([vs(routes.ghost.metadata.name)]);
    expect(findingOn('HM1005', routes.eve.metadata.name).related).toEqual([vs(eveLab.metadata.name)]);
    expect(findingOn('HM2001', routes.ghost.metadata.name).related).toEqual([{ kind: 'Service', namespace: HUB_NAMESPACE, name: `${run}-ghost` }]);
    expect(findingOn('HM2003', routes.tcp.metadata.name).message).toContain('"tcp-notebook"');
    expect(findingOn('HM4001', names.rule).related).toEqual([{ kind: 'Namespace', name: HUB_NAMESPACE }]);
  });

  it('says nothing about the healthy route and pod', () => {
    const healthy = [routes.ok.metadata.name, names.ok];
    expect(findings.filter((f) => healthy.includes(f.object.name))).toEqual([]);
    // the shadowing prefix stops at alice: the healthy route is not its victim
    expect(findingsOf('HM1003').filter((f) => f.related?.some((r) => r.name === routes.ok.metadata.name))).toEqual([]);
  });
});
