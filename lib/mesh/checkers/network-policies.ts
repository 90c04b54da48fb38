import YAML from 'yaml';
import { matchesLabelSelector, matchesSelectorObject, parseLabelSelector, type LabelSelector } from '../../kube/label-selector';
import { describeIpBlock, ingressPortOpen, ipBlockReaches, isolatingPolicies, judgeConnection, PRIVATE_RANGES, type Endpoint, type Verdict } from '../../kube/network-policy-eval';
import type { NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer } from '../../kube/networkpolicies';
import type { Pod } from '../../kube/pods';
import { routeFromObject } from '../../routes/virtualservice';
import { ambientInfo, HBONE_PORT, namespaceInAmbient } from '../ambient';
import { sidecarInfo } from '../sidecar';
import { isLive } from './destinations';
import { serviceOfHost } from './hosts';
import { isHubRoute, refOf } from './routing';
import { defineChecker, type ObjectRef, type Problem, type ValidationSnapshot } from './types';

/**
 * The isolation rules about Kubernetes NetworkPolicies (HM61xx): what z2jh's policies, written for CHP, do to an
 * Istio mesh. hubmesh sees the hub namespace's policies only; it judges the hub's side of each connection (what
 * the hub's pods may send and accept), never the peer's (istiod's or the gateway's own policies).
 */

const NAME_LABEL = 'kubernetes.io/metadata.name';
/** istiod's pods (in the root namespace) and its xDS and CA port, container port `tls-xds` */
export const ISTIOD_LABELS: Record<string, string> = { app: 'istiod' };
export const ISTIOD_PORT = 15012;
/** the sidecar's merged Prometheus metrics (Istio's, Envoy's and the app's) */
export const METRICS_PORT = 15020;
/** KubeSpawner's container port, for notebooks that do not run yet */
const KUBESPAWNER_PORT = { name: 'notebook-port', containerPort: 8888 };
const DEFAULT_GATEWAY_LABELS = { istio: 'ingressgateway' };
/** the `component` label z2jh gives its CHP proxy pod */
const PROXY_COMPONENT = 'proxy';
const Z2JH_ACCESS_LABEL = 'hub.jupyter.org/network-access-';

/** A pod the rules judge: a live pod of the hub namespace, or a notebook pod that does not run yet. */
type Subject = { name: string; pod?: Pod; endpoint: Endpoint };

type Peer = { endpoint: Endpoint; description: string; peer: NetworkPolicyPeer };

type Context = {
  snapshot: ValidationSnapshot;
  namespace: string;
  policies: NetworkPolicy[];
  /** live pods of the hub namespace */
  pods: Pod[];
  namespaceLabels: (name: string) => Record<string, string>;
  gateway: Peer;
  /** the gateway's own pods, when the snapshot has them: judged one by one instead of by the selector's labels */
  gatewayPods: Array<{ name: string; endpoint: Endpoint }>;
  istiod: Peer;
};

const labelsText = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/** A flow-style YAML value on one line, as it goes into a Helm values list or a policy's spec. */
export const flowYaml = (value: unknown) => YAML.stringify(value, { collectionStyle: 'flow', lineWidth: 0, flowCollectionPadding: false }).trim();

const policyName = (p: NetworkPolicy) => `${p.metadata.namespace}/${p.metadata.name}`;

function listed(names: string[], max = 3): string {
  const shown = names.slice(0, max);
  const rest = names.length - shown.length;
  if (rest > 0) return `${shown.join(', ')} and ${rest} more`;
  return shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : (shown[0] ?? '');
}

