/** PodSummary builders for the mesh unit tests and the classification integration test. */
import type { PodSummary, SidecarInfo } from './types';

/** An injected classic (not native) istio-proxy, ready, at 1.28.1. */
export const READY_SIDECAR: SidecarInfo = { injected: true, native: false, ready: true, version: '1.28.1', optedOut: false };
export const NO_SIDECAR: SidecarInfo = { injected: false, native: false, ready: false, version: undefined, optedOut: false };

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
};

/** RUNNING_NOTEBOOK with an IP and creation time, changed by `fields`; `sidecar` is merged into READY_SIDECAR. */
export function podSummary(fields: Partial<Omit<PodSummary, 'sidecar'>> = {}, sidecar: Partial<SidecarInfo> = {}): PodSummary {
  return { ...RUNNING_NOTEBOOK, podIP: '10.244.0.2', createdAt: '2026-01-01T00:00:00Z', ...fields, sidecar: { ...READY_SIDECAR, ...sidecar } };
}
