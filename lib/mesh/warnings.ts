import { injectsSidecars } from '../kube/namespaces';
import type { Pod } from '../kube/pods';
import { namespaceInAmbient } from './ambient';
import { policiesNeedingWaypoint } from './authz/l7';
import type { MeshAroundPods, PodSummary, PodWarning } from './types';

/**
 * Compares version strings such as "1.28.1", "1.9.0-beta.1" or "1.28-dev": dot/dash separated parts, numeric
 * parts numerically (1.10 > 1.9), others as strings. When one runs out of parts first, it is the lower one if the
 * other goes on with a number (1.28 < 1.28.1) and the higher one if the other goes on with a word, as semver's
 * pre-releases do (1.28.1-rc.0 < 1.28.1).
 */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.\-+_]/);
  const pb = b.split(/[.\-+_]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return /^\d+$/.test(y ?? '') ? -1 : 1;
    if (y === undefined) return /^\d+$/.test(x) ? 1 : -1;
    if (x === y) continue;
    const nx = /^\d+$/.test(x) ? Number(x) : NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) return nx - ny;
    // a number sorts above a word in the same place (1.28.0 > 1.28.dev)
    if (!Number.isNaN(nx)) return 1;
    if (!Number.isNaN(ny)) return -1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/**
 * The sidecar version most injected pods run (pods with no known version do not vote); ties go to the higher
 * version, so the answer does not depend on the pods' order. Undefined when no injected pod has a version.
 */
export function majorityVersion(summaries: PodSummary[]): string | undefined {
  const counts = new Map<string, number>();
  for (const { sidecar } of summaries) {
    if (sidecar.injected && sidecar.version !== undefined) counts.set(sidecar.version, (counts.get(sidecar.version) ?? 0) + 1);
  }
  let best: string | undefined;
  let bestCount = 0;
  for (const [version, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== undefined && compareVersions(version, best) > 0)) {
      best = version;
      bestCount = count;
    }
  }
  return best;
}

export type WarningContext = {
  /** the version every sidecar should run (e.g. majorityVersion of the namespace's pods); undefined: no check */
  expectedVersion: string | undefined;
  /** whether a hub route (VirtualService) leads to this pod */
  hasRoute: boolean;
  /**
   * The data planes around the pod. `injection`: its namespace asks for sidecars (istio-injection or
   * istio.io/rev). `ambient`: ambient is in use (its namespace or another is enrolled, or a pod is), so a pod
   * with neither data plane is told in ambient's words too.
   */
  dataplanes: { injection: boolean; ambient: boolean };
  /** the AuthorizationPolicies that apply to the pod and need a waypoint (policiesNeedingWaypoint), as "namespace/name" */
  waypointPolicies: readonly string[];
};

/**
 * What podWarnings reads of the mesh around a pod: its namespace's injection, whether any namespace is in
 * ambient, and, for an ambient pod, the policies that need a waypoint. Without a mesh (local mode): neither.
 */
export function meshWarningContext(pod: Pod, summary: PodSummary, mesh: MeshAroundPods | undefined): Pick<WarningContext, 'dataplanes' | 'waypointPolicies'> {
  const namespaces = mesh?.namespaces ?? [];
  const labels = namespaces.find((ns) => ns.metadata.name === summary.namespace)?.metadata.labels;
  const waypointPolicies =
    summary.dataplane === 'ambient' && mesh
      ? policiesNeedingWaypoint(mesh.authorizationPolicies, { namespace: summary.namespace, labels: pod.metadata.labels ?? {} }, mesh.rootNamespace).map(
          (policy) => `${policy.metadata.namespace}/${policy.metadata.name}`,
        )
      : [];
  return {
    dataplanes: { injection: injectsSidecars(labels), ambient: namespaces.some((ns) => namespaceInAmbient(ns.metadata.labels)) },
    waypointPolicies,
  };
}

/** Whether the pod's ambient traffic reaches a waypoint that can enforce L7 policy. */
const hasUsableWaypoint = ({ waypoint }: PodSummary['ambient']) => waypoint !== undefined && waypoint.ready && waypoint.for !== 'none';

function outsideTheMesh(summary: PodSummary, context: WarningContext): PodWarning {
  const { sidecar, ambient } = summary;
  if (ambient.optedOut) {
    return {
      code: 'not-enrolled',
      message: "not enrolled: the pod opts out of its namespace's ambient mode (istio.io/dataplane-mode=none) and has no istio-proxy sidecar, so traffic to this notebook is not mTLS-encrypted",
    };
  }
  if (context.dataplanes.ambient && !context.dataplanes.injection) {
    const injectionOptOut = sidecar.optedOut ? ' (it opted out of sidecar injection with sidecar.istio.io/inject)' : '';
    return {
      code: 'not-enrolled',
      message: `not enrolled: neither an istio-proxy sidecar${injectionOptOut} nor ambient's ztunnel carries this notebook's traffic, so it is not mTLS-encrypted; label its namespace istio.io/dataplane-mode=ambient (a host-network pod cannot be captured)`,
    };
  }
  return {
    code: 'no-sidecar',
    message: sidecar.optedOut
      ? 'no istio-proxy sidecar: the pod opted out of injection (sidecar.istio.io/inject), so traffic to this notebook is not mTLS-encrypted'
      : "no istio-proxy sidecar: traffic to this notebook is not mTLS-encrypted; check the namespace's istio-injection label",
  };
}

