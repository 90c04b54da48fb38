import os from 'node:os';
import { z } from 'zod';
import { ApiError, localModeError } from '../api-error';
import { eventKind, listAudit, type KubeEvent } from '../kube/events';
import { matchesLabelSelector, parseLabelSelector } from '../kube/label-selector';
import { INJECTION_LABEL, REVISION_LABEL } from '../kube/namespaces';
import type { Pod } from '../kube/pods';
import type { KubeObject } from '../kube/types';
import type { Runtime } from '../runtime';
import { parseQuery } from '../search-params';
import { isPrometheusError } from '../telemetry/prometheus';
import { createMeshActions, type MeshAction, type MeshActions } from './actions';
import { alertRulesYaml } from './alerts';
import type { MeshCaches } from './caches';
import { complianceVerdict, type RequiredPod, type TelemetryState } from './compliance';
import { gatewayInputFromConfig } from './desired';
import { describeServerSide, meshMtlsStatus, namespaceMtlsStatus } from './mtls';
import { summarizePod } from './pod-status';
import { durationSeconds, historyRange, loadMeshTraffic, loadShareHistory, trafficWindow } from './traffic';
import { runValidations } from './validations';

export const MESH_ACTION_TARGETS = ['gateway', 'injection', 'peer-authentication'] as const;
export type MeshActionTarget = (typeof MESH_ACTION_TARGETS)[number];

export const actionTarget = z.enum(MESH_ACTION_TARGETS, { error: `must be one of ${MESH_ACTION_TARGETS.join(', ')}` });
export const applyBody = z.strictObject({ confirmTakeover: z.boolean().default(false) });

/** What each action ensures, from hubmesh's config: the hub's Gateway, and injection and STRICT mTLS for the hub namespace. */
export function meshAction(rt: Runtime, target: MeshActionTarget): MeshAction {
  const namespace = rt.connection.namespace;
  switch (target) {
    case 'gateway': {
      const gateway = gatewayInputFromConfig(rt.config.proxy, namespace);
      const secret = rt.config.mesh.gatewayTlsSecret;
      return { target, gateway: { ...gateway, selector: rt.config.mesh.gatewaySelector, https: secret ? { credentialName: secret } : undefined } };
    }
    case 'injection':
      return { target, namespace, revision: rt.config.mesh.istioRevision };
    case 'peer-authentication':
      return { target, namespace };
  }
}

const holder = globalThis as typeof globalThis & { __hubmeshMeshActions?: MeshActions };

/** The action pipeline of a cluster-mode runtime; undefined in local mode, which has no Istio. */
export function meshActionsOf(rt: Runtime): MeshActions | undefined {
  if (rt.connection.mode !== 'cluster') return undefined;
  holder.__hubmeshMeshActions ??= createMeshActions({ backend: rt.connection.backend, eventsNamespace: rt.connection.namespace, instance: os.hostname() });
  return holder.__hubmeshMeshActions;
}