function contextOf(snapshot: ValidationSnapshot): Context {
  const namespace = snapshot.namespace;
  const known = [...snapshot.namespaces, ...(snapshot.peerNamespaces ?? [])];
  const namespaceLabels = (name: string) => ({ ...known.find((n) => n.metadata.name === name)?.metadata.labels, [NAME_LABEL]: name });
  const peer = (ns: string, labels: Record<string, string>, ports?: Endpoint['ports']): Peer => ({
    endpoint: { namespace: ns, labels, namespaceLabels: namespaceLabels(ns), ports },
    description: `pods ${labelsText(labels)} in namespace ${ns}`,
    peer: ns === namespace ? { podSelector: { matchLabels: labels } } : { namespaceSelector: { matchLabels: { [NAME_LABEL]: ns } }, podSelector: { matchLabels: labels } },
  });
  const gateway = snapshot.ingressGateway ?? { namespace: snapshot.rootNamespace, labels: DEFAULT_GATEWAY_LABELS };
  return {
    snapshot,
    namespace,
    policies: snapshot.networkPolicies.filter((p) => (p.metadata.namespace ?? namespace) === namespace).map((p) => ({ ...p, metadata: { ...p.metadata, namespace } })),
    pods: snapshot.pods.filter((p) => (p.metadata.namespace ?? namespace) === namespace && isLive(p) && !p.metadata.deletionTimestamp),
    namespaceLabels,
    gateway: peer(gateway.namespace, gateway.labels),
    gatewayPods: (snapshot.ingressGateway?.pods ?? [])
      .filter((p) => isLive(p) && !p.metadata.deletionTimestamp)
      .map((p) => {
        const ns = p.metadata.namespace ?? gateway.namespace;
        return { name: p.metadata.name, endpoint: { namespace: ns, labels: p.metadata.labels ?? {}, namespaceLabels: namespaceLabels(ns), ip: p.status?.podIP } };
      }),
    istiod: peer(snapshot.rootNamespace, ISTIOD_LABELS, [{ name: 'tls-xds', containerPort: ISTIOD_PORT }]),
  };
}

function podSubject(pod: Pod, ctx: Context): Subject {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  return {
    name: pod.metadata.name,
    pod,
    endpoint: {
      namespace: ctx.namespace,
      labels: pod.metadata.labels ?? {},
      namespaceLabels: ctx.namespaceLabels(ctx.namespace),
      ip: pod.status?.podIP,
      ports: containers.flatMap((c) => c.ports ?? []),
    },
  };
}

/**
 * Notebook pods that do not run yet, when none does: one per policy that picks notebooks by their labels
 * (its matchLabels hold every `key=value` of the notebook selector), labelled as the policy selects them and
 * with KubeSpawner's port. So a policy that would break the first spawn is reported before it happens.
 */
function notebooksToCome(ctx: Context): Subject[] {
  const selector = parseLabelSelector(ctx.snapshot.notebookSelector);
  if (ctx.pods.some((p) => matchesLabelSelector(p.metadata.labels, selector))) return [];
  const required = Object.fromEntries(selector.filter((r) => r.op === '=').map((r) => [r.key, r.value!]));
  const seen = new Set<string>();
  return ctx.policies.flatMap((policy) => {
    const podSelector: LabelSelector = policy.spec?.podSelector ?? {};
    const matchLabels = podSelector.matchLabels ?? {};
    if (Object.keys(required).length === 0 || !Object.entries(required).every(([k, v]) => matchLabels[k] === v)) return [];
    const labels = { ...matchLabels, ...required };
    const key = labelsText(Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))));
    if (seen.has(key) || !matchesLabelSelector(labels, selector) || !matchesSelectorObject(labels, podSelector)) return [];
    seen.add(key);
    return [
      {
        name: `notebook pods to come (${labelsText(labels)})`,
        endpoint: { namespace: ctx.namespace, labels, namespaceLabels: ctx.namespaceLabels(ctx.namespace), ports: [KUBESPAWNER_PORT] },
      },
    ];
  });
}

