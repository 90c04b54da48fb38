import type { Container, ContainerStatus, Pod } from '../kube/pods';
import type { SidecarInfo } from './types';

/** The name Istio's injector gives the proxy container. */
export const ISTIO_PROXY = 'istio-proxy';
/** Annotation the injector writes: JSON with the containers and init containers it added. */
export const SIDECAR_STATUS_ANNOTATION = 'sidecar.istio.io/status';
/** Per-pod injection override; Istio reads it as a label (newer) or an annotation (older). */
export const SIDECAR_INJECT = 'sidecar.istio.io/inject';

/** Values Istio's injector reads as "inject" (YAML booleans, see pkg/kube/inject/webhook.go injectRequired). */
const INJECT_TRUE = new Set(['y', 'yes', 'true', 'on']);

/** An init container that keeps running next to the app: a native sidecar (Kubernetes ≥ 1.28). */
export function isRestartableInitContainer(container: Container | undefined): boolean {
  return container?.restartPolicy === 'Always';
}

/** Whether the injector's status annotation names istio-proxy among the containers or init containers it added. */
function statusAnnotationListsProxy(value: string | undefined): boolean {
  if (!value) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const { containers, initContainers } = parsed as { containers?: unknown; initContainers?: unknown };
  const lists = (list: unknown) => Array.isArray(list) && list.includes(ISTIO_PROXY);
  return lists(containers) || lists(initContainers);
}

/**
 * The tag of an image reference, or undefined when it has none.
 * `docker.io/istio/proxyv2:1.28.1` → `1.28.1`; `reg:5000/istio/proxyv2:1.2` → `1.2` (the registry's port is no tag);
 * `proxyv2:1.28.1@sha256:…` → `1.28.1`; `proxyv2@sha256:…` and `reg:5000/istio/proxyv2` → undefined.
 */
export function imageTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const withoutDigest = image.split('@', 1)[0] ?? '';
  const lastSegment = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  if (colon < 0) return undefined;
  const tag = lastSegment.slice(colon + 1);
  return tag === '' ? undefined : tag;
}

/**
 * Whether the pod opted out of injection. Like Istio's injector, the label `sidecar.istio.io/inject` wins over
 * the annotation of the same name when both are set, and any non-empty value other than y/yes/true/on
 * (case-insensitive) turns injection off — so `"false"` does, and so does `"no"`.
 */
export function optedOutOfInjection(pod: Pod): boolean {
  const labels = pod.metadata.labels ?? {};
  const value = Object.hasOwn(labels, SIDECAR_INJECT) ? labels[SIDECAR_INJECT] : pod.metadata.annotations?.[SIDECAR_INJECT];
  if (value === undefined || value === '') return false;
  return !INJECT_TRUE.has(value.toLowerCase());
}

/**
 * How a pod stands in the mesh, after Kiali's rules: it has a sidecar if the injector's status annotation lists
 * istio-proxy, or if it has a container named istio-proxy, or an init container of that name with
 * `restartPolicy: Always` (a native sidecar). Readiness comes from the container's status (the init container's
 * for a native sidecar), the version from the istio-proxy image's tag.
 */
export function sidecarInfo(pod: Pod): SidecarInfo {
  const optedOut = optedOutOfInjection(pod);
  const regular = pod.spec?.containers?.find((c) => c.name === ISTIO_PROXY);
  const nativeContainer = pod.spec?.initContainers?.find((c) => c.name === ISTIO_PROXY && isRestartableInitContainer(c));
  const listed = statusAnnotationListsProxy(pod.metadata.annotations?.[SIDECAR_STATUS_ANNOTATION]);
  const injected = listed || regular !== undefined || nativeContainer !== undefined;
  if (!injected) return { injected: false, native: false, ready: false, version: undefined, optedOut };

  // a regular istio-proxy container wins over a native one (a pod never has both, but be deterministic)
  const native = regular === undefined && nativeContainer !== undefined;
  const statuses: ContainerStatus[] | undefined = native ? pod.status?.initContainerStatuses : pod.status?.containerStatuses;
  const status = statuses?.find((s) => s.name === ISTIO_PROXY);
  const container = regular ?? nativeContainer;
  return {
    injected: true,
    native,
    ready: status?.ready === true,
    version: imageTag(container?.image),
    optedOut,
  };
}
