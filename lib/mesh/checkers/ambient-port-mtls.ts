import type { MtlsMode, PeerAuthentication } from '../../kube/peerauthentications';
import type { Pod } from '../../kube/pods';
import { byAge, isScopeWide } from '../mtls';
import { ambientPods, podNames } from './ambient-pods';
import { selects } from './destinations';
import { refOf } from './routing';
import { defineChecker, type ValidationSnapshot } from './types';

/**
 * ztunnel has no mTLS modes of its own. istiod turns PeerAuthentications into L4 DENY rules for it
 * (pilot/pkg/serviceregistry/ambient/authorization.go): a static "no peer identity → deny" policy for pods
 * whose effective mode is STRICT, and, for a workload policy with portLevelMtls, a converted policy whose
 * rules exempt the non-STRICT ports (convertedSelectorPeerAuthentications picks which the pod references,
 * convertPeerAuthentication builds it). Where that conversion runs a policy otherwise than a sidecar would,
 * this says how.
 */
export type ZtunnelPortMtls = {
  /** the pod references neither the static STRICT policy nor a converted one: plaintext is accepted on every port */
  strictLost: boolean;
  /** ports declared STRICT that the converted policy skips, so plaintext is accepted there */
  strictPortsNotEnforced: number[];
  /** ports declared DISABLE that stay STRICT: without a PERMISSIVE port the static STRICT policy stays in place */
  disablePortsStayStrict: number[];
  /** ports (or the whole workload, `workload`) declared DISABLE that run as PERMISSIVE: ambient cannot turn mTLS off */
  disableRunsPermissive: Array<number | 'workload'>;
};

const modeOf = (pa: PeerAuthentication | undefined): MtlsMode => pa?.spec?.mtls?.mode ?? 'UNSET';
const isUnset = (pa: PeerAuthentication | undefined) => modeOf(pa) === 'UNSET';
const isStrict = (pa: PeerAuthentication | undefined) => modeOf(pa) === 'STRICT';

/**
 * What ztunnel enforces for a pod whose workload policy is `workload`, under its namespace's and the mesh's
 * selector-less policies (the oldest of each), branch by branch as istiod's two functions decide. Pure.
 */
export function ztunnelPortMtls(workload: PeerAuthentication, namespacePolicy: PeerAuthentication | undefined, meshPolicy: PeerAuthentication | undefined): ZtunnelPortMtls {
  const ports = Object.entries(workload.spec?.portLevelMtls ?? {}).map(([port, setting]) => ({ port: Number(port), mode: setting.mode ?? 'UNSET' }));
  const portsIn = (...modes: MtlsMode[]) => ports.filter((p) => modes.includes(p.mode)).map((p) => p.port);
  const parentStrict = namespacePolicy && !isUnset(namespacePolicy) ? isStrict(namespacePolicy) : isStrict(meshPolicy);
  const result: ZtunnelPortMtls = { strictLost: false, strictPortsNotEnforced: [], disablePortsStayStrict: [], disableRunsPermissive: [] };
  const mode = modeOf(workload);
  if (mode === 'DISABLE') result.disableRunsPermissive.push('workload');

  if (mode === 'STRICT') {
    result.disableRunsPermissive.push(...portsIn('DISABLE'));
  } else if (mode === 'PERMISSIVE' || mode === 'DISABLE') {
    // convertPeerAuthentication skips a STRICT port when the namespace policy is absent or UNSET and the mesh's is
    // STRICT (its condition #3 is not guarded by the workload mode being UNSET)
    if ((!namespacePolicy || isUnset(namespacePolicy)) && isStrict(meshPolicy)) result.strictPortsNotEnforced.push(...portsIn('STRICT'));
  } else if (parentStrict) {
    // an UNSET workload under STRICT: only a PERMISSIVE port makes istiod swap the static STRICT policy for the converted one
    if (portsIn('PERMISSIVE').length === 0) {
      result.disablePortsStayStrict.push(...portsIn('DISABLE'));
    } else if (namespacePolicy && !isStrict(namespacePolicy)) {
      // STRICT comes from the mesh through an UNSET namespace policy: the conversion skips every exception and
      // returns nothing, yet the pod no longer references the static STRICT policy
      result.strictLost = true;
    } else {
      result.disableRunsPermissive.push(...portsIn('DISABLE'));
    }
  }
  return result;
}

