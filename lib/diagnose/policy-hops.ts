import { judgeConnection, policySelects, type Endpoint } from '../kube/network-policy-eval';
import type { Pod } from '../kube/pods';
import { selects } from '../mesh/checkers/destinations';
import { hostIntersection, resolveShortName } from '../mesh/checkers/hosts';
import { egressBlocksIstiod, gatewayBlocked } from '../mesh/checkers/network-policies';
import { tlsDisabledUnderStrict } from '../mesh/checkers/tls-disabled-under-strict';
import type { Finding } from '../mesh/checkers/types';
import { analyzeIsolation, type Access, type Probe } from '../mesh/authz/isolation';
import { describeServerSide, formatRef, type KialiMtlsStatus, type MtlsStatusResult } from '../mesh/mtls';
import { capitalize, hopFrom, link, objectName, type Problem } from './hop-kit';
import { destinationPort } from './workload-hops';
import { withOnlyRoute } from './server';
import type { Evidence, Hop, HopContext } from './types';

const MTLS_TITLE = 'PeerAuthentication and DestinationRule agree on mTLS';
const ACCESS_TITLE = 'AuthorizationPolicies and NetworkPolicies let the gateway and the hub in';

/** The mTLS page's verdict in words. */
export const MTLS_STATUS_WORDS: Record<KialiMtlsStatus, string> = {
  MTLS_ENABLED: 'mTLS enforced',
  MTLS_PARTIALLY_ENABLED: 'mTLS where both ends have sidecars, plaintext accepted',
  MTLS_NOT_ENABLED: 'mTLS not configured (sidecars use auto mTLS where they can)',
  MTLS_DISABLED: 'mTLS disabled',
};

function clientWords(client: MtlsStatusResult['client']): string {
  if (client.source === 'destination-rule') return `DestinationRule ${formatRef(client.rule)} sets tls.mode ${client.tlsMode}`;
  return client.source === 'auto-mtls' ? 'auto mTLS: mTLS to pods with a sidecar' : 'plaintext (auto mTLS is off and no DestinationRule sets TLS)';
}

/**
 * Hop 5: what the notebook's sidecar accepts (the PeerAuthentications, as on the mTLS page) agrees with what its
 * callers send (the DestinationRules for its Service): no DestinationRule turns TLS off towards STRICT servers, and
 * the namespace's client and server sides do not contradict each other.
 */
export function mtlsHop(ctx: HopContext): Hop {
  const { mtls, snapshot } = ctx;
  const { service, pod } = ctx.objects;
  const evidence: Evidence[] = [
    { label: 'Servers accept', value: describeServerSide(mtls) },
    { label: 'Clients send', value: clientWords(mtls.client) },
    { label: 'mTLS page', value: `${MTLS_STATUS_WORDS[mtls.status]} in ${mtls.namespace}` },
  ];
  for (const override of mtls.overrides) {
    if (override.scope === 'namespace' || !pod || !selects(override.selector, pod)) continue;
    evidence.push({
      label: override.scope === 'port' ? `Port ${override.port}` : 'This pod',
      value: `PeerAuthentication ${formatRef(override.policy)}: ${override.mode}`,
      ref: { kind: 'PeerAuthentication', namespace: override.policy.namespace, name: override.policy.name },
    });
  }
  const problems: Problem[] = [];
  if (service) {
    const fqdn = `${service.metadata.name}.${service.metadata.namespace ?? snapshot.namespace}.svc.${snapshot.clusterDomain}`;
    const rules = snapshot.destinationRules.filter((dr) => dr.spec?.host && hostIntersection([resolveShortName(dr.spec.host, dr.metadata.namespace ?? snapshot.namespace, snapshot.clusterDomain)], [fqdn]).length > 0);
    for (const dr of rules) evidence.push({ label: 'DestinationRule', value: `${objectName(dr)} (host ${dr.spec!.host}, tls ${dr.spec?.trafficPolicy?.tls?.mode ?? 'not set'})`, ref: link('DestinationRule', dr) });
    for (const finding of tlsDisabledUnderStrict.check({ ...snapshot, destinationRules: rules })) {
      problems.push({
        status: 'fail',
        summary: finding.message,
        fix: `Set tls.mode ISTIO_MUTUAL in DestinationRule ${finding.object.namespace}/${finding.object.name}, or remove its tls setting so that auto mTLS chooses.`,
      });
    }
  }
  for (const conflict of mtls.conflicts.filter((c) => c.code === 'tls-mismatch')) {
    problems.push({ status: 'fail', summary: conflict.message, fix: 'Make the DestinationRule\'s tls.mode ISTIO_MUTUAL when servers are STRICT, or DISABLE only where servers accept plaintext.' });
  }
  if (problems.length === 0 && mtls.status === 'MTLS_DISABLED') {
    problems.push({ status: 'warn', summary: `Requests reach the notebook, but not mTLS-encrypted: the mTLS page says ${MTLS_STATUS_WORDS[mtls.status]} in ${mtls.namespace}.`, fix: 'Turn on STRICT mTLS from the mTLS page once every pod of the namespace has a sidecar.' });
  }
  return hopFrom({ id: 'mtls', title: MTLS_TITLE }, problems, evidence, `${describeServerSide(mtls)} on the server side, ${clientWords(mtls.client)} on the client side: they agree.`);
}

