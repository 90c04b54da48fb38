import { meshMembershipReasons, type LinkedObject, type MembershipCode, type RequiredPod } from '../compliance';
import type { IsolationIdentities } from './desired';
import type { Access, IsolationAnalysis, Probe, TargetGroup, TargetKind } from './isolation';
import type { IsolationTraffic } from './traffic';

/** What the runtime side knows: Prometheus not configured, down, or the flows in the window. */
export type IsolationTelemetry = { state: 'unconfigured' } | { state: 'unavailable'; message: string } | { state: 'ok'; traffic: IsolationTraffic };

export type IsolationReasonCode =
  | 'identity-unknown'
  | 'notebook-to-notebook'
  | 'unintended-source'
  | 'notebook-traffic'
  | 'telemetry-unconfigured'
  | 'telemetry-unavailable'
  | MembershipCode;

export type IsolationReason = { code: IsolationReasonCode; message: string; objects: LinkedObject[] };

/** Not a failure of isolation, but something the admin should know: an intended caller that is refused, a decision that depends on something outside configuration. */
export type IsolationWarningCode = 'intended-source-denied' | 'undecidable' | 'custom-authorizer';
export type IsolationWarning = { code: IsolationWarningCode; message: string; objects: LinkedObject[] };

export type IsolationVerdict = {
  namespace: string;
  isolated: boolean;
  reasons: IsolationReason[];
  warnings: IsolationWarning[];
  checks: { configuration: boolean; traffic: boolean | undefined; pods: boolean };
};

const TARGET_WORDS: Record<TargetKind, string> = {
  notebook: 'notebook',
  hub: 'the hub',
  'hubmesh-proxy-api': "hubmesh's proxy API",
  'hubmesh-console': "hubmesh's console",
};

