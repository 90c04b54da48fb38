import { isHttpRoute, type RouteObject } from '../routes/route-objects';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ApiError, localModeError } from '../api-error';
import { CHANGE_LOG_MESSAGE } from '../changes/pipeline';
import type { Config } from '../config';
import type { AuthorizationPolicy } from '../kube/authorizationpolicies';
import type { DestinationRule } from '../kube/destinationrules';
import type { Gateway } from '../kube/gateways';
import type { K8sGateway } from '../kube/k8s-gateways';
import { matchesLabelSelector, parseLabelSelector } from '../kube/label-selector';
import { INJECTION_LABEL, REVISION_LABEL, type Namespace } from '../kube/namespaces';
import type { NetworkPolicy } from '../kube/networkpolicies';
import type { PeerAuthentication } from '../kube/peerauthentications';
import type { Pod } from '../kube/pods';
import type { Service } from '../kube/services';
import type { KubeObject } from '../kube/types';
import type { VirtualService } from '../kube/virtualservices';
import { parseQuery } from '../search-params';
import { isPrometheusError } from '../telemetry/prometheus';
import type { MeshAction, MeshActions } from './actions';
import { alertRulesYaml } from './alerts';
import { complianceVerdict, type RequiredPod, type TelemetryState } from './compliance';
import type { EnvoyFilter } from '../kube/envoyfilters';
import type { CircuitBreaking } from '../routes/circuit-breaking';
import { gatewayInputFromConfig } from './desired';
import { describeServerSide, meshMtlsStatus, namespaceMtlsStatus } from './mtls';
import { namespaceInAmbient, waypointRefs } from './ambient';
import { summarizePod, type PodMeshContext } from './pod-status';
import { durationSeconds, historyRange, loadMeshTraffic, loadShareHistory, trafficWindow, type TrafficSource } from './traffic';
import { runValidations, type ValidationSnapshot } from './validations';

type Lister<T> = { list(): T[] };

/** The mesh watch caches the answers read (caches.ts's MeshCaches). */
export type MeshObjects = {
  peerAuthentications: { hub: Lister<PeerAuthentication>; root: Lister<PeerAuthentication> };
  destinationRules: { hub: Lister<DestinationRule>; root: Lister<DestinationRule> };
  gateways: Lister<Gateway>;
  foreignVirtualServices: Lister<VirtualService>;
  namespaces: { get(name: string): Namespace | undefined };
  envoyFilters: Lister<EnvoyFilter>;
  authorizationPolicies: { hub: Lister<AuthorizationPolicy>; root: Lister<AuthorizationPolicy> };
  /** the ingress gateway's pods (their service accounts are its identity) */
  gatewayPods: Lister<Pod>;
  /** the hub namespace's NetworkPolicies */
  networkPolicies: Lister<NetworkPolicy>;
  /** the hub namespace's Gateway API Gateways: the waypoints among them serve ambient pods */
  k8sGateways: Lister<K8sGateway>;
};

/** What the mesh security pages and actions read. */
export type MeshApiDeps = {
  /** the hub namespace */
  namespace: string;
  /** "<namespace>/<name>" of the Istio Gateway routes bind to */
  gateway: string;
  config: {
    proxy: Pick<Config['proxy'], 'gateway' | 'hosts' | 'prefix' | 'clusterDomain'>;
    mesh: Pick<Config['mesh'], 'rootNamespace' | 'autoMtls' | 'istioRevision' | 'gatewaySelector' | 'gatewayTlsSecret' | 'gatewayNamespace' | 'trustDomain' | 'prometheusUrl'>;
    notebookSelector: string;
  };
  /** undefined in local mode, which has no Istio */
  mesh: MeshObjects | undefined;
  /** the hub's route objects: VirtualServices or HTTPRoutes (HUBMESH_ROUTE_API) */
  virtualServices: Lister<RouteObject>;
  services: Lister<Service>;
  pods: Lister<Pod>;
  /** Istio's Prometheus, when configured */
  prometheus: TrafficSource | undefined;
  /** the action pipeline (and its audit trail); undefined in local mode */
  actions: MeshActions | undefined;
  log: Logger;
  now: () => number;
  /** the notebook defaults' circuit breaking now (HM5005) */
  circuitBreaking?: () => CircuitBreaking | undefined;
};