/**
 * What an admin should look at for one pod, in a fixed order: no-sidecar or not-enrolled, sidecar-not-ready,
 * ztunnel-not-redirecting, waypoint-missing, sidecar-version-skew, pod-without-route.
 *
 * - no-sidecar / not-enrolled: the pod has neither an istio-proxy sidecar nor ambient's ztunnel. It is
 *   "not-enrolled" where ambient is in use (or the pod opted out of it) and its namespace does not inject
 *   sidecars; a sidecar-only mesh keeps seeing "no-sidecar".
 * - sidecar-not-ready: injected but its proxy is not ready, while the pod is Pending (still starting: the
 *   notebook is not reachable through the mesh yet, which is worth seeing) or Running.
 * - ztunnel-not-redirecting: enrolled in ambient, Running, and istio-cni has not marked it redirected.
 * - waypoint-missing: an ambient pod with AuthorizationPolicies that need a waypoint, and no ready waypoint.
 * - sidecar-version-skew: the proxy's version is known and differs from expectedVersion.
 * - pod-without-route: a Running pod no route leads to.
 *
 * A pod being deleted (status Terminating) gets no sidecar-not-ready, ztunnel-not-redirecting nor
 * pod-without-route warning: the hub removes a server's route before its pod stops, and the proxy shuts down
 * with the pod.
 */
export function podWarnings(summary: PodSummary, context: WarningContext): PodWarning[] {
  const warnings: PodWarning[] = [];
  const { sidecar, ambient, dataplane } = summary;
  const terminating = summary.status === 'Terminating';
  const running = summary.phase === 'Running' && !terminating;
  if (dataplane === 'none') warnings.push(outsideTheMesh(summary, context));
  if (sidecar.injected && !sidecar.ready && !terminating && (summary.phase === 'Running' || summary.phase === 'Pending')) {
    warnings.push({
      code: 'sidecar-not-ready',
      message:
        summary.phase === 'Pending'
          ? 'istio-proxy sidecar not ready yet: the pod is still starting, and the notebook is unreachable through the mesh until the proxy is ready'
          : "istio-proxy sidecar not ready: requests to this notebook fail until it is; check the istio-proxy container's logs and istiod",
    });
  }
  if (dataplane === 'ambient' && !ambient.redirected && running) {
    const by = ambient.enrolledBy === 'pod' ? 'its istio.io/dataplane-mode label' : 'its namespace';
    warnings.push({
      code: 'ztunnel-not-redirecting',
      message: `ztunnel not redirecting: the pod is enrolled in ambient by ${by}, but istio-cni has not marked it redirected (ambient.istio.io/redirection: enabled), so its traffic may bypass ztunnel unencrypted; check the istio-cni and ztunnel pods on ${summary.node ?? 'its node'}`,
    });
  }
  if (dataplane === 'ambient' && context.waypointPolicies.length > 0 && !hasUsableWaypoint(ambient)) {
    const named = ambient.waypoint && `${ambient.waypoint.namespace}/${ambient.waypoint.name}`;
    const state = !ambient.waypoint
      ? 'no istio.io/use-waypoint label names one'
      : !ambient.waypoint.found
        ? `the waypoint ${named} its istio.io/use-waypoint label names does not exist (or is outside the watched namespace)`
        : !ambient.waypoint.ready
          ? `the waypoint ${named} has no address yet (its proxy is not running)`
          : `the waypoint ${named} takes no traffic (istio.io/waypoint-for: none)`;
    warnings.push({
      code: 'waypoint-missing',
      message: `no waypoint, but an L7 policy needs one: ztunnel cannot enforce the HTTP rules of AuthorizationPolicy ${context.waypointPolicies.join(', ')}, and ${state}`,
    });
  }
  if (sidecar.injected && sidecar.version !== undefined && context.expectedVersion !== undefined && sidecar.version !== context.expectedVersion) {
    warnings.push({
      code: 'sidecar-version-skew',
      message: `istio-proxy ${sidecar.version} differs from the expected ${context.expectedVersion}: restart the notebook server so the injector gives it the current proxy`,
    });
  }
  if (!context.hasRoute && running) {
    warnings.push({
      code: 'pod-without-route',
      message: 'running notebook pod without a route: no VirtualService sends traffic to it, so its user cannot reach it through the hub',
    });
  }
  return warnings;
}