/** The Helm values key of a z2jh-rendered policy (its chart and component labels), or undefined for anyone else's. */
export function z2jhValuesOf(policy: NetworkPolicy): string | undefined {
  const labels = policy.metadata.labels ?? {};
  const chart = labels.chart ?? labels['helm.sh/chart'] ?? '';
  if (!chart.startsWith('jupyterhub-')) return undefined;
  const component = labels.component ?? labels['app.kubernetes.io/component'];
  const keys: Record<string, string> = { hub: 'hub.networkPolicy', singleuser: 'singleuser.networkPolicy', proxy: 'proxy.chp.networkPolicy', autohttps: 'proxy.traefik.networkPolicy' };
  return component ? keys[component] : undefined;
}

/** The policy to edit among several that select the same pods: z2jh's first (a Helm value fixes it), then by name. */
function primary(policies: NetworkPolicy[]): NetworkPolicy {
  const byName = [...policies].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  return byName.find((p) => z2jhValuesOf(p) !== undefined) ?? byName[0]!;
}

const policiesPhrase = (policies: NetworkPolicy[]) =>
  policies.length === 1 ? `NetworkPolicy ${policyName(policies[0]!)}` : `NetworkPolicies ${listed(policies.map(policyName), policies.length)}`;

/** "Add this rule to singleuser.networkPolicy.ingress in the z2jh values: {...}" or to the policy's spec. */
function addRule(policies: NetworkPolicy[], direction: 'ingress' | 'egress', rule: NetworkPolicyIngressRule | NetworkPolicyEgressRule): string {
  const target = primary(policies);
  const values = z2jhValuesOf(target);
  const where = values ? `${values}.${direction} in the z2jh values` : `spec.${direction} of NetworkPolicy ${policyName(target)}`;
  const enough = policies.length > 1 ? ' (one of the policies that select the pods is enough)' : '';
  return `Add this rule to ${where}${enough}: ${flowYaml(values ? [rule] : rule)}`;
}

/** The policy to fix, and the others and (some of) the pods as related objects. */
function objects(policies: NetworkPolicy[], subjects: Subject[]): Pick<Problem, 'object' | 'related'> {
  const target = primary(policies);
  const related: ObjectRef[] = [
    ...policies.filter((p) => p !== target).map((p) => refOf('NetworkPolicy', p)),
    ...subjects.flatMap((s) => (s.pod ? [refOf('Pod', s.pod)] : [])).slice(0, 5),
  ];
  return { object: refOf('NetworkPolicy', target), ...(related.length ? { related } : {}) };
}

/** Subjects grouped by a key (the isolating policies, and what else the message depends on), in first-seen order. */
function grouped<T>(items: T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}

const policiesKey = (policies: NetworkPolicy[]) => policies.map((p) => p.metadata.name).sort().join(',');

/** What the ipBlocks of rules with the right ports say about a peer whose address hubmesh does not know. */
function ipBlocksNote(verdict: Verdict, peerName: string): string {
  const seen = new Set<string>();
  const notes: string[] = [];
  for (const { policy, ipBlock } of verdict.ipBlocks) {
    const text = describeIpBlock(ipBlock);
    if (seen.has(text)) continue;
    seen.add(text);
    const where = `The ipBlock ${text} of ${policyName(policy)}`;
    if (PRIVATE_RANGES.some((range) => ipBlockReaches(ipBlock, range))) {
      notes.push(`${where} reaches ${peerName} only if its pod address is inside, which hubmesh cannot see: ipBlocks count when together they cover ${PRIVATE_RANGES.join(', ')}.`);
    } else {
      const z2jh = ipBlock.cidr === '0.0.0.0/0' && ipBlock.except?.length ? " (z2jh's egressAllowRules.nonPrivateIPs)" : '';
      notes.push(`${where}${z2jh} leaves out the private ranges pod addresses come from, so it does not reach ${peerName}.`);
    }
  }
  return notes.map((n) => ` ${n}`).join('');
}

/** Whether the subjects are one running pod (the message then speaks of it, not them). */
const single = (subjects: Subject[]) => subjects.length === 1 && subjects[0]!.pod !== undefined;

