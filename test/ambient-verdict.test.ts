import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { changePipeline, eventRecorder } from '@/lib/changes/pipeline';
import { parseConfig } from '@/lib/config';
import { authorizationPolicyKind, type AuthorizationPolicy } from '@/lib/kube/authorizationpolicies';
import { clusterBackend } from '@/lib/kube/cluster-backend';
import { connect } from '@/lib/kube/connection';
import { eventKind, type KubeEvent } from '@/lib/kube/events';
import { k8sGatewayKind, type K8sGateway } from '@/lib/kube/k8s-gateways';
import { namespaceKind, type Namespace } from '@/lib/kube/namespaces';
import { peerAuthenticationKind, type PeerAuthentication } from '@/lib/kube/peerauthentications';
import { podCacheShape, podKind, type Pod } from '@/lib/kube/pods';
import { ResourceStore } from '@/lib/kube/resource-store';
import { KubeRest } from '@/lib/kube/rest';
import { serviceKind, type Service } from '@/lib/kube/services';
import type { KindDescriptor, KubeObject } from '@/lib/kube/types';
import { virtualServiceKind, type VirtualService } from '@/lib/kube/virtualservices';
import { createMeshActions } from '@/lib/mesh/actions';
import { meshAction, meshStatusAnswer, validationsAnswer, type MeshApiDeps } from '@/lib/mesh/api';
import { createMeshCaches } from '@/lib/mesh/caches';
import { PrometheusClient } from '@/lib/telemetry/prometheus';
import { clients, eventually, HUB_NAMESPACE, kubeConfigFrom, sceneCreators, testLog, uniqueName } from './helpers';
import { startIstioExporter, type Flow, type IstioExporter } from './prometheus/exporter';
import { startPrometheus, type PrometheusServer } from './prometheus/harness';

/*
 * The mTLS verdict, the validations and the enroll action under ambient, on the real apiserver (hubmesh's own
 * watch caches as its least-privilege identity, kwok pods shaped as ambient pods: no istio-proxy, istio-cni's
 * redirection annotation, the namespace's dataplane-mode label) and a real Prometheus scraping series labelled as
 * ztunnel labels them (TCP only, reporter="destination", connection_security_policy mutual_tls or unknown) and as
 * a waypoint labels requests (reporter="waypoint").
 */

const run = uniqueName('ambient');
const RUN_LABEL = 'hubmesh.io/test-run';
const WINDOW = '10s';
const DATAPLANE = 'istio.io/dataplane-mode';

const adminRest = new KubeRest(kubeConfigFrom(inject('adminKubeconfig')));
const asAdmin = <T extends KubeObject>(kind: KindDescriptor) => clusterBackend<T>(adminRest, kind, 'platform-team');
const adminPeerAuthentications = asAdmin<PeerAuthentication>(peerAuthenticationKind);
const adminPolicies = asAdmin<AuthorizationPolicy>(authorizationPolicyKind);
const adminNamespaces = asAdmin<Namespace>(namespaceKind);
const adminGateways = asAdmin<K8sGateway>(k8sGatewayKind);
const adminEvents = asAdmin<KubeEvent>(eventKind);

/** A notebook pod as KubeSpawner makes it in an ambient namespace: no sidecar; istio-cni's annotation once ztunnel has it. */
function ambientNotebook(name: string, options: { redirected?: boolean; labels?: Record<string, string> } = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels: { component: 'singleuser-server', 'hub.jupyter.org/username': name, [RUN_LABEL]: run, ...options.labels },
      annotations: options.redirected === false ? {} : { 'ambient.istio.io/redirection': 'enabled' },
    },
    spec: {
      containers: [{ name: 'notebook', image: 'quay.io/jupyter/base-notebook:2026-11-01', ports: [{ name: 'notebook-port', containerPort: 8888 }] }],
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
}

const ztunnelTcp = (policy: Flow['policy'], workload: string): Flow => ({
  reporter: 'destination',
  source: { namespace: 'istio-system', workload: 'istio-ingressgateway' },
  destination: { namespace: HUB_NAMESPACE, service: workload },
  policy,
});

