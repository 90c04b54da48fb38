import type { Container, ContainerStatus, Pod } from '../kube/pods';
import { ambientInfo, type WaypointRef } from './ambient';
import { isRestartableInitContainer, sidecarInfo } from './sidecar';
import type { Dataplane, PodSummary } from './types';

/** Fields kubectl reads that lib/kube/pods.ts does not declare (the wire format has them). */
type TerminatedState = NonNullable<NonNullable<ContainerStatus['state']>['terminated']>;

/** The pod.status.reason the node lifecycle controller sets on pods of an unreachable node. */
const NODE_UNREACHABLE_POD_REASON = 'NodeLost';
const SCHEDULING_GATED = 'SchedulingGated';

export const USERNAME_KEY = 'hub.jupyter.org/username';
export const SERVERNAME_KEY = 'hub.jupyter.org/servername';

/** What `kubectl get pods` prints for a pod: its READY, STATUS and RESTARTS columns. */
export type KubectlColumns = { status: string; readyContainers: number; totalContainers: number; restarts: number };

function terminated(status: ContainerStatus): TerminatedState | undefined {
  return status.state?.terminated;
}

function conditions(pod: Pod) {
  return pod.status?.conditions ?? [];
}

function conditionTrue(pod: Pod, type: string): boolean {
  return conditions(pod).some((c) => c.type === type && c.status === 'True');
}

/** A terminated container's reason as kubectl words it: its reason, else Signal:N, else ExitCode:N. */
function terminatedReason(state: TerminatedState): string {
  if (state.reason) return state.reason;
  if (state.signal) return `Signal:${state.signal}`;
  return `ExitCode:${state.exitCode ?? 0}`;
}

/**
 * A port of kubectl's printPod (k8s.io/kubernetes pkg/printers/internalversion/printers.go, as of 1.35): the
 * STATUS, READY and RESTARTS columns of `kubectl get pods`. Restartable init containers (native sidecars) count
 * in READY and RESTARTS, and once started they do not hold the pod in `Init:…`.
 */
export function kubectlColumns(pod: Pod): KubectlColumns {
  const spec = pod.spec;
  const status = pod.status;
  const phase = status?.phase || 'Pending'; // the apiserver defaults a pod's phase to Pending
  let reason = status?.reason || phase;
  if (conditions(pod).some((c) => c.type === 'PodScheduled' && c.reason === SCHEDULING_GATED)) reason = SCHEDULING_GATED;

  const initContainers = new Map<string, Container>();
  let totalContainers = spec?.containers?.length ?? 0;
  for (const container of spec?.initContainers ?? []) {
    initContainers.set(container.name, container);
    if (isRestartableInitContainer(container)) totalContainers++;
  }

  let readyContainers = 0;
  let restarts = 0;
  let restartableInitRestarts = 0;
  let initializing = false;
  const initStatuses = status?.initContainerStatuses ?? [];
  const initCount = spec?.initContainers?.length ?? 0;
  for (const [i, container] of initStatuses.entries()) {
    const restartable = isRestartableInitContainer(initContainers.get(container.name));
    restarts += container.restartCount ?? 0;
    if (restartable) restartableInitRestarts += container.restartCount ?? 0;
    const done = terminated(container);
    if (done && (done.exitCode ?? 0) === 0) continue;
    if (restartable && container.started === true) {
      if (container.ready) readyContainers++;
      continue;
    }
    const waiting = container.state?.waiting?.reason;
    if (done) reason = `Init:${terminatedReason(done)}`;
    else if (waiting && waiting !== 'PodInitializing') reason = `Init:${waiting}`;
    else reason = `Init:${i}/${initCount}`;
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(pod, 'Initialized')) {
    restarts = restartableInitRestarts;
    let hasRunning = false;
    // kubectl walks the containers backwards, so the first container's state wins
    const statuses = status?.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i]!;
      restarts += container.restartCount ?? 0;
      const waiting = container.state?.waiting?.reason;
      const done = terminated(container);
      if (waiting) reason = waiting;
      else if (done) reason = terminatedReason(done);
      else if (container.ready && container.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    // back to Running if a container still runs
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(pod, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata.deletionTimestamp && status?.reason === NODE_UNREACHABLE_POD_REASON) reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  return { status: reason, readyContainers, totalContainers, restarts };
}

/**
 * What `kubectl get pods` shows in its STATUS column: Running, Pending, ContainerCreating, CrashLoopBackOff,
 * Init:0/1, Init:CrashLoopBackOff, Completed, Error, ExitCode:1, NotReady, Terminating, Unknown, ...
 * The status depends on the pod alone; `now` is accepted for callers that pass a clock and is not used
 * (kubectl's STATUS has no time in it; only its AGE and RESTARTS columns do).
 */
export function podStatus(pod: Pod, now?: Date): string {
  void now;
  return kubectlColumns(pod).status;
}

// KubeSpawner writes the user's real name in the annotation, an escaped, label-safe one in the label
function hubValue(pod: Pod, key: string): string | undefined {
  return pod.metadata.annotations?.[key] ?? pod.metadata.labels?.[key];
}

/** The JupyterHub user a notebook pod belongs to, as KubeSpawner marks it. */
export const hubUserOf = (pod: Pod) => hubValue(pod, USERNAME_KEY);
/** The notebook pod's server name; undefined when KubeSpawner did not mark it ("" is the default server). */
export const hubServerOf = (pod: Pod) => hubValue(pod, SERVERNAME_KEY);

/** What a pod's data plane depends on besides the pod: its namespace's labels and the waypoints. */
export type PodMeshContext = {
  /** undefined when the namespace is not known (local mode watches no namespaces) */
  namespaceLabels: Readonly<Record<string, string>> | undefined;
  waypoints: readonly WaypointRef[];
};

/**
 * One pod as the admin console lists it. READY, STATUS and RESTARTS are kubectl's (RESTARTS too: while init
 * containers are failing, kubectl counts every init container's restarts; otherwise the regular containers'
 * and the native sidecars'). The data plane is the sidecar's when the pod has one, else ambient's when
 * ztunnel enrolls it.
 */
export function summarizePod(pod: Pod, mesh: PodMeshContext): PodSummary {
  const columns = kubectlColumns(pod);
  const sidecar = sidecarInfo(pod);
  const ambient = ambientInfo(pod, mesh.namespaceLabels, mesh.waypoints);
  const dataplane: Dataplane = sidecar.injected ? 'sidecar' : ambient.enrolled ? 'ambient' : 'none';
  return {
    name: pod.metadata.name,
    namespace: pod.metadata.namespace ?? '',
    user: hubUserOf(pod),
    serverName: hubServerOf(pod),
    phase: pod.status?.phase || 'Pending',
    status: columns.status,
    readyContainers: columns.readyContainers,
    totalContainers: columns.totalContainers,
    restarts: columns.restarts,
    node: pod.spec?.nodeName || undefined,
    podIP: pod.status?.podIP || undefined,
    createdAt: pod.metadata.creationTimestamp,
    sidecar,
    dataplane,
    ambient,
  };
}

/** Whether the pod's traffic is in the mesh now: its sidecar is ready, or ztunnel has it redirected. */
export function inMesh(summary: Pick<PodSummary, 'dataplane' | 'sidecar' | 'ambient'>): boolean {
  if (summary.dataplane === 'sidecar') return summary.sidecar.ready;
  return summary.dataplane === 'ambient' && summary.ambient.redirected;
}