/** "pods hub-x, jupyter-alice and 3 more", "notebook pods to come (component=singleuser-server,...)", or both. */
function podsPhrase(subjects: Subject[]): string {
  const running = subjects.filter((s) => s.pod).map((s) => s.name);
  const toCome = subjects.filter((s) => !s.pod).map((s) => s.name);
  return [...(running.length ? [`${running.length === 1 ? 'pod' : 'pods'} ${listed(running)}`] : []), ...toCome].join(' and ');
}

// ---------------------------------------------------------------------------------------------

export const egressBlocksIstiod = defineChecker(
  {
    code: 'HM6101',
    severity: 'error',
    area: 'isolation',
    title: 'A NetworkPolicy keeps sidecars from reaching istiod',
    description:
      "Every sidecar connects to istiod (the pods app=istiod in Istio's root namespace) on TCP 15012 for its configuration and its mTLS certificate. A NetworkPolicy that isolates a pod for egress must allow that connection. z2jh's single-user policy does not: besides DNS and the hub, its only rule for other destinations, egressAllowRules.nonPrivateIPs, allows 0.0.0.0/0 except the private ranges that pod addresses come from. The notebooks' sidecars then never become ready, the pods never serve, and spawns time out. That is why this is an error. hubmesh does not know istiod's pod address, so ipBlocks count only when together they cover 10.0.0.0/8, 172.16.0.0/12 and 192.168.0.0/16. This assumes a CNI that applies ipBlocks to pod addresses, as Calico does; Cilium does not, and there only a pod or namespace selector reaches istiod. Allow istiod with an egress rule to the root namespace's istiod pods on port 15012 (z2jh: singleuser.networkPolicy.egress), or with z2jh's egressAllowRules.privateIPs=true, which opens every private address.",
  },
  (snapshot) => {
    const ctx = contextOf(snapshot);
    const subjects = [...ctx.pods.filter((p) => sidecarInfo(p).injected).map((p) => podSubject(p, ctx)), ...notebooksToCome(ctx)];
    // towards one peer the verdict depends only on which policies isolate the pod: judge each set of them once
    const verdicts = new Map<string, Verdict>();
    const blocked = subjects.flatMap((subject) => {
      const policies = isolatingPolicies(ctx.policies, subject.endpoint, 'Egress');
      const key = policiesKey(policies);
      const verdict = verdicts.get(key) ?? judgeConnection(policies, subject.endpoint, 'Egress', ctx.istiod.endpoint, { port: ISTIOD_PORT });
      verdicts.set(key, verdict);
      return verdict.allowed ? [] : [{ subject, verdict }];
    });
    return grouped(blocked, (b) => policiesKey(b.verdict.policies)).map((group) => {
      const { policies } = group[0]!.verdict;
      const members = group.map((b) => b.subject);
      const rule: NetworkPolicyEgressRule = { to: [ctx.istiod.peer], ports: [{ port: ISTIOD_PORT, protocol: 'TCP' }] };
      const values = z2jhValuesOf(primary(policies));
      const coarse = values ? ` (Or set ${values}.egressAllowRules.privateIPs=true, which opens every private address, but not on Cilium: it does not apply ipBlocks to pods.)` : '';
      return {
        message:
          `${policiesPhrase(policies)} ${policies.length === 1 ? 'isolates' : 'isolate'} ${podsPhrase(members)} for egress, and no rule lets ${single(members) ? 'it' : 'them'} reach istiod ` +
          `(${ctx.istiod.description}) on TCP ${ISTIOD_PORT}: ` +
          (single(members)
            ? "its sidecar gets neither configuration nor certificates, never becomes ready, and the pod's traffic fails."
            : "their sidecars get neither configuration nor certificates, never become ready, and the pods' traffic fails.") +
          `${ipBlocksNote(group[0]!.verdict, 'istiod')} ${addRule(policies, 'egress', rule)}${coarse}`,
        ...objects(policies, members),
      };
    });
  },
);

