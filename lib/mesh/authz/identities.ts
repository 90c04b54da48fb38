import type { Pod } from '../../kube/pods';

/** A workload role in the isolation policy. */
export type Role = 'gateway' | 'hub' | 'hubmesh' | 'notebook';

/** A SPIFFE identity as AuthorizationPolicies write it (without `spiffe://`), and the pods it was read from. */
export type Identity = {
  role: Role;
  /** `<trust domain>/ns/<namespace>/sa/<service account>` */
  principal: string;
  namespace: string;
  serviceAccount: string;
  /** the pods that run as it (names), so the console can show where it was read from */
  pods: string[];
};

export const principalOf = (trustDomain: string, namespace: string, serviceAccount: string) => `${trustDomain}/ns/${namespace}/sa/${serviceAccount}`;

/** A principal as Istio's metrics report it (`spiffe://…`), as policies write it. */
export const fromSpiffe = (uri: string) => uri.replace(/^spiffe:\/\//, '');

const running = (pod: Pod) => pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed' && !pod.metadata.deletionTimestamp;

/**
 * The identities of a role's pods: one per service account, in name order. A pod without a
 * serviceAccountName runs as `default`, as the apiserver sets it.
 */
export function identitiesOf(role: Role, pods: readonly Pod[], trustDomain: string): Identity[] {
  const byAccount = new Map<string, Identity>();
  for (const pod of pods.filter(running)) {
    const namespace = pod.metadata.namespace ?? '';
    const serviceAccount = pod.spec?.serviceAccountName || 'default';
    const principal = principalOf(trustDomain, namespace, serviceAccount);
    const found = byAccount.get(principal) ?? { role, principal, namespace, serviceAccount, pods: [] };
    found.pods.push(pod.metadata.name);
    byAccount.set(principal, found);
  }
  return [...byAccount.values()].sort((a, b) => (a.principal < b.principal ? -1 : a.principal > b.principal ? 1 : 0));
}
