import type { KindDescriptor, KubeObject } from './types';

/** core/v1 Namespace (cluster-scoped): its labels say whether Istio injects sidecars into its pods. */
export const namespaceKind: KindDescriptor = { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', clusterScoped: true };

export type Namespace = KubeObject & { status?: { phase?: string } };

/** Istio's injection labels on a namespace: `istio-injection=enabled|disabled`, or a revision `istio.io/rev=<rev>`. */
export const INJECTION_LABEL = 'istio-injection';
export const REVISION_LABEL = 'istio.io/rev';

/** Whether Istio's injector gives the namespace's pods sidecars: istio-injection=enabled, or a revision label without istio-injection. */
export function injectsSidecars(labels: Readonly<Record<string, string>> | undefined): boolean {
  const injection = labels?.[INJECTION_LABEL];
  return injection === 'enabled' || (injection === undefined && labels?.[REVISION_LABEL] !== undefined);
}