/** Where the gateway sends a route's requests: each pod behind the route's Service, on its serving (target) port. */
type GatewayTarget = { subject: Subject; port: number; portName?: string; hbone: boolean; routes: Set<string> };

function gatewayTargets(ctx: Context): GatewayTarget[] {
  const targets = new Map<string, GatewayTarget>();
  const namespaceLabels = ctx.namespaceLabels(ctx.namespace);
  const nsAmbient = namespaceInAmbient(namespaceLabels);
  const ambient = (pod: Pod) => ambientInfo(pod, namespaceLabels, []).enrolled;
  // indexes, so that thousands of routes do not each scan every Service and pod
  const services = new Map(ctx.snapshot.services.map((svc) => [`${svc.metadata.namespace ?? ctx.namespace}/${svc.metadata.name}`, svc]));
  const podsByLabel = new Map<string, Pod[]>();
  for (const pod of ctx.pods) {
    for (const [k, v] of Object.entries(pod.metadata.labels ?? {})) {
      const key = `${k}=${v}`;
      const list = podsByLabel.get(key);
      if (list) list.push(pod);
      else podsByLabel.set(key, [pod]);
    }
  }
  const behind = (selector: Record<string, string> | undefined): Pod[] => {
    const terms = Object.entries(selector ?? {});
    if (terms.length === 0) return [];
    const candidates = terms.map(([k, v]) => podsByLabel.get(`${k}=${v}`) ?? []).reduce((a, b) => (b.length < a.length ? b : a));
    return candidates.filter((pod) => terms.every(([k, v]) => pod.metadata.labels?.[k] === v));
  };
  for (const vs of ctx.snapshot.virtualServices) {
    if (!isHubRoute(vs, ctx.snapshot.prefix)) continue;
    const path = routeFromObject(vs)!.path;
    for (const { destination } of (vs.spec.http ?? []).flatMap((rule) => rule.route ?? [])) {
      const key = serviceOfHost(destination.host, vs.metadata.namespace ?? ctx.namespace, ctx.snapshot.clusterDomain);
      const service = key && key.namespace === ctx.namespace ? services.get(`${key.namespace}/${key.name}`) : undefined;
      if (!service) continue;
      const ports = service.spec?.ports ?? [];
      const servicePort = destination.port?.number !== undefined ? ports.find((p) => p.port === destination.port!.number) : ports.length === 1 ? ports[0] : undefined;
      if (!servicePort) continue;
      for (const pod of behind(service.spec?.selector)) {
        const subject = podSubject(pod, ctx);
        const wanted = servicePort.targetPort ?? servicePort.port;
        const container = subject.endpoint.ports?.find((p) => (typeof wanted === 'number' ? p.containerPort === wanted : p.name === wanted));
        const number = typeof wanted === 'number' ? wanted : container?.containerPort;
        if (number === undefined) continue;
        const hbone = ambient(pod);
        const port = hbone ? HBONE_PORT : number;
        const targetKey = `${pod.metadata.name}:${port}`;
        const target = targets.get(targetKey) ?? { subject, port, portName: hbone ? undefined : container?.name, hbone, routes: new Set<string>() };
        target.routes.add(path);
        targets.set(targetKey, target);
      }
    }
  }
  const toCome = notebooksToCome(ctx).map((subject) =>
    nsAmbient
      ? { subject, port: HBONE_PORT, hbone: true, routes: new Set<string>() }
      : { subject, port: KUBESPAWNER_PORT.containerPort, portName: KUBESPAWNER_PORT.name, hbone: false, routes: new Set<string>() },
  );
  return [...targets.values(), ...toCome];
}

