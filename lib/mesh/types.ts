import type { AuthorizationPolicy } from '../kube/authorizationpolicies';
import type { Namespace } from '../kube/namespaces';

/** Ambient's shapes; the rules that fill them are ambient.ts's. */
export type WaypointTraffic = 'service' | 'workload' | 'all' | 'none';

/** A waypoint proxy: a Gateway API Gateway of class istio-waypoint. */
export type WaypointRef = {
  namespace: string;
  name: string;
  for: WaypointTraffic;
  /**
   * false while the Gateway has no address in its status: istiod binds nothing to it until its proxy runs
   * (gatewayToWaypointTransform in pilot/pkg/serviceregistry/ambient/waypoints.go). Absent counts as ready.
   */
  ready?: boolean;
};

export type AmbientWaypoint = {
  namespace: string;
  name: string;
  /** a waypoint Gateway of that name exists */
  found: boolean;
  /** it exists and has an address, so istiod binds traffic to it */
  ready: boolean;
  /** the traffic the waypoint takes; undefined when not found */
  for: WaypointTraffic | undefined;
  /** where the use-waypoint label that names it sits */
  boundBy: 'pod' | 'namespace';
};

export type AmbientInfo = {
  /** Istio's ztunnel captures it (HBONE) per istio-cni's default enablement rules */
  enrolled: boolean;
  enrolledBy: 'namespace' | 'pod' | undefined;
  /** pod label istio.io/dataplane-mode=none under an ambient namespace */
  optedOut: boolean;
  /** the redirection annotation says enabled */
  redirected: boolean;
  /**
   * The waypoint the use-waypoint labels bind (the pod's, else its namespace's), resolved against the waypoints.
   * istiod sends traffic addressed to the pod itself through it only when it is ready and `for` is workload or
   * all (fetchWaypointForWorkload), and traffic to the pod's Services when `for` is service or all; a listener's
   * allowedRoutes (attachment from other namespaces) is not judged here.
   */
  waypoint: AmbientWaypoint | undefined;
};

/** How a pod stands in the mesh, after Kiali's rules (see shared/mesh-facts.md). */
export type SidecarInfo = {
  /** the pod has an istio-proxy sidecar: listed in sidecar.istio.io/status, or an istio-proxy (init) container */
  injected: boolean;
  /** istio-proxy runs as a native sidecar: an init container with restartPolicy Always */
  native: boolean;
  /** istio-proxy's container status says ready; false when not injected */
  ready: boolean;
  /** the istio-proxy image tag, e.g. "1.28.1"; undefined when not injected or untagged */
  version: string | undefined;
  /** the pod opted out with the annotation sidecar.istio.io/inject: "false" */
  optedOut: boolean;
};

export type PodSummary = {
  name: string;
  namespace: string;
  /** JupyterHub user: annotation hub.jupyter.org/username, else the label of that name */
  user: string | undefined;
  /** server name: annotation or label hub.jupyter.org/servername ('' for the default server) */
  serverName: string | undefined;
  phase: string;
  /** what `kubectl get pods` shows in its STATUS column: Running, Pending, ContainerCreating, CrashLoopBackOff, Init:0/1, Completed, Terminating, ... */
  status: string;
  readyContainers: number;
  totalContainers: number;
  restarts: number;
  node: string | undefined;
  podIP: string | undefined;
  createdAt: string | undefined;
  sidecar: SidecarInfo;
  /** the pod's data plane: an istio-proxy sidecar, ambient's ztunnel (enrolled; a sidecar wins), or neither */
  dataplane: Dataplane;
  ambient: AmbientInfo;
};

export type Dataplane = 'sidecar' | 'ambient' | 'none';

/** Stable codes, in podWarnings' order: APIs, filters and tests use them. */
export const POD_WARNING_CODES = [
  'no-sidecar',
  'not-enrolled',
  'sidecar-not-ready',
  'ztunnel-not-redirecting',
  'waypoint-missing',
  'sidecar-version-skew',
  'pod-without-route',
] as const;

export type PodWarningCode = (typeof POD_WARNING_CODES)[number];

export type PodWarning = { code: PodWarningCode; message: string };

/** The mesh around pods, for their data plane and warnings: every namespace (their labels), the waypoints, the AuthorizationPolicies. */
export type MeshAroundPods = {
  namespaces: Namespace[];
  waypoints: WaypointRef[];
  /** the hub namespace's and the root namespace's */
  authorizationPolicies: AuthorizationPolicy[];
  rootNamespace: string;
};
