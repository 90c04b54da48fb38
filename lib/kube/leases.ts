import type { KindDescriptor, KubeObject } from './types';

/** coordination.k8s.io/v1 Lease: the lock of a leader election. */
export const leaseKind: KindDescriptor = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases' };

export type LeaseSpec = {
  /** Empty or absent: nobody holds the lease, and any candidate may take it at once. */
  holderIdentity?: string;
  /** How long candidates wait, from when they last saw the record change, before they may take the lease. */
  leaseDurationSeconds?: number;
  /** MicroTime */
  acquireTime?: string;
  /** MicroTime */
  renewTime?: string;
  leaseTransitions?: number;
};

export type Lease = KubeObject & { spec?: LeaseSpec };

/**
 * A metav1.MicroTime as the apiserver writes it: RFC 3339 in UTC with exactly six fractional digits
 * ("2006-01-02T15:04:05.000000Z"). A JavaScript Date has milliseconds, so the last three are zeros.
 */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