export const MESH_ACTION_TARGETS = ['gateway', 'injection', 'ambient', 'peer-authentication'] as const;
export type MeshActionTarget = (typeof MESH_ACTION_TARGETS)[number];

export const actionTarget = z.enum(MESH_ACTION_TARGETS, { error: `must be one of ${MESH_ACTION_TARGETS.join(', ')}` });
export const applyBody = z.strictObject({ confirmTakeover: z.boolean().default(false) });

/** What each action ensures, from hubmesh's config: the hub's Gateway, and injection (or ambient enrollment) and STRICT mTLS for the hub namespace. */
export function meshAction(deps: Pick<MeshApiDeps, 'namespace' | 'config'>, target: MeshActionTarget): MeshAction {
  const { namespace, config } = deps;
  switch (target) {
    case 'gateway': {
      const gateway = gatewayInputFromConfig(config.proxy, namespace);
      const secret = config.mesh.gatewayTlsSecret;
      return { target, gateway: { ...gateway, selector: config.mesh.gatewaySelector, https: secret ? { credentialName: secret } : undefined } };
    }
    case 'injection':
      return { target, namespace, revision: config.mesh.istioRevision };
    case 'ambient':
      return { target, namespace };
    case 'peer-authentication':
      return { target, namespace };
  }
}

/**
 * hubmesh's audit trail from the Events its changes recorded, newest first. The apiserver keeps Events for
 * its --event-ttl (one hour by default): `oldest` says how far back they reach, and every change is also
 * an audit log line with the message `logMessage`, for older history.
 */
export async function auditAnswer(deps: Pick<MeshApiDeps, 'actions'>) {
  if (!deps.actions) throw localModeError('the audit trail lives in Kubernetes Events');
  const items = await deps.actions.auditTrail();
  return { items, oldest: items.at(-1)?.when, logMessage: CHANGE_LOG_MESSAGE };
}

// ---------------------------------------------------------------------------------------------
// mTLS compliance, validations and alert rules, from the watch caches (and Prometheus)

export const meshStatusQuery = z.object({ window: trafficWindow.default('5m') });
export const historyQuery = z.object({
  window: trafficWindow.default('5m'),
  span: trafficWindow
    .refine((text) => (durationSeconds(text) ?? 0) <= 7 * 86400, 'must be at most 7d')
    .default('1h'),
});
export const alertsQuery = z.object({ window: trafficWindow.default('5m'), for: trafficWindow.default('1m') });


/** The namespace's and the mesh's mTLS from configuration; undefined in local mode. */
export function mtlsFromConfig(deps: Pick<MeshApiDeps, 'namespace' | 'config'>, mesh: MeshObjects) {
  const { namespace, config } = deps;
  const input = {
    rootNamespace: config.mesh.rootNamespace,
    peerAuthentications: uniqueObjects([...mesh.peerAuthentications.hub.list(), ...mesh.peerAuthentications.root.list()]),
    destinationRules: uniqueObjects([...mesh.destinationRules.hub.list(), ...mesh.destinationRules.root.list()]),
    autoMtls: config.mesh.autoMtls,
  };
  return {
    mesh: meshMtlsStatus(input),
    namespace: namespaceMtlsStatus({ ...input, namespace, clusterDomain: config.proxy.clusterDomain }),
  };
}

function uniqueObjects<T extends KubeObject>(objects: T[]): T[] {
  return [...new Map(objects.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o])).values()];
}

/** The hub's and hubmesh's pods, by the labels z2jh and hubmesh's chart give them. */
export const HUB_POD = { component: 'hub' };
export const HUBMESH_POD = { 'app.kubernetes.io/name': 'hubmesh' };

/**
 * The unfinished pods of each role: notebooks (HUBMESH_NOTEBOOK_SELECTOR), the hub, and hubmesh itself; a pod
 * takes the first role it matches, in that order.
 */
export function podsByRole(deps: Pick<MeshApiDeps, 'pods' | 'config'>): Record<RequiredPod['role'], Pod[]> {
  const notebooks = parseLabelSelector(deps.config.notebookSelector);
  const has = (labels: Record<string, string>, wanted: Record<string, string>) => Object.entries(wanted).every(([k, v]) => labels[k] === v);
  const byRole: Record<RequiredPod['role'], Pod[]> = { notebook: [], hub: [], hubmesh: [] };
  for (const pod of deps.pods.list()) {
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const labels = pod.metadata.labels ?? {};
    if (matchesLabelSelector(labels, notebooks)) byRole.notebook.push(pod);
    else if (has(labels, HUB_POD)) byRole.hub.push(pod);
    else if (has(labels, HUBMESH_POD)) byRole.hubmesh.push(pod);
  }
  return byRole;
}

