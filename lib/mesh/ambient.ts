import type { K8sGateway } from '../kube/k8s-gateways';
import type { Pod } from '../kube/pods';
import { SIDECAR_STATUS_ANNOTATION, sidecarInfo } from './sidecar';
import type { AmbientInfo, AmbientWaypoint, WaypointRef, WaypointTraffic } from './types';

/**
 * Istio's ambient data plane, read from configuration: which pods the per-node ztunnel captures (HBONE mTLS),
 * whether istio-cni has redirected them yet, and which waypoint proxy (L7) their traffic is bound to. The names
 * are Istio's (istio.io/api label and annotation packages, pkg/config/constants).
 */

/** 'ambient' enrolls a namespace or a pod; on a pod, 'none' opts it out of its namespace's enrollment */
export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
export const DATAPLANE_MODE_AMBIENT = 'ambient';
export const DATAPLANE_MODE_NONE = 'none';
/** istio-cni writes 'enabled' once ztunnel redirects the pod ('pending': redirected, but no ztunnel took it yet) */
export const REDIRECTION_ANNOTATION = 'ambient.istio.io/redirection';
export const REDIRECTION_ENABLED = 'enabled';
/** on a namespace, service or pod: the waypoint its traffic goes through; 'none' turns an inherited one off */
export const USE_WAYPOINT_LABEL = 'istio.io/use-waypoint';
/** the waypoint's namespace, when it is not the object's own */
export const USE_WAYPOINT_NAMESPACE_LABEL = 'istio.io/use-waypoint-namespace';
/** on a waypoint Gateway: the traffic it takes, service (the default), workload, all or none */
export const WAYPOINT_FOR_LABEL = 'istio.io/waypoint-for';
export const WAYPOINT_GATEWAY_CLASS = 'istio-waypoint';
/** HBONE, ambient's mTLS tunnel: ztunnel and waypoints deliver a pod's traffic to it on this port */
export const HBONE_PORT = 15008;

// the shapes live in types.ts with the pod summary that holds them
export type { AmbientInfo, AmbientWaypoint, WaypointRef, WaypointTraffic } from './types';

const isWaypointTraffic = (value: string | undefined): value is WaypointTraffic =>
  value === 'service' || value === 'workload' || value === 'all' || value === 'none';

/**
 * The traffic a waypoint Gateway takes, from its istio.io/waypoint-for label: service without one; a value
 * Istio does not know matches neither service nor workload traffic, so it takes none.
 */
export function waypointTraffic(labels: Readonly<Record<string, string>> | undefined): WaypointTraffic {
  const value = labels?.[WAYPOINT_FOR_LABEL];
  if (value === undefined) return 'service';
  return isWaypointTraffic(value) ? value : 'none';
}

/**
 * The waypoints among Gateway API Gateways: those of class istio-waypoint, with the traffic they take, ready
 * once their controller gave them an address.
 */
export function waypointRefs(gateways: readonly K8sGateway[]): WaypointRef[] {
  return gateways
    .filter((gateway) => gateway.spec?.gatewayClassName === WAYPOINT_GATEWAY_CLASS)
    .map((gateway) => ({
      namespace: gateway.metadata.namespace ?? '',
      name: gateway.metadata.name,
      for: waypointTraffic(gateway.metadata.labels),
      ready: (gateway.status?.addresses?.length ?? 0) > 0,
    }));
}

/**
 * Whether istio-cni enrolls the pod, after its default enablement selectors (manifests/charts/istio-cni
 * values.yaml `ambient.enablementSelectors`, judged by CompiledEnablementSelectors.Matches in
 * cni/pkg/util/enablement_selector.go): never a host-network pod, nor one the sidecar injector handled (its
 * sidecar.istio.io/status annotation: the sidecar wins); then the pod's label `ambient`, or its namespace's
 * label `ambient` unless the pod's label is `none`. A pod with an istio-proxy container but no status annotation
 * (which the injector never makes) counts as a sidecar pod too, so that a pod is never both.
 */