/** "alice, bob and 3 more" */
export function listSome(names: readonly string[], shown = 3): string {
  if (names.length <= shown) return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/** A target in words: "the notebooks of alice and bob", "the hub", "hubmesh's proxy API". */
export function targetWords(group: Pick<TargetGroup, 'target' | 'users' | 'pods'>): string {
  if (group.target !== 'notebook') return TARGET_WORDS[group.target];
  const who = group.users.length ? `the notebooks of ${listSome(group.users)}` : `notebook pods ${listSome(group.pods)}`;
  return who;
}

const podObjects = (namespace: string, group: TargetGroup): LinkedObject[] => group.pods.slice(0, 5).map((name) => ({ kind: 'Pod', namespace, name }));
const policyObjects = (access: Access): LinkedObject[] => access.policies.map((p) => ({ kind: p.kind, namespace: p.namespace, name: p.name }));

function why(access: Access): string {
  switch (access.decidedBy) {
    case 'no-allow-policies':
      return 'no ALLOW policy applies, so everything is allowed';
    case 'allow-policy':
      return `allowed by ${access.policies.map((p) => `${p.namespace}/${p.name}`).join(', ')}`;
    case 'deny-policy':
      return `denied by ${access.policies.map((p) => `${p.namespace}/${p.name}`).join(', ')}`;
    case 'no-allow-match':
      return `no ALLOW policy matches (${access.policies.map((p) => `${p.namespace}/${p.name}`).join(', ')})`;
    case 'mtls-strict':
      return 'the namespace accepts only mTLS';
  }
}

/**
 * Isolated only when configuration forbids every unintended path (notebook to notebook above all), traffic in
 * the window shows no notebook talking to another, and every notebook, hub and hubmesh pod has a ready sidecar
 * (a pod outside the mesh enforces no policy). Without working telemetry the traffic cannot be shown, so the
 * namespace is not isolated. Pure.
 */
export function isolationVerdict(input: {
  namespace: string;
  identities: IsolationIdentities;
  analysis: IsolationAnalysis;
  telemetry: IsolationTelemetry;
  pods: RequiredPod[];
  /** where the gateway's pods were looked for, for the message when none was found */
  gatewayLookup: string;
}): IsolationVerdict {
  const { namespace, analysis } = input;
  const reasons: IsolationReason[] = [];
  const warnings: IsolationWarning[] = [];
  const probes = new Map<string, Probe>(analysis.probes.map((p) => [p.id, p]));

  if (input.identities.gateway.length === 0) {
    reasons.push({ code: 'identity-unknown', message: `no ingress gateway pod was found (${input.gatewayLookup}), so its identity is unknown and the intended policy cannot be checked`, objects: [] });
  }
  if (input.identities.hub.length === 0) {
    reasons.push({ code: 'identity-unknown', message: `no hub pod (component=hub) runs in ${namespace}, so the hub's identity is unknown`, objects: [] });
  }

  for (const group of analysis.groups) {
    for (const access of group.access) {
      const probe = probes.get(access.probe)!;
      const objects = [...policyObjects(access), ...podObjects(namespace, group)];
      if (access.allowed === 'unknown') {
        warnings.push({ code: 'undecidable', message: `whether ${probe.label} may reach ${targetWords(group)} depends on ${access.unknowns.join(' and ')}, which configuration does not tell`, objects });
      }
      if (access.custom.length && access.allowed !== false) {
        warnings.push({ code: 'custom-authorizer', message: `${targetWords(group)}: CUSTOM policies ${access.custom.map((p) => `${p.namespace}/${p.name}`).join(', ')} ask an external authorizer first, which may still deny ${probe.label}`, objects: access.custom.map((p) => ({ kind: p.kind, namespace: p.namespace, name: p.name })) });
      }
      if (access.intended && access.allowed === false) {
        warnings.push({ code: 'intended-source-denied', message: `${probe.label} cannot reach ${targetWords(group)}: ${why(access)}`, objects });
      }
      if (access.intended || access.allowed === false) continue;
      const may = access.allowed === true ? 'can reach' : 'may reach';
      if (group.target === 'notebook' && probe.kind === 'notebook') {
        reasons.push({ code: 'notebook-to-notebook', message: `notebooks running as ${probe.account} ${may} ${targetWords(group)}: ${why(access)}`, objects });
      } else {
        reasons.push({ code: 'unintended-source', message: `${probe.label} ${may} ${targetWords(group)}: ${why(access)}`, objects });
      }
    }
  }
  const configuration = reasons.length === 0;

  let traffic: boolean | undefined;
  if (input.telemetry.state === 'unconfigured') {
    reasons.push({ code: 'telemetry-unconfigured', message: 'no Prometheus is configured (HUBMESH_PROMETHEUS_URL), so the traffic cannot be shown to hold no notebook-to-notebook request', objects: [] });
  } else if (input.telemetry.state === 'unavailable') {
    reasons.push({ code: 'telemetry-unavailable', message: `Prometheus cannot be asked: ${input.telemetry.message}`, objects: [] });
  } else {
    const { traffic: flows } = input.telemetry;
    traffic = flows.notebookToNotebook.length === 0;
    for (const flow of flows.notebookToNotebook) {
      const amounts = [flow.requests > 0 ? `${Math.round(flow.requests)} requests${flow.denied > 0 ? ` (${Math.round(flow.denied)} answered 403)` : ''}` : '', flow.connections > 0 ? `${Math.round(flow.connections)} TCP connections` : '']
        .filter(Boolean)
        .join(' and ');
      reasons.push({
        code: 'notebook-traffic',
        message: `${flow.source.user}'s notebook (${flow.source.workload}) sent ${amounts} to ${flow.destination.user}'s notebook (${flow.destination.workload}) in the last ${flows.window}`,
        objects: [
          { kind: 'Pod', namespace, name: flow.source.workload },
          { kind: 'Pod', namespace, name: flow.destination.workload },
        ],
      });
    }
  }

  const podReasons = meshMembershipReasons(input.pods, ', so no AuthorizationPolicy is enforced for it');
  reasons.push(...podReasons);

  return { namespace, isolated: reasons.length === 0, reasons, warnings, checks: { configuration, traffic, pods: podReasons.length === 0 } };
}