describe('the mTLS verdict, validations and enroll action under ambient', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  let exporter: IstioExporter;
  let prometheus: PrometheusServer;
  let deps: MeshApiDeps;
  let stores: Array<{ stop(): void }> = [];

  const { createPod } = sceneCreators(cleanups);
  const { adminCore, adminCustom } = clients();
  async function create<T extends KubeObject>(backend: { create(ns: string, o: T): Promise<T>; delete(ns: string, name: string): Promise<unknown> }, object: T) {
    cleanups.push(() => backend.delete(HUB_NAMESPACE, object.metadata.name));
    return backend.create(HUB_NAMESPACE, object);
  }
  /** hubmesh's caches have caught up when `check` holds of what they list */
  const status = () => meshStatusAnswer(deps, new URLSearchParams({ window: WINDOW }));

  beforeAll(async () => {
    exporter = await startIstioExporter();
    // ztunnel's inbound TCP to the notebooks, all HBONE; its outbound reports (reporter=source) never count
    exporter.tcp(ztunnelTcp('mutual_tls', `${run}-alice`), { sent: 4000, received: 1000 });
    exporter.tcp({ ...ztunnelTcp('unknown', `${run}-alice`), reporter: 'source' }, { sent: 999 });
    // a waypoint's requests to the hub
    exporter.requests({ reporter: 'waypoint', source: { namespace: 'istio-system', workload: 'istio-ingressgateway' }, destination: { namespace: HUB_NAMESPACE, service: `${run}-hub` }, policy: 'mutual_tls' }, 2);
    prometheus = await startPrometheus({ targets: [exporter.target] });

    const config = parseConfig({
      KUBECONFIG: inject('appKubeconfig'),
      HUBMESH_NAMESPACE: HUB_NAMESPACE,
      HUBMESH_PROMETHEUS_URL: prometheus.url,
      HUBMESH_NOTEBOOK_SELECTOR: `component=singleuser-server,${RUN_LABEL}=${run}`,
    });
    const connection = connect(config);
    const pods = new ResourceStore<Pod>(connection.backend<Pod>(podKind), HUB_NAMESPACE, undefined, testLog, podCacheShape());
    const services = new ResourceStore<Service>(connection.backend<Service>(serviceKind), HUB_NAMESPACE, undefined, testLog);
    const virtualServices = new ResourceStore<VirtualService>(connection.backend<VirtualService>(virtualServiceKind), HUB_NAMESPACE, undefined, testLog);
    const mesh = createMeshCaches({
      backend: connection.backend,
      namespace: HUB_NAMESPACE,
      rootNamespace: config.mesh.rootNamespace,
      gatewayNamespace: HUB_NAMESPACE,
      gatewayPodNamespace: config.mesh.gatewayNamespace,
      prefix: run,
      gatewaySelector: config.mesh.gatewaySelector,
      log: testLog,
    });
    const informers = [pods.cache, services.cache, virtualServices.cache, ...Object.values(mesh.all)];
    for (const informer of informers) informer.start();
    stores = informers;
    for (const informer of [pods.cache, services.cache, virtualServices.cache]) expect(await informer.waitForSync(15_000)).toBe(true);

    const instance = uniqueName('ambient-verdict');
    const changes = changePipeline({ events: eventRecorder({ events: connection.backend<KubeEvent>(eventKind), namespace: HUB_NAMESPACE, instance }), log: testLog });
    deps = {
      namespace: HUB_NAMESPACE,
      gateway: `${HUB_NAMESPACE}/jupyterhub-gateway`,
      config: { proxy: config.proxy, mesh: config.mesh, notebookSelector: config.dashboard.notebookSelector },
      mesh,
      virtualServices: virtualServices.cache,
      services: services.cache,
      pods: pods.cache,
      prometheus: new PrometheusClient({ url: prometheus.url, timeoutMs: 5_000 }),
      actions: createMeshActions({ backend: connection.backend, eventsNamespace: HUB_NAMESPACE, changes }),
      log: testLog,
      now: () => Date.now(),
    };
    cleanups.push(async () => {
      const { items } = await adminEvents.list(HUB_NAMESPACE, 'app.kubernetes.io/managed-by=hubmesh');
      for (const event of items.filter((e) => e.reportingInstance === instance)) await adminEvents.delete(HUB_NAMESPACE, event.metadata.name);
    });
  }, 90_000);

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    for (const informer of stores) informer.stop();
    await prometheus?.stop();
    await exporter?.close();
  });

  it('enrolls the hub namespace in ambient through the pipeline: a plan with a dry-run diff and a warning about injection, then apply and an audit Event', async () => {
    cleanups.push(() => adminNamespaces.patch('', HUB_NAMESPACE, { metadata: { labels: { [DATAPLANE]: null } } }, { type: 'merge' }));
    const action = meshAction(deps, 'ambient');
    expect(action).toEqual({ target: 'ambient', namespace: HUB_NAMESPACE });

    const plan = await deps.actions!.plan(action);
    expect(plan.summary).toBe(`label namespace ${HUB_NAMESPACE} istio.io/dataplane-mode=ambient (enroll in ambient)`);
    expect(plan.ownership).toEqual({ verdict: 'update' });
    expect(plan.dryRun.accepted).toBe(true);
    expect(plan.diff.flatMap((h) => h.lines).filter((l) => l.op !== 'context').map((l) => `${l.op} ${l.text.trim()}`)).toEqual(['add istio.io/dataplane-mode: ambient']);
    // the test cluster labels the hub namespace istio-injection=enabled (scripts/cluster/up.sh)
    expect(plan.warnings).toEqual([expect.stringContaining(`Namespace ${HUB_NAMESPACE} also has sidecar injection on (istio-injection=enabled): pods that get a sidecar keep it and ztunnel skips them.`)]);
    expect((await adminNamespaces.get('', HUB_NAMESPACE)).metadata.labels?.[DATAPLANE], 'a plan writes nothing').toBeUndefined();

    const applied = await deps.actions!.apply(action, { actor: 'alice' });
    expect(applied.audit.recorded).toBe(true);
    expect(applied.diff).toEqual(plan.diff);
    const labels = (await adminNamespaces.get('', HUB_NAMESPACE)).metadata.labels;
    expect(labels).toMatchObject({ [DATAPLANE]: 'ambient', 'istio-injection': 'enabled' });
    const trail = (await deps.actions!.auditTrail()).filter((e) => e.object.name === HUB_NAMESPACE && e.action === 'EnsureAmbientLabel');
    expect(trail[0]).toMatchObject({ who: 'alice', result: 'AppliedByHubmesh', type: 'Normal' });
    expect(trail[0]!.message).toBe(`alice: label namespace ${HUB_NAMESPACE} istio.io/dataplane-mode=ambient (enroll in ambient): applied with server-side apply as hubmesh`);
  });

  it('judges an ambient namespace with STRICT and ztunnel traffic all mutual TLS compliant', async () => {
    await create(adminPeerAuthentications, { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: `${run}-strict` }, spec: { mtls: { mode: 'STRICT' } } });
    for (const user of ['alice', 'bob']) await createPod(ambientNotebook(`${run}-${user}`));

    const answer = await eventually(async () => {
      const s = await status();
      return s.ambient.enrolled && s.pods.length === 2 && s.config.namespace.server.runtimeMode === 'STRICT' && s.telemetry.state === 'ok' && s.telemetry.traffic?.tcpBytes.share === 1 && s.telemetry.traffic.requests.share === 1 ? s : undefined;
    }, 'the ambient pods, the STRICT policy and two scrapes of ztunnel traffic');
    expect(answer.pods.map((p) => [p.name, p.dataplane, p.ambient.enrolledBy, p.ambient.redirected])).toEqual([
      [`${run}-alice`, 'ambient', 'namespace', true],
      [`${run}-bob`, 'ambient', 'namespace', true],
    ]);
    expect(answer.verdict).toEqual({ namespace: HUB_NAMESPACE, compliant: true, reasons: [], checks: { strict: true, allTrafficMutual: true, inMesh: true } });
    // the waypoint's requests count, ztunnel's outbound (source) report does not
    expect(answer.telemetry.state === 'ok' && answer.telemetry.services.filter((s) => s.service.startsWith(run)).map((s) => [s.service, s.verdict])).toEqual([
      [`${run}-alice`, 'mtls'],
      [`${run}-hub`, 'mtls'],
    ]);
  });

  it('names a sidecar-less pod outside the mesh, and one ztunnel does not redirect yet', async () => {
    await createPod(ambientNotebook(`${run}-carol`, { labels: { [DATAPLANE]: 'none' }, redirected: false }));
    await createPod(ambientNotebook(`${run}-dave`, { redirected: false }));
    const answer = await eventually(async () => {
      const s = await status();
      return s.pods.length === 4 ? s : undefined;
    }, 'the two new pods in the caches');
    expect(answer.verdict.compliant).toBe(false);
    expect(answer.verdict.checks.inMesh).toBe(false);
    expect(answer.verdict.reasons.map((r) => [r.code, r.objects[0]?.name])).toEqual([
      ['pod-not-enrolled', `${run}-carol`],
      ['ztunnel-not-redirecting', `${run}-dave`],
    ]);
    expect(answer.verdict.reasons[0]!.message).toBe(`notebook pod ${run}-carol is not in ambient although its namespace is: it opts out with istio.io/dataplane-mode=none, and it has no sidecar`);
    for (const name of [`${run}-carol`, `${run}-dave`]) await adminCore.deleteNamespacedPod({ namespace: HUB_NAMESPACE, name, gracePeriodSeconds: 0 });
    await eventually(async () => ((await status()).pods.length === 2 ? true : undefined), 'the two pods gone from the caches');
  });

  it('flags port-level mTLS that ztunnel runs otherwise (HM4002), and HTTP rules ztunnel enforces on ambient pods (HM6005) with or without a waypoint', async () => {
    const notebooks = { matchLabels: { [RUN_LABEL]: run } };
    await create(adminPeerAuthentications, {
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: `${run}-legacy-port` },
      spec: { selector: notebooks, mtls: { mode: 'STRICT' }, portLevelMtls: { 8888: { mode: 'DISABLE' } } },
    });
    await create(adminPolicies, {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: `${run}-api-only` },
      spec: { selector: notebooks, rules: [{ to: [{ operation: { paths: ['/user/*/api/*'], methods: ['GET'] } }] }] },
    });
    // attached to a waypoint: the waypoint enforces it, never ztunnel
    await create(adminPolicies, {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: `${run}-at-waypoint` },
      spec: { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: `${run}-waypoint` }], rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }] },
    });
    const findings = async (code: string) => (await validationsAnswer(deps)).findings.filter((f) => f.code === code && f.object.name.startsWith(run));
    const [portFinding] = await eventually(async () => {
      const found = await findings('HM4002');
      return found.length ? found : undefined;
    }, 'the port-level policy in the caches');
    expect(portFinding).toMatchObject({ severity: 'warning', object: { kind: 'PeerAuthentication', namespace: HUB_NAMESPACE, name: `${run}-legacy-port` } });
    expect(portFinding!.message).toContain(`selects 2 ambient pods (${run}-alice, ${run}-bob)`);
    expect(portFinding!.message).toContain('DISABLE on port 8888 runs as PERMISSIVE');

    const [l7] = await eventually(async () => {
      const found = await findings('HM6005');
      return found.length ? found : undefined;
    }, 'the AuthorizationPolicies in the caches');
    expect((await findings('HM6005')).map((f) => f.object.name)).toEqual([`${run}-api-only`]);
    expect(l7!.message).toContain(
      'so ztunnel enforces it: ztunnel does not support HTTP attributes (found: methods, paths). In ambient mode you must use a waypoint proxy to enforce HTTP rules. Within an ALLOW policy, rules matching HTTP attributes are omitted. This will be more restrictive than requested. They have no waypoint',
    );

    // a waypoint serving the namespace does not take a selector policy: still flagged, with the fix
    const waypoint = await create(adminGateways, {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: `${run}-waypoint`, labels: { 'istio.io/waypoint-for': 'service' } },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    });
    // the address Istio's controller gives a waypoint once its proxy runs (no Istio runs here)
    await adminCustom.replaceNamespacedCustomObjectStatus({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      namespace: HUB_NAMESPACE,
      plural: 'gateways',
      name: waypoint.metadata.name,
      body: { ...waypoint, status: { ...waypoint.status, addresses: [{ type: 'IPAddress', value: '10.96.0.50' }] } },
    });
    cleanups.push(() => adminNamespaces.patch('', HUB_NAMESPACE, { metadata: { labels: { 'istio.io/use-waypoint': null } } }, { type: 'merge' }));
    await adminNamespaces.patch('', HUB_NAMESPACE, { metadata: { labels: { 'istio.io/use-waypoint': `${run}-waypoint` } } }, { type: 'merge' });
    const withWaypoint = await eventually(async () => {
      const [found] = await findings('HM6005');
      return found?.message.includes('serves some of them') ? found : undefined;
    }, 'the waypoint and the use-waypoint label in the caches');
    expect(withWaypoint.message).toContain(`The waypoint ${HUB_NAMESPACE}/${run}-waypoint serves some of them, but a waypoint enforces only policies that target it`);
  });

  it('judges the namespace not compliant once ztunnel passes plaintext through to a notebook', async () => {
    exporter.tcp(ztunnelTcp('unknown', `${run}-bob`), { received: 1000 });
    const answer = await eventually(async () => {
      const s = await status();
      return s.verdict.reasons.some((r) => r.code === 'plaintext-traffic') ? s : undefined;
    }, 'the plaintext series in the window');
    expect(answer.verdict.compliant).toBe(false);
    // the port exception of the previous test still weakens STRICT; the pods are all in the mesh
    expect(answer.verdict.reasons.map((r) => r.code)).toEqual(['mtls-override-weakens', 'plaintext-traffic']);
    expect(answer.verdict.checks).toEqual({ strict: false, allTrafficMutual: false, inMesh: true });
    const reason = answer.verdict.reasons.find((r) => r.code === 'plaintext-traffic')!;
    expect(reason.message).toContain(`istio-system/istio-ingressgateway → ${run}-bob (unknown)`);
    expect(reason.objects).toEqual([{ kind: 'Service', namespace: HUB_NAMESPACE, name: `${run}-bob` }]);
  });
});