/** The notebook port requests reach: the Service port's targetPort (a name resolved against the pod's ports), else the destination port. */
function servingPort(ctx: HopContext, pod: Pod): number {
  const { service, destination } = ctx.objects;
  const port = service && destinationPort(service.spec?.ports ?? [], destination?.port);
  const target = port?.targetPort ?? port?.port ?? destination?.port ?? 8888;
  if (typeof target === 'number') return target;
  const containerPort = (pod.spec?.containers ?? []).flatMap((c) => c.ports ?? []).find((p) => p.name === target)?.containerPort;
  return containerPort ?? (/^\d+$/.test(target) ? Number(target) : 8888);
}

function endpointOf(pod: Pod, ctx: HopContext): Endpoint {
  const namespace = pod.metadata.namespace ?? ctx.snapshot.namespace;
  const known = [...ctx.snapshot.namespaces, ...(ctx.snapshot.peerNamespaces ?? [])].find((n) => n.metadata.name === namespace);
  return {
    namespace,
    labels: pod.metadata.labels ?? {},
    namespaceLabels: known?.metadata.labels,
    ip: pod.status?.podIP,
    ports: [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].flatMap((c) => c.ports ?? []),
  };
}

const policyList = (access: Access) => access.policies.map((p) => `AuthorizationPolicy ${p.namespace}/${p.name}`).join(', ');

/** Why an intended caller is refused, in words. */
function denialWords(access: Access, probe: Probe): string {
  switch (access.decidedBy) {
    case 'deny-policy':
      return `${policyList(access)} denies ${probe.label}`;
    case 'no-allow-match':
      return `ALLOW policies apply to the pod (${policyList(access)}) and none of them allows ${probe.label}`;
    case 'mtls-strict':
      return `the namespace accepts only mTLS, and ${probe.label} sends plaintext`;
    default:
      return `${probe.label} is refused`;
  }
}

/** Findings of the NetworkPolicy checkers about one pod. */
const aboutPod = (findings: Finding[], pod: Pod) => findings.filter((f) => [f.object, ...(f.related ?? [])].some((r) => r.kind === 'Pod' && r.name === pod.metadata.name));

/**
 * Hop 6: the AuthorizationPolicies that apply to the notebook (evaluated as the isolation page does) let the ingress
 * gateway and the hub in, and the NetworkPolicies of the namespace admit the gateway's pods and the hub's pods on the
 * port the notebook serves, and let its sidecar reach istiod.
 */
