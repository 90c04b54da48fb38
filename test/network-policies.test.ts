import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { parseConfig } from '@/lib/config';
import { clusterBackend } from '@/lib/kube/cluster-backend';
import { KubeRest } from '@/lib/kube/rest';
import { connect } from '@/lib/kube/connection';
import { namespaceKind, type Namespace } from '@/lib/kube/namespaces';
import { networkPolicyKind, type NetworkPolicy } from '@/lib/kube/networkpolicies';
import { podKind, type Pod } from '@/lib/kube/pods';
import { serviceKind, type Service } from '@/lib/kube/services';
import type { KindDescriptor, KubeObject } from '@/lib/kube/types';
import { virtualServiceKind, type VirtualService } from '@/lib/kube/virtualservices';
import { gatewayIngress, istiodEgress, z2jhMatchLabels, z2jhProxyPolicy, z2jhSingleuserPolicy } from '@/lib/mesh/checkers/z2jh-fixtures';
import { runValidations, type Finding, type ValidationReport, type ValidationSnapshot } from '@/lib/mesh/validations';
import { renderRouteVirtualService } from '@/lib/routes/virtualservice';
import { eventually, HUB_NAMESPACE, kubeConfigFrom, notebookPod, uniqueName, sceneCreators } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';

/**
 * The NetworkPolicy rules of the validations catalogue (HM61xx) on a real apiserver. The admin creates, in the hub
 * namespace, z2jh's policies as its chart renders them for two releases named after this run: one with the chart's
 * defaults (they block istiod, the gateway and the metrics port, and keep a policy for the replaced proxy) and one
 * with the rules docs/z2jh.md adds for Istio. Each release's policies select only its own pods, so other tests'
 * pods are never isolated. The snapshot is listed through hubmesh's backends as the app identity (which needs
 * get/list/watch on networking.k8s.io networkpolicies in the hub namespace), the catalogue runs on it, and each
 * expected finding must be there; then the running server's GET /api/v1/validations must say the same from its
 * watch caches.
 */

const ROOT = 'istio-system';
const CLUSTER_DOMAIN = 'cluster.local';
const run = uniqueName('np');
/** this run's objects all start with the run's name, and the hub routes carry it as hubmesh's prefix */
const PREFIX = run;
const HOST = `${run}.hub.test`;
const GATEWAY = `${run}-gw`;
/** z2jh releases: the chart's defaults, and the defaults plus docs/z2jh.md's rules for Istio */
const BROKEN = run;
const FIXED = `${run}-ok`;

const serviceHost = (name: string) => `${name}.${HUB_NAMESPACE}.svc.${CLUSTER_DOMAIN}`;

/** A route exactly as hubmesh renders it, to a notebook's Service on 8888. */
function hubRoute(user: string): VirtualService {
  const path = `/user/${user}`;
  return renderRouteVirtualService(
    { path, data: { target: `http://${serviceHost(user)}:8888`, user, server_name: '' }, lastActivity: new Date().toISOString() },
    { host: serviceHost(user), port: 8888 },
    { namespace: HUB_NAMESPACE, prefix: PREFIX, gateway: `${HUB_NAMESPACE}/${GATEWAY}`, hosts: [HOST], hostRouting: false, routeTimeout: undefined },
  );
}

/** A notebook pod of a z2jh release, with the sidecar and KubeSpawner's named port. */
function z2jhNotebook(user: string, release: string): V1Pod {
  const pod = notebookPod(user, user);
  pod.metadata!.labels = { ...pod.metadata!.labels, ...z2jhMatchLabels('singleuser-server', release) };
  pod.spec!.containers[0]!.ports = [{ name: 'notebook-port', containerPort: 8888 }];
  return pod;
}

/** The CHP proxy pod of a z2jh release (no sidecar: z2jh's proxy is what hubmesh replaced). */
function z2jhProxy(name: string, release: string): V1Pod {
  const pod = notebookPod(name, name, { sidecar: false });
  pod.metadata!.labels = z2jhMatchLabels('proxy', release);
  pod.spec!.containers[0]!.ports = [{ name: 'http', containerPort: 8000 }, { name: 'api', containerPort: 8001 }];
  return pod;
}

/** The Service KubeSpawner makes for a server. */
const notebookService = (user: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: user },
  spec: { selector: { component: 'singleuser-server', 'hub.jupyter.org/username': user }, ports: [{ name: 'http', port: 8888, targetPort: 8888 }] },
});