const hasDivergence = (r: ZtunnelPortMtls) => r.strictLost || r.strictPortsNotEnforced.length > 0 || r.disablePortsStayStrict.length > 0 || r.disableRunsPermissive.length > 0;

function describe(r: ZtunnelPortMtls): string[] {
  const list = (ports: Array<number | 'workload'>) => ports.map((p) => (p === 'workload' ? 'the workload' : `port ${p}`)).join(', ');
  const parts: string[] = [];
  if (r.strictLost) parts.push('its PERMISSIVE port exceptions are dropped and, with them, STRICT for the whole pod: ztunnel accepts plaintext on every port (the namespace policy leaves the mode UNSET while STRICT comes from the mesh)');
  if (r.strictPortsNotEnforced.length) parts.push(`STRICT on ${list(r.strictPortsNotEnforced)} is not enforced: ztunnel accepts plaintext there`);
  if (r.disablePortsStayStrict.length) parts.push(`DISABLE on ${list(r.disablePortsStayStrict)} is ignored: with no PERMISSIVE port the pod keeps STRICT there`);
  if (r.disableRunsPermissive.length) parts.push(`DISABLE on ${list(r.disableRunsPermissive)} runs as PERMISSIVE: ambient cannot turn mTLS off, mesh clients still arrive over HBONE mTLS and plaintext from outside the mesh is accepted`);
  return parts;
}

/** The workload policy istiod applies to a pod: the oldest with a selector that selects it, in its own namespace. */
function workloadPolicyOf(pod: Pod, policies: readonly PeerAuthentication[]): PeerAuthentication | undefined {
  return policies.filter((pa) => pa.metadata.namespace === pod.metadata.namespace && selects(pa.spec?.selector?.matchLabels, pod)).sort(byAge)[0];
}

const scopePolicy = (policies: readonly PeerAuthentication[], namespace: string) =>
  policies.filter((pa) => pa.metadata.namespace === namespace && isScopeWide(pa)).sort(byAge)[0];

function findings(snapshot: ValidationSnapshot) {
  const pods = ambientPods(snapshot);
  if (pods.length === 0) return [];
  const namespacePolicy = scopePolicy(snapshot.peerAuthentications, snapshot.namespace);
  const meshPolicy = scopePolicy(snapshot.peerAuthentications, snapshot.rootNamespace);
  const byPolicy = new Map<PeerAuthentication, Pod[]>();
  for (const { pod } of pods) {
    const policy = workloadPolicyOf(pod, snapshot.peerAuthentications);
    if (policy && (policy.spec?.portLevelMtls || modeOf(policy) === 'DISABLE')) byPolicy.set(policy, [...(byPolicy.get(policy) ?? []), pod]);
  }
  return [...byPolicy].flatMap(([policy, selected]) => {
    const ztunnel = ztunnelPortMtls(policy, namespacePolicy, meshPolicy);
    if (!hasDivergence(ztunnel)) return [];
    return [
      {
        message:
          `PeerAuthentication ${policy.metadata.namespace}/${policy.metadata.name} selects ${selected.length} ambient pod${selected.length === 1 ? '' : 's'} (${podNames(selected)}), whose mTLS ztunnel enforces. ` +
          `ztunnel has no port-level modes: istiod turns the policy into an L4 rule that refuses connections without a peer identity except on the exempted ports, and here that differs from the policy: ${describe(ztunnel).join('; ')}. ` +
          'Express the exception with a STRICT (or UNSET under a STRICT namespace) workload policy and PERMISSIVE ports, or move the port to a workload outside ambient.',
        object: refOf('PeerAuthentication', policy),
        related: selected.map((pod) => refOf('Pod', pod)),
      },
    ];
  });
}

export const ambientPortMtls = defineChecker(
  {
    code: 'HM4002',
    severity: 'warning',
    area: 'security',
    title: 'Port-level mTLS that ztunnel runs otherwise (ambient)',
    description:
      "Under ambient, ztunnel enforces PeerAuthentications as L4 rules istiod derives from them (pilot/pkg/serviceregistry/ambient). Port-level settings carry over only in part: DISABLE runs as PERMISSIVE (ambient cannot turn mTLS off), a DISABLE port with no PERMISSIVE port beside it stays STRICT, a STRICT port under a PERMISSIVE workload is not enforced when STRICT comes from the mesh, and a PERMISSIVE port under an UNSET namespace policy drops STRICT for the whole pod. Each finding names the policy, the ambient pods it selects and what ztunnel really does.",
  },
  findings,
);