export function accessHop(ctx: HopContext): Hop {
  const { pod, route, service } = ctx.objects;
  const base = { id: 'access' as const, title: ACCESS_TITLE };
  if (!pod) return { ...base, status: 'unknown', summary: 'There is no pod to let anyone in.', evidence: [] };
  const { snapshot, isolation } = ctx;
  const evidence: Evidence[] = [];
  const problems: Problem[] = [];

  const analysis = analyzeIsolation({
    namespace: snapshot.namespace,
    rootNamespace: snapshot.rootNamespace,
    trustDomain: snapshot.trustDomain,
    identities: isolation.identities,
    pods: { notebooks: [pod], hub: [], hubmesh: [] },
    policies: isolation.policies,
    strict: isolation.strict,
  });
  const group = analysis.groups[0];
  const probes = new Map(analysis.probes.map((p) => [p.id, p]));
  if (!group?.policies.length) evidence.push({ label: 'AuthorizationPolicies', value: 'none apply to the pod' });
  for (const ref of group?.policies ?? []) evidence.push({ label: 'AuthorizationPolicy', value: `${ref.namespace}/${ref.name}`, ref });
  let unknownCaller: string | undefined;
  for (const [kind, words] of [['gateway', 'the ingress gateway'], ['hub', 'the hub']] as const) {
    const accesses = (group?.access ?? []).filter((a) => probes.get(a.probe)?.kind === kind);
    if (accesses.length === 0 && (group?.policies.length ?? 0) > 0) unknownCaller ??= `${words}'s identity is unknown (no pod of it is watched), so hubmesh cannot tell whether the AuthorizationPolicies let it in`;
    for (const access of accesses) {
      const probe = probes.get(access.probe)!;
      evidence.push({ label: `${kind === 'gateway' ? 'Gateway' : 'Hub'} (AuthorizationPolicy)`, value: `${probe.principal}: ${access.allowed === true ? 'allowed' : access.allowed === false ? 'denied' : 'cannot tell'}` });
      if (access.allowed === false) {
        problems.push({
          status: 'fail',
          summary: `${denialWords(access, probe)} into pod ${objectName(pod)}: ${kind === 'gateway' ? "users' requests get 403 RBAC: access denied" : 'the hub cannot reach the server, and its spawn times out'}.`,
          fix: `Allow ${probe.principal} into the notebooks (the Isolation page's "Isolate notebooks" writes policies that do), or narrow the policy that refuses it.`,
        });
      } else if (access.allowed === 'unknown') {
        problems.push({ status: 'warn', summary: `hubmesh cannot tell whether ${probe.label} may reach pod ${objectName(pod)}: ${access.unknowns.join('; ')}.`, fix: 'Check the AuthorizationPolicy conditions hubmesh cannot evaluate.' });
      }
    }
  }

  const narrowed = { ...withOnlyRoute(snapshot, route?.object), pods: [pod], services: service ? [service] : [] };
  for (const finding of aboutPod([...gatewayBlocked.check(narrowed), ...egressBlocksIstiod.check(narrowed)], pod)) {
    evidence.push({ label: 'NetworkPolicy', value: `${finding.object.namespace}/${finding.object.name} (${finding.code})`, ref: { kind: 'NetworkPolicy', namespace: finding.object.namespace ?? '', name: finding.object.name } });
    const fixStart = finding.message.indexOf(' Add this rule');
    problems.push({
      status: 'fail',
      summary: fixStart > 0 ? finding.message.slice(0, fixStart) : finding.message,
      fix: fixStart > 0 ? finding.message.slice(fixStart + 1) : `Change NetworkPolicy ${finding.object.namespace}/${finding.object.name} (see ${finding.code} on the Doctor page).`,
    });
  }
  const port = servingPort(ctx, pod);
  const subject = endpointOf(pod, ctx);
  for (const hub of isolation.hubPods) {
    const verdict = judgeConnection(snapshot.networkPolicies, subject, 'Ingress', endpointOf(hub, ctx), { port });
    if (verdict.allowed) continue;
    const names = verdict.policies.map((p) => objectName(p)).join(', ');
    problems.push({
      status: 'fail',
      summary: `NetworkPolicy ${names} isolates pod ${objectName(pod)} for ingress, and no rule admits the hub's pod ${hub.metadata.name} on TCP ${port}: the hub cannot check the server, and its spawn times out.`,
      fix: `Admit the hub's pods (component=hub) on port ${port} in ${names}: z2jh's singleuser policy does for pods labelled hub.jupyter.org/network-access-singleuser=true, which the hub's pod should carry.`,
    });
    break;
  }
  evidence.push({ label: 'NetworkPolicies', value: snapshot.networkPolicies.filter((p) => policySelects(p, subject)).map(objectName).join(', ') || 'none select the pod' });

  if (problems.length === 0 && unknownCaller) return { ...base, status: 'unknown', summary: `${capitalize(unknownCaller)}.`, evidence };
  return hopFrom(base, problems, evidence, `The gateway and the hub may reach pod ${objectName(pod)} on TCP ${port}.`);
}
