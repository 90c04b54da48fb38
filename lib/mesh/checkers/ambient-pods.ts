import type { Pod } from '../../kube/pods';
import { ambientInfo, type AmbientInfo } from '../ambient';
import { sidecarInfo } from '../sidecar';
import { isLive } from './destinations';
import type { ValidationSnapshot } from './types';

export type AmbientPod = { pod: Pod; ambient: AmbientInfo };

/**
 * The live pods of the hub namespace whose traffic ztunnel handles: enrolled in ambient (by their own label or
 * their namespace's, ambient.ts) and without a sidecar, which would take precedence.
 */
export function ambientPods(snapshot: Pick<ValidationSnapshot, 'namespace' | 'namespaces' | 'pods' | 'waypoints'>): AmbientPod[] {
  const namespaceLabels = snapshot.namespaces.find((ns) => ns.metadata.name === snapshot.namespace)?.metadata.labels;
  return snapshot.pods
    .filter((pod) => pod.metadata.namespace === snapshot.namespace && isLive(pod) && !sidecarInfo(pod).injected)
    .map((pod) => ({ pod, ambient: ambientInfo(pod, namespaceLabels, snapshot.waypoints ?? []) }))
    .filter(({ ambient }) => ambient.enrolled);
}

/** "jupyter-alice, jupyter-bob and 3 more" */
export function podNames(pods: readonly Pod[], shown = 3): string {
  const names = pods.map((p) => p.metadata.name).sort();
  if (names.length <= shown) return names.join(', ');
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}