function enrollment(pod: Pod, namespaceLabels: Readonly<Record<string, string>> | undefined): Pick<AmbientInfo, 'enrolled' | 'enrolledBy' | 'optedOut'> {
  const podMode = pod.metadata.labels?.[DATAPLANE_MODE_LABEL];
  const namespaceAmbient = namespaceLabels?.[DATAPLANE_MODE_LABEL] === DATAPLANE_MODE_AMBIENT;
  const optedOut = namespaceAmbient && podMode === DATAPLANE_MODE_NONE;
  const hasSidecar = pod.metadata.annotations?.[SIDECAR_STATUS_ANNOTATION] !== undefined || sidecarInfo(pod).injected;
  const capturable = pod.spec?.hostNetwork !== true && !hasSidecar;
  if (capturable && podMode === DATAPLANE_MODE_AMBIENT) return { enrolled: true, enrolledBy: 'pod', optedOut };
  if (capturable && namespaceAmbient && !optedOut) return { enrolled: true, enrolledBy: 'namespace', optedOut };
  return { enrolled: false, enrolledBy: undefined, optedOut };
}

type NamedWaypoint = { namespace: string; name: string };

/**
 * The waypoint one object's labels name (GetUseWaypoint in waypoints.go): undefined without the label,
 * 'none' for the opt-out, else the name, in the object's namespace unless use-waypoint-namespace says another.
 */
function waypointNamedBy(labels: Readonly<Record<string, string>> | undefined, defaultNamespace: string): NamedWaypoint | 'none' | undefined {
  const name = labels?.[USE_WAYPOINT_LABEL];
  if (name === undefined) return undefined;
  if (name === 'none') return 'none';
  return { namespace: labels?.[USE_WAYPOINT_NAMESPACE_LABEL] ?? defaultNamespace, name };
}

/**
 * The pod's waypoint, after fetchWaypointForTarget in waypoints.go: the pod's own use-waypoint label wins
 * (its 'none' turns the namespace's off); otherwise its namespace's label, whose 'none' means no waypoint.
 */
function podWaypoint(pod: Pod, namespaceLabels: Readonly<Record<string, string>> | undefined, waypoints: readonly WaypointRef[]): AmbientWaypoint | undefined {
  const namespace = pod.metadata.namespace ?? '';
  const own = waypointNamedBy(pod.metadata.labels, namespace);
  if (own === 'none') return undefined;
  const inherited = own === undefined ? waypointNamedBy(namespaceLabels, namespace) : undefined;
  const named = own ?? (inherited === 'none' ? undefined : inherited);
  if (named === undefined) return undefined;
  const match = waypoints.find((waypoint) => waypoint.namespace === named.namespace && waypoint.name === named.name);
  return {
    ...named,
    found: match !== undefined,
    ready: match !== undefined && match.ready !== false,
    for: match?.for,
    boundBy: own === undefined ? 'namespace' : 'pod',
  };
}

/** How a pod stands in Istio's ambient data plane. Pure: the namespace's labels and the waypoints are given. */
export function ambientInfo(pod: Pod, namespaceLabels: Readonly<Record<string, string>> | undefined, waypoints: readonly WaypointRef[]): AmbientInfo {
  return {
    ...enrollment(pod, namespaceLabels),
    redirected: pod.metadata.annotations?.[REDIRECTION_ANNOTATION] === REDIRECTION_ENABLED,
    waypoint: podWaypoint(pod, namespaceLabels, waypoints),
  };
}

/** Whether a namespace is enrolled in ambient as a whole (its pods may still opt out). */
export const namespaceInAmbient = (namespaceLabels: Readonly<Record<string, string>> | undefined) =>
  namespaceLabels?.[DATAPLANE_MODE_LABEL] === DATAPLANE_MODE_AMBIENT;
