import { DATAPLANE_MODE_LABEL, REDIRECTION_ANNOTATION } from './ambient';
import type { MtlsStatusResult } from './mtls';
import { formatRef, type ObjectRef } from './mtls';
import type { NamespaceTraffic, OffendingPair, ServiceTraffic } from './traffic';
import { formatShare } from './share';
import type { PodSummary } from './types';

const named = (ref: ObjectRef) => `${ref.kind} ${formatRef(ref)}`;

/** What the runtime side knows: Prometheus not configured, down, or the namespace's traffic in the window. */
export type TelemetryState =
  | { state: 'unconfigured' }
  | { state: 'unavailable'; message: string }
  | { state: 'ok'; window: string; traffic: NamespaceTraffic | undefined; services: ServiceTraffic[]; offendingPairs: OffendingPair[] };

/** A pod the verdict requires in the mesh, and why: notebook, hub or hubmesh. */
export type RequiredPod = { role: 'notebook' | 'hub' | 'hubmesh'; pod: PodSummary };

export type ReasonCode =
  | 'mtls-not-strict'
  | 'mtls-override-weakens'
  | 'clients-without-mtls'
  | 'plaintext-traffic'
  | 'telemetry-unconfigured'
  | 'telemetry-unavailable'
  | 'pod-without-sidecar'
  | 'sidecar-not-ready'
  | 'pod-not-enrolled'
  | 'ztunnel-not-redirecting';

export type LinkedObject = { kind: string; namespace: string; name: string };

export type Reason = { code: ReasonCode; message: string; objects: LinkedObject[] };

export type ComplianceVerdict = {
  namespace: string;
  compliant: boolean;
  /** one per failed requirement, in the order of the requirements */
  reasons: Reason[];
  /** what was checked, for the page: each requirement and whether it holds */
  /** `inMesh`: every required pod has a ready sidecar, or is enrolled in ambient and redirected by ztunnel */
  checks: { strict: boolean; allTrafficMutual: boolean | undefined; inMesh: boolean };
};

export type MembershipCode = 'pod-without-sidecar' | 'sidecar-not-ready' | 'pod-not-enrolled' | 'ztunnel-not-redirecting';

/**
 * A reason for each required pod outside the mesh. A pod is in the mesh with a ready sidecar, or enrolled in
 * ambient and redirected to ztunnel by istio-cni (a pod with a sidecar is never captured by ztunnel, so its
 * sidecar alone decides). `consequence` says what being outside breaks, after a comma.
 */
export function meshMembershipReasons(pods: readonly RequiredPod[], consequence = ''): Array<Reason & { code: MembershipCode }> {
  return pods.flatMap(({ role, pod }): Array<Reason & { code: MembershipCode }> => {
    const objects = [{ kind: 'Pod', namespace: pod.namespace, name: pod.name }];
    const reason = (code: MembershipCode, message: string) => [{ code, message, objects }];
    const { ambient } = pod;
    if (pod.dataplane === 'sidecar') {
      return pod.sidecar.ready ? [] : reason('sidecar-not-ready', `${role} pod ${pod.name}'s istio-proxy sidecar is not ready`);
    }
    if (pod.dataplane === 'ambient') {
      if (ambient.redirected) return [];
      const by = ambient.enrolledBy === 'pod' ? 'its label' : 'its namespace';
      return reason('ztunnel-not-redirecting', `${role} pod ${pod.name} is enrolled in ambient by ${by}, but istio-cni has not redirected it to ztunnel (no ${REDIRECTION_ANNOTATION}: enabled annotation)${consequence}`);
    }
    if (ambient.optedOut) {
      return reason('pod-not-enrolled', `${role} pod ${pod.name} is not in ambient although its namespace is: it opts out with ${DATAPLANE_MODE_LABEL}=none, and it has no sidecar${consequence}`);
    }
    const optedOut = pod.sidecar.optedOut ? ' (it opts out with sidecar.istio.io/inject: "false")' : '';
    return reason('pod-without-sidecar', `${role} pod ${pod.name} has no istio-proxy sidecar${optedOut} and is not enrolled in ambient${consequence}`);
  });
}

