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
};

export type PodWarningCode = 'no-sidecar' | 'sidecar-not-ready' | 'sidecar-version-skew' | 'pod-without-route';

export type PodWarning = { code: PodWarningCode; message: string };
