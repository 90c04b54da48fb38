import type { PodSummary, PodWarning } from './types';

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
};

/**
 * What an admin should look at for one pod, in a fixed order: no-sidecar, sidecar-not-ready,
 * sidecar-version-skew, pod-without-route.
 *
 * - no-sidecar: the pod has no istio-proxy (saying so when it opted out).
 * - sidecar-not-ready: injected but its proxy is not ready, while the pod is Pending (still starting: the
 *   notebook is not reachable through the mesh yet, which is worth seeing) or Running.
 * - sidecar-version-skew: the proxy's version is known and differs from expectedVersion.
 * - pod-without-route: a Running pod no route leads to.
 *
 * A pod being deleted (status Terminating) gets no sidecar-not-ready nor pod-without-route warning: the hub
 * removes a server's route before its pod stops, and the proxy shuts down with the pod.
 */
export function podWarnings(summary: PodSummary, context: WarningContext): PodWarning[] {
  const warnings: PodWarning[] = [];
  const { sidecar } = summary;
  const terminating = summary.status === 'Terminating';
  if (!sidecar.injected) {
    warnings.push({
      code: 'no-sidecar',
      message: sidecar.optedOut
        ? 'no istio-proxy sidecar: the pod opted out of injection (sidecar.istio.io/inject), so traffic to this notebook is not mTLS-encrypted'
        : "no istio-proxy sidecar: traffic to this notebook is not mTLS-encrypted; check the namespace's istio-injection label",
    });
  }
  if (sidecar.injected && !sidecar.ready && !terminating && (summary.phase === 'Running' || summary.phase === 'Pending')) {
    warnings.push({
      code: 'sidecar-not-ready',
      message:
        summary.phase === 'Pending'
          ? 'istio-proxy sidecar not ready yet: the pod is still starting, and the notebook is unreachable through the mesh until the proxy is ready'
          : "istio-proxy sidecar not ready: requests to this notebook fail until it is; check the istio-proxy container's logs and istiod",
    });
  }
  if (sidecar.injected && sidecar.version !== undefined && context.expectedVersion !== undefined && sidecar.version !== context.expectedVersion) {
    warnings.push({
      code: 'sidecar-version-skew',
      message: `istio-proxy ${sidecar.version} differs from the expected ${context.expectedVersion}: restart the notebook server so the injector gives it the current proxy`,
    });
  }
  if (!context.hasRoute && summary.phase === 'Running' && !terminating) {
    warnings.push({
      code: 'pod-without-route',
      message: 'running notebook pod without a route: no VirtualService sends traffic to it, so its user cannot reach it through the hub',
    });
  }
  return warnings;
}