/** z2jh's access-label rules (CHP's way in), named when they are all a policy admits. */
function accessLabelNote(policies: NetworkPolicy[], namespace: string): string {
  const labels = new Set<string>();
  for (const policy of policies)
    for (const rule of policy.spec?.ingress ?? [])
      for (const peer of rule.from ?? []) for (const key of Object.keys(peer.podSelector?.matchLabels ?? {})) if (key.startsWith(Z2JH_ACCESS_LABEL) && !peer.namespaceSelector) labels.add(key);
  if (labels.size === 0) return '';
  const names = [...labels].map((l) => `${l}=true`).join(' or ');
  return ` ${policies.length === 1 ? 'Its rule admits' : 'Their rules admit'} pods labelled ${names} in namespace ${namespace}: the CHP proxy pod hubmesh replaced carries that label, the gateway's pods do not and run elsewhere.`;
}

export const gatewayBlocked = defineChecker(
  {
    code: 'HM6102',
    severity: 'error',
    area: 'isolation',
    title: "A NetworkPolicy keeps the ingress gateway from a route's pods",
    description:
      "Istio's ingress gateway connects straight to the pods behind a route. A NetworkPolicy that isolates those pods for ingress must admit the gateway's pods, from their namespace, on the port the pod serves: 8888 for a notebook, 8081 for the hub. The sidecar's redirection happens inside the pod, after the NetworkPolicy has judged the connection on its original destination port, so the sidecar's own inbound ports need no rule for it. In ambient mode (istio.io/dataplane-mode=ambient) the connection arrives over HBONE on 15008 instead. z2jh's default hub and single-user policies admit only pods labelled hub.jupyter.org/network-access-hub or -singleuser in the hub's namespace. CHP's proxy pod had those labels; the gateway's pods do not. Every request through the gateway to such a pod then fails with 503, which is why this is an error. Notebooks that do not run yet are judged as the policy selects them, with KubeSpawner's port. hubmesh knows the gateway's pods only by HUBMESH_GATEWAY_NAMESPACE and HUBMESH_GATEWAY_SELECTOR. A policy that admits them by other labels they carry is not counted: add those labels to the selector.",
  },
  (snapshot) => {
    const ctx = contextOf(snapshot);
    // a request may go through any of the gateway's pods: one that is refused is enough to fail requests
    const gateways = ctx.gatewayPods.length ? ctx.gatewayPods : [{ name: undefined, endpoint: ctx.gateway.endpoint }];
    const blocked = gatewayTargets(ctx).flatMap((target) => {
      const refused = gateways
        .map((gateway) => ({ gateway, verdict: judgeConnection(ctx.policies, target.subject.endpoint, 'Ingress', gateway.endpoint, { port: target.port }) }))
        .filter(({ verdict }) => !verdict.allowed);
      return refused.length ? [{ target, verdict: refused[0]!.verdict, refusedPods: refused.flatMap(({ gateway }) => gateway.name ?? []) }] : [];
    });
    return grouped(blocked, (b) => `${policiesKey(b.verdict.policies)}|${b.target.port}|${b.target.portName ?? ''}`).map((group) => {
      const { policies } = group[0]!.verdict;
      const { port, portName, hbone } = group[0]!.target;
      const { refusedPods } = group[0]!;
      const gatewayPods = refusedPods.length
        ? `: ${refusedPods.length === ctx.gatewayPods.length ? '' : `${refusedPods.length} of its ${ctx.gatewayPods.length} pods, `}${listed(refusedPods)}`
        : '';
      const members = group.map((b) => b.target.subject);
      const routes = [...new Set(group.flatMap((b) => [...b.target.routes]))].sort();
      const portText = hbone ? `TCP ${port} (HBONE: the pods are in ambient mode)` : `TCP ${port}${portName ? ` (${portName})` : ''}`;
      const where = routes.length ? `, where ${routes.length === 1 ? 'the route' : 'the routes'} ${listed(routes)} ${routes.length === 1 ? 'sends' : 'send'} requests` : '';
      const rule: NetworkPolicyIngressRule = { from: [ctx.gateway.peer], ports: [hbone ? { port, protocol: 'TCP' } : { port: portName ?? port }] };
      return {
        message:
          `${policiesPhrase(policies)} ${policies.length === 1 ? 'isolates' : 'isolate'} ${podsPhrase(members)} for ingress, and no rule admits the ingress gateway ` +
          `(${ctx.gateway.description}${gatewayPods}) on ${portText}${where}: the gateway cannot connect, and users get 503.` +
          `${accessLabelNote(policies, ctx.namespace)}${ipBlocksNote(group[0]!.verdict, 'the gateway')} ${addRule(policies, 'ingress', rule)}`,
        ...objects(policies, members),
      };
    });
  },
);