/** What the hub namespace's pods' data plane depends on: the namespace's labels (injection, ambient) and the waypoints. */
export function podMeshContext(deps: Pick<MeshApiDeps, 'namespace' | 'mesh'>): PodMeshContext {
  return {
    namespaceLabels: deps.mesh?.namespaces.get(deps.namespace)?.metadata.labels,
    waypoints: waypointRefs(deps.mesh?.k8sGateways.list() ?? []),
  };
}

/** The pods the verdict requires in the mesh (podsByRole), by name. */
export function requiredPods(deps: Pick<MeshApiDeps, 'pods' | 'config' | 'namespace' | 'mesh'>): RequiredPod[] {
  const context = podMeshContext(deps);
  return Object.entries(podsByRole(deps))
    .flatMap(([role, pods]) => pods.map((pod) => ({ role: role as RequiredPod['role'], pod: summarizePod(pod, context) })))
    .sort((a, b) => (a.pod.name < b.pod.name ? -1 : 1));
}

async function telemetryFor(deps: MeshApiDeps, window: string): Promise<TelemetryState> {
  const { namespace, prometheus } = deps;
  if (!prometheus) return { state: 'unconfigured' };
  try {
    const traffic = await loadMeshTraffic(prometheus, { window, namespaces: [namespace] });
    return { state: 'ok', window, traffic: traffic.namespaces.find((n) => n.namespace === namespace), services: traffic.services, offendingPairs: traffic.offendingPairs };
  } catch (error) {
    if (isPrometheusError(error)) {
      deps.log.warn({ err: error.message, kind: error.kind }, 'Prometheus query failed');
      return { state: 'unavailable', message: error.message };
    }
    throw error;
  }
}

const needsMesh = () => localModeError('mesh security needs a cluster with Istio');

/** The compliance page's data: the namespace's verdict, config status (namespace and mesh), runtime traffic, pods and injection. */
export async function meshStatusAnswer(deps: MeshApiDeps, params: URLSearchParams) {
  const q = parseQuery(meshStatusQuery, params);
  if (!deps.mesh) throw needsMesh();
  const { namespace } = deps;
  const config = mtlsFromConfig(deps, deps.mesh);
  const telemetry = await telemetryFor(deps, q.window);
  const pods = requiredPods(deps);
  const namespaceObject = deps.mesh.namespaces.get(namespace);
  const labels = namespaceObject?.metadata.labels ?? {};
  return {
    namespace,
    rootNamespace: deps.config.mesh.rootNamespace,
    window: q.window,
    verdict: complianceVerdict({ namespace, config: config.namespace, telemetry, pods }),
    config: { ...config, summary: { namespace: describeServerSide(config.namespace), mesh: describeServerSide(config.mesh) } },
    telemetry,
    pods: pods.map(({ role, pod }) => ({ role, name: pod.name, status: pod.status, dataplane: pod.dataplane, sidecar: pod.sidecar, ambient: pod.ambient })),
    injection: {
      labels: Object.fromEntries(Object.entries(labels).filter(([k]) => k === INJECTION_LABEL || k === REVISION_LABEL)),
      enabled: labels[INJECTION_LABEL] === 'enabled' || (labels[INJECTION_LABEL] === undefined && labels[REVISION_LABEL] !== undefined),
      known: namespaceObject !== undefined,
    },
    ambient: { enrolled: namespaceInAmbient(labels), known: namespaceObject !== undefined },
    prometheus: { configured: deps.prometheus !== undefined },
  };
}

/** The namespace's mutual_tls share over time, for the history chart. */
export async function historyAnswer(deps: MeshApiDeps, params: URLSearchParams) {
  const q = parseQuery(historyQuery, params);
  const { namespace, prometheus } = deps;
  if (!prometheus) throw new ApiError(409, 'not-configured', 'no Prometheus is configured (HUBMESH_PROMETHEUS_URL)');
  const range = historyRange(deps.now() / 1000, durationSeconds(q.span)!);
  const [history] = await fromPrometheus(deps.log, () => loadShareHistory(prometheus, { window: q.window, namespaces: [namespace] }, range));
  return { namespace, window: q.window, span: q.span, step: range.step, points: history?.points ?? [] };
}

