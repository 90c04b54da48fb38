/** PodSummary builders for the mesh unit tests and the classification integration test. */
import type { AmbientInfo } from './ambient';
import type { PodMeshContext } from './pod-status';
import type { PodSummary, SidecarInfo } from './types';
import type { WarningContext } from './warnings';

/** An injected classic (not native) istio-proxy, ready, at 1.28.1. */
export const READY_SIDECAR: SidecarInfo = { injected: true, native: false, ready: true, version: '1.28.1', optedOut: false };
export const NO_SIDECAR: SidecarInfo = { injected: false, native: false, ready: false, version: undefined, optedOut: false };
/** A sidecar mesh around the pods: their namespace injects, no namespace is in ambient, no waypoint. */
export const SIDECAR_MESH: PodMeshContext = { namespaceLabels: { 'istio-injection': 'enabled' }, waypoints: [] };
export const SIDECAR_MESH_WARNINGS: Pick<WarningContext, 'dataplanes' | 'waypointPolicies'> = { dataplanes: { injection: true, ambient: false }, waypointPolicies: [] };

export const NOT_AMBIENT: AmbientInfo = { enrolled: false, enrolledBy: undefined, optedOut: false, redirected: false, waypoint: undefined };
/** enrolled by its namespace and redirected to ztunnel, without a waypoint */
export const AMBIENT: AmbientInfo = { enrolled: true, enrolledBy: 'namespace', optedOut: false, redirected: true, waypoint: undefined };

/** alice's default notebook server on kwok's node, Running 2/2 with READY_SIDECAR: all but what the cluster assigns (IP, creation time). */
export const RUNNING_NOTEBOOK: Omit<PodSummary, 'podIP' | 'createdAt'> = {
  name: 'jupyter-alice',
  namespace: 'jupyterhub',
  user: 'alice',
  serverName: '',
  phase: 'Running',
  status: 'Running',
  readyContainers: 2,
  totalContainers: 2,
  restarts: 0,
  node: 'kwok-node-0',
  sidecar: READY_SIDECAR,
  dataplane: 'sidecar',
  ambient: NOT_AMBIENT,
};

/**
 * RUNNING_NOTEBOOK with an IP and creation time, changed by `fields`; `sidecar` is merged into READY_SIDECAR.
 * The data plane follows as summarizePod sets it: the sidecar's if injected, else ambient's if enrolled.
 */
export function podSummary(fields: Partial<Omit<PodSummary, 'sidecar' | 'dataplane'>> = {}, sidecar: Partial<SidecarInfo> = {}): PodSummary {
  const merged = { ...READY_SIDECAR, ...sidecar };
  const ambient = fields.ambient ?? NOT_AMBIENT;
  const dataplane = merged.injected ? 'sidecar' : ambient.enrolled ? 'ambient' : 'none';
  return { ...RUNNING_NOTEBOOK, podIP: '10.244.0.2', createdAt: '2026-01-01T00:00:00Z', ...fields, sidecar: merged, dataplane, ambient };
}
