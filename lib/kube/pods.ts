import type { CacheTransform } from './informer';
import { SharedValues } from './intern';
import type { KindDescriptor, KubeObject } from './types';

export const podKind: KindDescriptor = { group: '', version: 'v1', kind: 'Pod', plural: 'pods' };

export type Container = { name: string; image?: string; restartPolicy?: string; ports?: Array<{ name?: string; containerPort: number }> };

export type ContainerStatus = {
  name: string;
  ready: boolean;
  restartCount: number;
  image?: string;
  started?: boolean;
  state?: { running?: { startedAt?: string }; waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number; signal?: number } };
};

/** core/v1 Pod, as plain JSON: the fields hubmesh reads. */
export type Pod = KubeObject & {
  spec?: { nodeName?: string; serviceAccountName?: string; hostNetwork?: boolean; containers: Container[]; initContainers?: Container[] };
  status?: {
    phase?: string;
    podIP?: string;
    reason?: string;
    conditions?: Array<{ type: string; status: string; reason?: string }>;
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
};

/** Annotations hubmesh reads: Istio's injection status and overrides, istio-cni's ambient redirection, and KubeSpawner's user and server names. */
const KEPT_ANNOTATION_PREFIXES = ['sidecar.istio.io/', 'ambient.istio.io/', 'hub.jupyter.org/'];

const slimContainer = ({ name, image, restartPolicy, ports }: Container): Container => ({
  name,
  image,
  restartPolicy,
  ports: ports?.map(({ name: portName, containerPort }) => ({ name: portName, containerPort })),
});

const slimContainerStatus = ({ name, ready, restartCount, image, started, state }: ContainerStatus): ContainerStatus => ({
  name,
  ready,
  restartCount,
  image,
  started,
  state: state && {
    running: state.running && { startedAt: state.running.startedAt },
    waiting: state.waiting && { reason: state.waiting.reason },
    terminated: state.terminated && { reason: state.terminated.reason, exitCode: state.terminated.exitCode, signal: state.terminated.signal },
  },
});

/**
 * The pod as the cache keeps it: the fields `Pod` declares, nothing else. A scheduled pod as the
 * apiserver sends it is mostly volumes, env, probes and managed fields; a namespace with thousands of
 * notebooks should cost the server only the few hundred bytes per pod it reads.
 */
export function slimPod(pod: Pod, shared?: SharedValues): Pod {
  const share = <V>(value: V): V => (shared ? shared.share(value) : value);
  const { name, namespace, uid, resourceVersion, creationTimestamp, deletionTimestamp, labels, annotations } = pod.metadata;
  const kept = annotations && Object.entries(annotations).filter(([key]) => KEPT_ANNOTATION_PREFIXES.some((p) => key.startsWith(p)));
  const { spec, status } = pod;
  return {
    metadata: {
      name,
      namespace,
      uid,
      resourceVersion,
      creationTimestamp,
      deletionTimestamp,
      labels,
      annotations: kept?.length ? Object.fromEntries(kept) : undefined,
    },
    spec: spec && {
      nodeName: spec.nodeName,
      serviceAccountName: spec.serviceAccountName,
      hostNetwork: spec.hostNetwork || undefined,
      containers: share((spec.containers ?? []).map(slimContainer)),
      initContainers: share(spec.initContainers?.map(slimContainer)),
    },
    status: status && {
      phase: status.phase,
      podIP: status.podIP,
      reason: status.reason,
      conditions: share(status.conditions?.map(({ type, status: conditionStatus, reason }) => ({ type, status: conditionStatus, reason }))),
      containerStatuses: status.containerStatuses?.map(slimContainerStatus),
      initContainerStatuses: status.initContainerStatuses?.map(slimContainerStatus),
    },
  };
}

/**
 * The pods cache's transform: slimPod, with the values pods of one profile hold equal (their containers,
 * their conditions once Running) kept once for the whole cache, about a third of a slim pod.
 */
export function podCacheShape(): CacheTransform<Pod> {
  const shared = new SharedValues();
  return (pod) => slimPod(pod, shared);
}