describe('NetworkPolicy validations on real objects', () => {
  // plain JSON through hubmesh's own REST client: client-node's typed API would drop `from` (its model calls it `_from`)
  const networkPolicies = clusterBackend<NetworkPolicy>(new KubeRest(kubeConfigFrom(inject('adminKubeconfig'))), networkPolicyKind, 'platform-team');
  const connection = connect(parseConfig({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
  const cleanups: Array<() => Promise<unknown>> = [];
  const { createPod, createService, createVirtualService } = sceneCreators(cleanups);

  const names = {
    alice: `${run}-alice`,
    bob: `${run}-bob`,
    proxy: `${run}-proxy`,
    brokenSingleuser: `${run}-singleuser`,
    brokenProxy: `${run}-proxy`,
    fixedSingleuser: `${run}-ok-singleuser`,
  };

  /** the broken release: z2jh's default singleuser and proxy policies */
  const brokenPolicies = [z2jhSingleuserPolicy({ namespace: HUB_NAMESPACE, release: BROKEN }, names.brokenSingleuser), z2jhProxyPolicy({ namespace: HUB_NAMESPACE, release: BROKEN }, names.brokenProxy)];
  /** the fixed release: the gateway on notebook-port, istiod on 15012, Prometheus (in the root namespace) on 15020 */
  const fixedPolicy = z2jhSingleuserPolicy(
    {
      namespace: HUB_NAMESPACE,
      release: FIXED,
      singleuser: {
        ingress: [gatewayIngress('notebook-port', ROOT), { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ROOT } } }], ports: [{ port: 15020, protocol: 'TCP' }] }],
        egress: [istiodEgress(ROOT)],
      },
    },
    names.fixedSingleuser,
  );




  async function createNetworkPolicy(body: NetworkPolicy) {
    cleanups.push(() => networkPolicies.delete(HUB_NAMESPACE, body.metadata.name));
    await networkPolicies.create(HUB_NAMESPACE, { ...body, metadata: { ...body.metadata, namespace: HUB_NAMESPACE } });
  }

  /** What hubmesh itself can read, as the app identity: the hub namespace's objects and policies, and the namespaces' labels. */
  async function listSnapshot(): Promise<ValidationSnapshot> {
    const list = async <T extends KubeObject>(kind: KindDescriptor, namespace = HUB_NAMESPACE) => (await connection.backend<T>(kind).list(namespace)).items;
    const [virtualServices, services, pods, networkPolicies] = await Promise.all([
      list<VirtualService>(virtualServiceKind),
      list<Service>(serviceKind),
      list<Pod>(podKind),
      list<NetworkPolicy>(networkPolicyKind),
    ]);
    const [hubNamespace, rootNamespace] = await Promise.all([HUB_NAMESPACE, ROOT].map((n) => connection.backend<Namespace>(namespaceKind).get('', n)));
    return {
      namespace: HUB_NAMESPACE,
      rootNamespace: ROOT,
      clusterDomain: CLUSTER_DOMAIN,
      prefix: PREFIX,
      notebookSelector: 'component=singleuser-server',
      observedNamespaces: [HUB_NAMESPACE],
      virtualServices,
      gateways: [],
      services,
      pods,
      destinationRules: [],
      peerAuthentications: [],
      namespaces: [hubNamespace!],
      effectiveMtls: { [HUB_NAMESPACE]: 'STRICT' },
      envoyFilters: [],
      // this file judges NetworkPolicies; the AuthorizationPolicy rules have their own
      authorizationPolicies: [],
      trustDomain: CLUSTER_DOMAIN,
      networkPolicies,
      ingressGateway: { namespace: ROOT, labels: { istio: 'ingressgateway' } },
      peerNamespaces: [rootNamespace!],
      // as if HUBMESH_PROMETHEUS_URL were http://prometheus.istio-system:9090
      prometheus: { namespace: ROOT },
    };
  }

  let before: { snapshot: ValidationSnapshot; report: ValidationReport };
  /** the NetworkPolicy rules' findings, all of them, and those about this run's objects */
  let isolation: Finding[] = [];
  let findings: Finding[] = [];

  beforeAll(async () => {
    // before this run's policies exist: the namespace's own NetworkPolicies, if any (the test cluster has none)
    const snapshot = await listSnapshot();
    before = { snapshot, report: runValidations(snapshot) };

    await Promise.all([
      createPod(z2jhNotebook(names.alice, BROKEN)),
      createPod(z2jhNotebook(names.bob, FIXED)),
      createPod(z2jhProxy(names.proxy, BROKEN)),
      createService(notebookService(names.alice)),
      createService(notebookService(names.bob)),
    ]);
    await createVirtualService(hubRoute(names.alice));
    await createVirtualService(hubRoute(names.bob));
    for (const policy of [...brokenPolicies, fixedPolicy]) await createNetworkPolicy(policy);

    isolation = runValidations(await listSnapshot()).findings.filter((f) => f.code.startsWith('HM61'));
    findings = isolation.filter((f) => f.object.name.startsWith(run));
  });

  afterAll(async () => {
    await Promise.all(cleanups.reverse().map((cleanup) => cleanup().catch(() => undefined)));
  });

  const policy = (name: string) => ({ kind: 'NetworkPolicy', namespace: HUB_NAMESPACE, name });
  const pod = (name: string) => ({ kind: 'Pod', namespace: HUB_NAMESPACE, name });
  const findingOn = (code: string, name: string) => findings.find((f) => f.code === code && f.object.name === name);

  it("reports z2jh's default policies under HM6101, HM6102, HM6103 and HM6105", () => {
    const expected: Array<[string, string]> = [
      ['HM6101', names.brokenSingleuser],
      ['HM6102', names.brokenSingleuser],
      ['HM6103', names.brokenProxy],
      ['HM6105', names.brokenSingleuser],
    ];
    for (const [code, name] of expected) expect(findingOn(code, name)?.object, `${code} ${name}`).toEqual(policy(name));
    expect(findingOn('HM6101', names.brokenSingleuser)).toMatchObject({ severity: 'error', related: [pod(names.alice)] });
    expect(findingOn('HM6101', names.brokenSingleuser)!.message).toContain('singleuser.networkPolicy.egress');
    expect(findingOn('HM6102', names.brokenSingleuser)).toMatchObject({ severity: 'error', related: [pod(names.alice)] });
    expect(findingOn('HM6102', names.brokenSingleuser)!.message).toContain(`on TCP 8888 (notebook-port), where the route /user/${names.alice} sends requests`);
    expect(findingOn('HM6103', names.brokenProxy)).toMatchObject({ severity: 'warning', related: [pod(names.proxy)] });
    expect(findingOn('HM6103', names.brokenProxy)!.message).toContain('proxy.chp.networkPolicy.enabled=false');
    expect(findingOn('HM6105', names.brokenSingleuser)).toMatchObject({ severity: 'warning', related: [pod(names.alice)] });
  });

  it("says nothing about the release that has docs/z2jh.md's rules, nor about the other tests' pods", () => {
    expect(findings.filter((f) => f.object.name === names.fixedSingleuser || f.related?.some((r) => r.name === names.bob))).toEqual([]);
    // every finding about a NetworkPolicy names one of this run's: the namespace holds no other, and ours isolate only our pods
    expect(isolation.filter((f) => f.object.kind === 'NetworkPolicy' && !f.object.name.startsWith(run))).toEqual([]);
    expect(findings.map((f) => `${f.code} ${f.object.name}`).sort()).toEqual([
      `HM6101 ${names.brokenSingleuser}`,
      `HM6102 ${names.brokenSingleuser}`,
      `HM6103 ${names.brokenProxy}`,
      `HM6105 ${names.brokenSingleuser}`,
    ]);
  });

  it('informs of a namespace without NetworkPolicies (HM6104) only while it has none', () => {
    const hm6104 = (report: Finding[]) => report.filter((f) => f.code === 'HM6104').map((f) => f.object);
    expect(hm6104(before.report.findings)).toEqual(before.snapshot.networkPolicies.length === 0 ? [{ kind: 'Namespace', name: HUB_NAMESPACE }] : []);
    expect(hm6104(isolation)).toEqual([]);
  });

  describe("through the server's GET /api/v1/validations", () => {
    const adminToken = 'netpol-admin-token-0123456789';
    let hm: HubmeshProcess;
    let session: { jar: string; csrf: string };

    beforeAll(async () => {
      hm = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix: PREFIX, env: { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_SESSION_SECRET: 'netpol-session-secret-0123456789abcdef' } });
      const r = await fetch(`${hm.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: adminToken }) });
      expect(r.status).toBe(200);
      const cookies = r.headers.getSetCookie();
      session = { jar: cookies.map((c) => c.split(';')[0]).join('; '), csrf: cookies.find((c) => c.startsWith('hubmesh_csrf='))!.split(';')[0]!.slice('hubmesh_csrf='.length) };
    });

    afterAll(async () => {
      await hm?.stop();
    });

    it('answers with the same findings from its watch caches (no Prometheus configured: no HM6105)', async () => {
      const answer = await eventually(async () => {
        const r = await fetch(`${hm.url}/api/v1/validations`, { headers: { cookie: session.jar, 'x-csrf-token': session.csrf } });
        const body = (await r.json()) as { findings: Finding[]; catalogue: Array<{ code: string; area: string }> };
        const ours = body.findings.filter((f) => f.code.startsWith('HM61') && f.object.name.startsWith(run));
        return ['HM6101', 'HM6102', 'HM6103'].every((code) => ours.some((f) => f.code === code)) ? { ...body, ours } : undefined;
      }, 'the NetworkPolicy findings in the validations answer');
      expect(answer.catalogue.filter((c) => c.code.startsWith('HM61')).map((c) => [c.code, c.area])).toEqual([
        ['HM6101', 'isolation'],
        ['HM6102', 'isolation'],
        ['HM6103', 'isolation'],
        ['HM6104', 'isolation'],
        ['HM6105', 'isolation'],
      ]);
      expect(answer.ours.map((f) => `${f.code} ${f.object.name}`).sort()).toEqual([`HM6101 ${names.brokenSingleuser}`, `HM6102 ${names.brokenSingleuser}`, `HM6103 ${names.brokenProxy}`]);
    });
  });
});