/** hubmesh's audit trail: the Events its actions recorded in the hub namespace, newest first. */
export function auditTrail(rt: Runtime) {
  if (rt.connection.mode !== 'cluster') throw localModeError('the audit trail lives in Kubernetes Events');
  return listAudit(rt.connection.backend<KubeEvent>(eventKind), rt.connection.namespace);
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

const HUB_POD = { component: 'hub' };
const HUBMESH_POD = { 'app.kubernetes.io/name': 'hubmesh' };

/** The namespace's and the mesh's mTLS from configuration; undefined in local mode. */
export function mtlsFromConfig(rt: Runtime, mesh: MeshCaches) {
  const namespace = rt.connection.namespace;
  const input = {
    rootNamespace: rt.config.mesh.rootNamespace,
    peerAuthentications: uniqueObjects([...mesh.peerAuthentications.hub.list(), ...mesh.peerAuthentications.root.list()]),
    destinationRules: uniqueObjects([...mesh.destinationRules.hub.list(), ...mesh.destinationRules.root.list()]),
    autoMtls: rt.config.mesh.autoMtls,
  };
  return {
    mesh: meshMtlsStatus(input),
    namespace: namespaceMtlsStatus({ ...input, namespace, clusterDomain: rt.config.proxy.clusterDomain }),
  };
}

function uniqueObjects<T extends KubeObject>(objects: T[]): T[] {
  return [...new Map(objects.map((o) => [`${o.metadata.namespace}/${o.metadata.name}`, o])).values()];
}

/** The pods the verdict requires in the mesh: notebooks (HUBMESH_NOTEBOOK_SELECTOR), the hub, and hubmesh itself; finished pods are not. */
export function requiredPods(rt: Runtime): RequiredPod[] {
  const notebooks = parseLabelSelector(rt.config.dashboard.notebookSelector);
  const roleOf = (pod: Pod): RequiredPod['role'] | undefined => {
    const labels = pod.metadata.labels ?? {};
    if (matchesLabelSelector(labels, notebooks)) return 'notebook';
    if (Object.entries(HUB_POD).every(([k, v]) => labels[k] === v)) return 'hub';
    if (Object.entries(HUBMESH_POD).every(([k, v]) => labels[k] === v)) return 'hubmesh';
    return undefined;
  };
  return rt.pods.cache
    .list()
    .filter((pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed')
    .flatMap((pod) => {
      const role = roleOf(pod);
      return role ? [{ role, pod: summarizePod(pod) }] : [];
    })
    .sort((a, b) => (a.pod.name < b.pod.name ? -1 : 1));
}

async function telemetryFor(rt: Runtime, namespace: string, window: string): Promise<TelemetryState> {
  if (!rt.prometheus) return { state: 'unconfigured' };
  try {
    const traffic = await loadMeshTraffic(rt.prometheus, { window, namespaces: [namespace] });
    return { state: 'ok', window, traffic: traffic.namespaces.find((n) => n.namespace === namespace), services: traffic.services, offendingPairs: traffic.offendingPairs };
  } catch (error) {
    if (isPrometheusError(error)) {
      rt.log.warn({ err: error.message, kind: error.kind }, 'Prometheus query failed');
      return { state: 'unavailable', message: error.message };
    }
    throw error;
  }
}

const needsMesh = () => localModeError('mesh security needs a cluster with Istio');

/** The compliance page's data: the namespace's verdict, config status (namespace and mesh), runtime traffic, pods and injection. */
export async function meshStatusAnswer(rt: Runtime, params: URLSearchParams) {
  const q = parseQuery(meshStatusQuery, params);
  if (!rt.mesh) throw needsMesh();
  const namespace = rt.connection.namespace;
  const config = mtlsFromConfig(rt, rt.mesh);
  const telemetry = await telemetryFor(rt, namespace, q.window);
  const pods = requiredPods(rt);
  const namespaceObject = rt.mesh.namespaces.get(namespace);
  const labels = namespaceObject?.metadata.labels ?? {};
  return {
    namespace,
    rootNamespace: rt.config.mesh.rootNamespace,
    window: q.window,
    verdict: complianceVerdict({ namespace, config: config.namespace, telemetry, pods }),
    config: { ...config, summary: { namespace: describeServerSide(config.namespace), mesh: describeServerSide(config.mesh) } },
    telemetry,
    pods: pods.map(({ role, pod }) => ({ role, name: pod.name, status: pod.status, sidecar: pod.sidecar })),
    injection: {
      labels: Object.fromEntries(Object.entries(labels).filter(([k]) => k === INJECTION_LABEL || k === REVISION_LABEL)),
      enabled: labels[INJECTION_LABEL] === 'enabled' || (labels[INJECTION_LABEL] === undefined && labels[REVISION_LABEL] !== undefined),
      known: namespaceObject !== undefined,
    },
    prometheus: { configured: rt.prometheus !== undefined },
  };
}

/** The namespace's mutual_tls share over time, for the history chart. */
export async function historyAnswer(rt: Runtime, params: URLSearchParams) {
  const q = parseQuery(historyQuery, params);
  if (!rt.prometheus) throw new ApiError(409, 'not-configured', 'no Prometheus is configured (HUBMESH_PROMETHEUS_URL)');
  const namespace = rt.connection.namespace;
  const range = historyRange(Date.now() / 1000, durationSeconds(q.span)!);
  try {
    const [history] = await loadShareHistory(rt.prometheus, { window: q.window, namespaces: [namespace] }, range);
    return { namespace, window: q.window, span: q.span, step: range.step, points: history?.points ?? [] };
  } catch (error) {
    if (isPrometheusError(error) && error.unavailable) throw new ApiError(503, 'prometheus-unavailable', error.message, { cause: error });
    throw error;
  }
}

/** The validations catalogue run over the caches' snapshot. */
export function validationsAnswer(rt: Runtime) {
  if (!rt.mesh) throw needsMesh();
  const namespace = rt.connection.namespace;
  const config = mtlsFromConfig(rt, rt.mesh);
  const namespaceObject = rt.mesh.namespaces.get(namespace);
  const report = runValidations({
    namespace,
    rootNamespace: rt.config.mesh.rootNamespace,
    clusterDomain: rt.config.proxy.clusterDomain,
    prefix: rt.config.proxy.prefix,
    notebookSelector: rt.config.dashboard.notebookSelector,
    observedNamespaces: [...new Set([namespace, rt.gateway.split('/')[0]!])],
    virtualServices: [...rt.virtualServices.cache.list(), ...rt.mesh.foreignVirtualServices.list()],
    gateways: rt.mesh.gateways.list(),
    services: rt.services.cache.list(),
    pods: rt.pods.cache.list(),
    destinationRules: uniqueObjects([...rt.mesh.destinationRules.hub.list(), ...rt.mesh.destinationRules.root.list()]),
    peerAuthentications: uniqueObjects([...rt.mesh.peerAuthentications.hub.list(), ...rt.mesh.peerAuthentications.root.list()]),
    namespaces: namespaceObject ? [namespaceObject] : [],
    effectiveMtls: { [namespace]: config.namespace.server.runtimeMode },
  });
  return { namespace, ...report };
}

/** The alert rules for the hub namespace, as a Prometheus rule file and as a PrometheusRule. */
export function alertsAnswer(rt: Runtime, params: URLSearchParams) {
  const q = parseQuery(alertsQuery, params);
  const options = { namespace: rt.connection.namespace, window: q.window, for: q.for };
  return { ...options, ...alertRulesYaml(options) };
}