/**
 * A namespace is compliant when all hold: configuration makes it STRICT (and no workload or port is
 * weakened, and clients do send mTLS), every request and TCP byte that reached it in the window was
 * mutual TLS (no traffic counts as none that was plaintext), and every notebook, hub and hubmesh pod is in
 * the mesh (meshMembershipReasons). Under ambient the same PeerAuthentications hold: istiod turns STRICT into
 * a policy ztunnel enforces (pilot/pkg/serviceregistry/ambient/policies.go). Without working telemetry the traffic cannot be proven, so the namespace is not
 * compliant. Pure.
 */
export function complianceVerdict(input: { namespace: string; config: MtlsStatusResult; telemetry: TelemetryState; pods: RequiredPod[] }): ComplianceVerdict {
  const { namespace, config, telemetry } = input;
  const reasons: Reason[] = [];
  const namespaceObject: LinkedObject = { kind: 'Namespace', namespace: '', name: namespace };

  if (config.server.runtimeMode !== 'STRICT') {
    const decided = config.server.policy ? ` (set by ${named(config.server.policy)})` : ' (no PeerAuthentication sets a mode, so sidecars and ztunnel run PERMISSIVE)';
    reasons.push({
      code: 'mtls-not-strict',
      message: `mTLS is ${config.server.runtimeMode}, not STRICT${decided}`,
      objects: config.server.policy ? [config.server.policy] : [namespaceObject],
    });
  }
  for (const o of config.overrides.filter((x) => x.effect === 'weakens' && x.scope !== 'namespace')) {
    const where = o.scope === 'port' ? `port ${o.port} of workloads ${JSON.stringify(o.selector ?? {})}` : `workloads ${JSON.stringify(o.selector ?? {})}`;
    reasons.push({ code: 'mtls-override-weakens', message: `${named(o.policy)} makes ${where} ${o.mode} instead of ${o.parentMode}`, objects: [o.policy] });
  }
  if (config.server.runtimeMode === 'STRICT' && !config.client.mtls) {
    const why = config.client.source === 'destination-rule' ? `${named(config.client.rule)} sets tls.mode ${config.client.tlsMode}` : 'auto-mTLS is off and no DestinationRule asks for ISTIO_MUTUAL';
    reasons.push({ code: 'clients-without-mtls', message: `clients do not send mTLS to this STRICT namespace: ${why}`, objects: config.client.source === 'destination-rule' ? [config.client.rule] : [namespaceObject] });
  }
  const strict = reasons.length === 0;

  let allTrafficMutual: boolean | undefined;
  if (telemetry.state === 'unconfigured') {
    reasons.push({ code: 'telemetry-unconfigured', message: 'no Prometheus is configured (HUBMESH_PROMETHEUS_URL), so the traffic cannot be shown to be all mTLS', objects: [] });
  } else if (telemetry.state === 'unavailable') {
    reasons.push({ code: 'telemetry-unavailable', message: `Prometheus cannot be asked: ${telemetry.message}`, objects: [] });
  } else {
    const { requests, tcpBytes } = telemetry.traffic ?? { requests: { share: null }, tcpBytes: { share: null } };
    const plaintext = [requests.share, tcpBytes.share].some((share) => share !== null && share < 1);
    allTrafficMutual = !plaintext;
    if (plaintext) {
      const pairs = telemetry.offendingPairs.filter((p) => p.destination.namespace === namespace);
      const parts = [requests.share !== null && requests.share < 1 ? `${formatShare(requests.share)} of requests` : '', tcpBytes.share !== null && tcpBytes.share < 1 ? `${formatShare(tcpBytes.share)} of TCP bytes` : '']
        .filter(Boolean)
        .join(' and ');
      reasons.push({
        code: 'plaintext-traffic',
        message: `only ${parts} were mutual TLS in the last ${telemetry.window}: ${pairs.map((p) => `${p.source.namespace}/${p.source.workload} → ${p.destination.service} (${p.policy})`).join(', ') || 'see the offending pairs'}`,
        objects: pairs.map((p) => ({ kind: 'Service', namespace: p.destination.namespace, name: p.destination.service })),
      });
    }
  }

  const podReasons = meshMembershipReasons(input.pods);
  reasons.push(...podReasons);

  return { namespace, compliant: reasons.length === 0, reasons, checks: { strict, allTrafficMutual, inMesh: podReasons.length === 0 } };
}