/** A podSelector that picks pods by `component=proxy`, z2jh's label of the CHP proxy pod. */
function requiresProxy(selector: LabelSelector | undefined): boolean {
  if (selector?.matchLabels?.component === PROXY_COMPONENT) return true;
  return (selector?.matchExpressions ?? []).some((e) => e.key === 'component' && e.operator === 'In' && e.values?.length === 1 && e.values[0] === PROXY_COMPONENT);
}

export const proxyPolicyLeft = defineChecker(
  {
    code: 'HM6103',
    severity: 'warning',
    area: 'isolation',
    title: 'A NetworkPolicy still targets the z2jh proxy pod hubmesh replaced',
    description:
      "hubmesh replaces configurable-http-proxy: users enter through the Istio ingress gateway, and the hub's proxy API is hubmesh's. z2jh still deploys the proxy pod (component=proxy). With proxy.chp.networkPolicy.enabled (the default) it also creates a policy for that pod. The policy guards a pod that carries none of the hub's traffic, yet it is easily edited in the belief that it controls who reaches the hub; the policies that do are the hub's, the notebooks' and the gateway's. This is a warning: nothing breaks, but the configuration misleads. Turn z2jh's policy off with proxy.chp.networkPolicy.enabled=false, and delete a policy of your own that selects the proxy pod.",
  },
  (snapshot) => {
    const ctx = contextOf(snapshot);
    const proxies = ctx.pods.filter((p) => p.metadata.labels?.component === PROXY_COMPONENT);
    return ctx.policies.flatMap((policy) => {
      if (!requiresProxy(policy.spec?.podSelector)) return [];
      const selected = proxies.filter((p) => matchesSelectorObject(p.metadata.labels, policy.spec?.podSelector ?? {}));
      const values = z2jhValuesOf(policy);
      const what = selected.length
        ? `selects the z2jh proxy ${selected.length === 1 ? 'pod' : 'pods'} ${listed(selected.map((p) => p.metadata.name))} (component=proxy), configurable-http-proxy, which hubmesh replaced`
        : "selects pods labelled component=proxy (none runs): z2jh's configurable-http-proxy, which hubmesh replaced";
      const fix =
        values === 'proxy.chp.networkPolicy'
          ? 'Set proxy.chp.networkPolicy.enabled=false in the z2jh values.'
          : `Delete it (kubectl delete networkpolicy -n ${ctx.namespace} ${policy.metadata.name}), or point its podSelector at the pods it is meant for.`;
      return [
        {
          message:
            `NetworkPolicy ${policyName(policy)} ${what}: users now enter through the Istio ingress gateway and the hub's proxy API is hubmesh's, so this policy ` +
            `guards a pod that carries none of the hub's traffic, and editing it changes nothing users see. ${fix}`,
          object: refOf('NetworkPolicy', policy),
          ...(selected.length ? { related: selected.slice(0, 5).map((p) => refOf('Pod', p)) } : {}),
        },
      ];
    });
  },
);