/** An answer read from Prometheus: a Prometheus that cannot answer (down, timed out) is logged and answers 503 prometheus-unavailable. */
export async function fromPrometheus<T>(log: Pick<Logger, 'warn'>, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (isPrometheusError(error) && error.unavailable) {
      log.warn({ err: error.message, kind: error.kind }, 'Prometheus query failed');
      throw new ApiError(503, 'prometheus-unavailable', error.message, { cause: error });
    }
    throw error;
  }
}

/**
 * The namespace of an in-cluster Service URL: http://prometheus.istio-system:9090 and
 * http://prometheus.istio-system.svc.cluster.local:9090 name istio-system; any other host names none.
 */
export function serviceNamespaceOf(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const labels = host.split('.');
  if (labels.length === 2 || (labels.length >= 3 && labels[2] === 'svc')) return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(labels[1]!) ? labels[1] : undefined;
  return undefined;
}

/** The caches' objects as the validations read them (and the per-server diagnosis). */
export function validationSnapshot(deps: MeshApiDeps, mesh: MeshObjects): ValidationSnapshot {
  const { namespace, config } = deps;
  const mtls = mtlsFromConfig(deps, mesh);
  const namespaceObject = mesh.namespaces.get(namespace);
  return {
    namespace,
    rootNamespace: config.mesh.rootNamespace,
    clusterDomain: config.proxy.clusterDomain,
    prefix: config.proxy.prefix,
    notebookSelector: config.notebookSelector,
    observedNamespaces: [...new Set([namespace, deps.gateway.split('/')[0]!])],
    virtualServices: [...deps.virtualServices.list().filter((o): o is VirtualService => !isHttpRoute(o)), ...mesh.foreignVirtualServices.list()],
    httpRoutes: deps.virtualServices.list().filter(isHttpRoute),
    gateways: mesh.gateways.list(),
    services: deps.services.list(),
    pods: deps.pods.list(),
    destinationRules: uniqueObjects([...mesh.destinationRules.hub.list(), ...mesh.destinationRules.root.list()]),
    peerAuthentications: uniqueObjects([...mesh.peerAuthentications.hub.list(), ...mesh.peerAuthentications.root.list()]),
    namespaces: namespaceObject ? [namespaceObject] : [],
    effectiveMtls: { [namespace]: mtls.namespace.server.runtimeMode },
    envoyFilters: mesh.envoyFilters.list(),
    circuitBreaking: deps.circuitBreaking?.(),
    autoMtls: config.mesh.autoMtls,
    networkPolicies: mesh.networkPolicies.list(),
    ingressGateway: { namespace: config.mesh.gatewayNamespace, labels: config.mesh.gatewaySelector, pods: mesh.gatewayPods.list() },
    peerNamespaces: [...new Set([config.mesh.gatewayNamespace, config.mesh.rootNamespace])].flatMap((name) => mesh.namespaces.get(name) ?? []),
    prometheus: config.mesh.prometheusUrl ? { namespace: serviceNamespaceOf(config.mesh.prometheusUrl) } : undefined,
    authorizationPolicies: uniqueObjects([...mesh.authorizationPolicies.hub.list(), ...mesh.authorizationPolicies.root.list()]),
    trustDomain: config.mesh.trustDomain,
    waypoints: podMeshContext({ namespace, mesh }).waypoints,
  };
}

/** The validations catalogue run over the caches' snapshot. */
export function validationsAnswer(deps: MeshApiDeps) {
  if (!deps.mesh) throw needsMesh();
  return { namespace: deps.namespace, ...runValidations(validationSnapshot(deps, deps.mesh)) };
}

/** The alert rules for the hub namespace, as a Prometheus rule file and as a PrometheusRule. */
export function alertsAnswer(deps: Pick<MeshApiDeps, 'namespace'>, params: URLSearchParams) {
  const q = parseQuery(alertsQuery, params);
  const options = { namespace: deps.namespace, window: q.window, for: q.for };
  return { ...options, ...alertRulesYaml(options) };
}