export const namespaceWithoutNetworkPolicy = defineChecker(
  {
    code: 'HM6104',
    severity: 'info',
    area: 'isolation',
    title: 'The hub namespace has no NetworkPolicy',
    description:
      "With no NetworkPolicy in the hub namespace, every pod in it accepts connections from every pod of the cluster on every port, and may connect anywhere; only Istio (mTLS, AuthorizationPolicies) restricts traffic. hubmesh works either way, so this is information, not a fault. z2jh creates the hub's and the notebooks' policies by default (hub.networkPolicy.enabled, singleuser.networkPolicy.enabled); with them in place, add the rules for Istio that the other isolation rules ask for (docs/z2jh.md).",
  },
  (snapshot) => {
    const ctx = contextOf(snapshot);
    if (ctx.policies.length > 0) return [];
    return [
      {
        message:
          `Namespace ${ctx.namespace} has no NetworkPolicy: its pods, notebooks included, accept connections from any pod of the cluster on any port, and only Istio's mTLS and ` +
          `AuthorizationPolicies restrict who reaches them. To isolate the notebooks, enable z2jh's policies (singleuser.networkPolicy.enabled=true, hub.networkPolicy.enabled=true) ` +
          `with the gateway and istiod rules from docs/z2jh.md.`,
        object: { kind: 'Namespace', name: ctx.namespace },
      },
    ];
  },
);

export const metricsPortClosed = defineChecker(
  {
    code: 'HM6105',
    severity: 'warning',
    area: 'isolation',
    title: "A NetworkPolicy closes the sidecar's metrics port",
    description:
      "Prometheus scrapes each sidecar's merged metrics (Istio's request metrics, Envoy's, the app's) on TCP 15020 of the pod. hubmesh reads the metrics a notebook's own sidecar reports (reporter=destination) for the runtime mTLS share, the plain-text alert rules and last_activity from traffic. A NetworkPolicy that isolates a pod for ingress and opens 15020 to nobody hides that pod from all of them. This is a warning, not an error: user traffic still flows. It is reported only when hubmesh reads Prometheus (HUBMESH_PROMETHEUS_URL). hubmesh does not know Prometheus's pods, so a rule that opens 15020 to some peer counts as open. Envoy's own endpoint, 15090, needs a rule only if you scrape it directly.",
  },
  (snapshot) => {
    if (!snapshot.prometheus) return [];
    const ctx = contextOf(snapshot);
    const subjects = [...ctx.pods.filter((p) => sidecarInfo(p).injected).map((p) => podSubject(p, ctx)), ...notebooksToCome(ctx)];
    const closed = subjects.flatMap((subject) => {
      const { policies, open } = ingressPortOpen(ctx.policies, subject.endpoint, { port: METRICS_PORT });
      return open ? [] : [{ subject, policies }];
    });
    const promNamespace = snapshot.prometheus.namespace;
    return grouped(closed, (c) => policiesKey(c.policies)).map((group) => {
      const { policies } = group[0]!;
      const members = group.map((c) => c.subject);
      const rule: NetworkPolicyIngressRule = {
        ...(promNamespace ? { from: [{ namespaceSelector: { matchLabels: { [NAME_LABEL]: promNamespace } } }] } : {}),
        ports: [{ port: METRICS_PORT, protocol: 'TCP' }],
      };
      const narrow = promNamespace ? '' : " (narrow it with a `from` for your Prometheus's namespace)";
      return {
        message:
          `${policiesPhrase(policies)} ${policies.length === 1 ? 'isolates' : 'isolate'} ${podsPhrase(members)} for ingress, and no rule opens TCP ${METRICS_PORT}, where Prometheus ` +
          (single(members)
            ? "scrapes its sidecar's metrics: Istio's request metrics for it are missing, so hubmesh's runtime mTLS share, its alert rules and last_activity from traffic miss it. "
            : "scrapes their sidecars' metrics: Istio's request metrics for them are missing, so hubmesh's runtime mTLS share, its alert rules and last_activity from traffic miss them. ") +
          `${addRule(policies, 'ingress', rule)}${narrow}`,
        ...objects(policies, members),
      };
    });
  },
);

/** The NetworkPolicy rules, in code order. */
export const NETWORK_POLICY_CHECKERS = [egressBlocksIstiod, gatewayBlocked, proxyPolicyLeft, namespaceWithoutNetworkPolicy, metricsPortClosed];
