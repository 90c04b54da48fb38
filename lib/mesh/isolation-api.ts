import { z } from 'zod';
import { ApiError, invalidField, localModeError } from '../api-error';
import type { AuthorizationPolicy } from '../kube/authorizationpolicies';
import { toYaml } from '../kube/object-diff';
import { parseLabelSelector } from '../kube/label-selector';
import type { Pod } from '../kube/pods';
import { parseQuery } from '../search-params';
import { isPrometheusError } from '../telemetry/prometheus';
import type { MeshActions } from './actions';
import type { MeshApiDeps, MeshObjects } from './api';
import { summarizePod } from './pod-status';
import { HUB_POD, HUBMESH_POD, mtlsFromConfig, podMeshContext, podsByRole, requiredPods } from './api';
import { applicablePolicies, decide, type Tri } from './authz/evaluate';
import {
  desiredIsolationPolicies,
  exceptionOf,
  exceptionPolicy,
  exceptionPolicyName,
  ISOLATION_LABEL,
  type IsolationException,
  type IsolationIdentities,
  type WorkloadSelectors,
} from './authz/desired';
import { identitiesOf, principalOf } from './authz/identities';
import { analyzeIsolation, type Access, type IsolationAnalysis, type Probe, type TargetGroup } from './authz/isolation';
import { loadIsolationTraffic, type Flow } from './authz/traffic';
import { isolationVerdict, targetWords, type IsolationTelemetry } from './authz/verdict';
import { trafficWindow } from './traffic';

/**
 * Notebook isolation for the console and the API: the verdict (configuration, traffic, pods), "Isolate
 * notebooks" as a plan and an apply through the mesh actions, and the admin's named exceptions.
 */


export const isolationQuery = z.object({ window: trafficWindow.default('1h') });

const needsMesh = () => localModeError('notebook isolation needs a cluster with Istio');

function meshOf(deps: MeshApiDeps): MeshObjects {
  if (!deps.mesh) throw needsMesh();
  return deps.mesh;
}

/** The notebook selector as matchLabels: an AuthorizationPolicy selects by equality only. */
function notebookMatchLabels(selector: string): Record<string, string> {
  const requirements = parseLabelSelector(selector);
  if (requirements.length === 0 || requirements.some((r) => r.op !== '=')) {
    throw new ApiError(409, 'not-configured', `HUBMESH_NOTEBOOK_SELECTOR ${JSON.stringify(selector)} is not a list of key=value labels, so an AuthorizationPolicy cannot select the notebooks by it`);
  }
  return Object.fromEntries(requirements.map((r) => [r.key, r.value!]));
}

export function selectorsOf(deps: Pick<MeshApiDeps, 'config'>): WorkloadSelectors {
  return { notebooks: notebookMatchLabels(deps.config.notebookSelector), hub: HUB_POD, hubmesh: HUBMESH_POD };
}


export type IsolationScene = {
  mesh: MeshObjects;
  identities: IsolationIdentities;
  pods: { notebooks: Pod[]; hub: Pod[]; hubmesh: Pod[] };
  policies: AuthorizationPolicy[];
  strict: boolean;
  /** the pods in ambient without a sidecar, by name: ztunnel enforces their policies */
  ztunnelPods: ReadonlySet<string>;
};

/** What the isolation answers (and the per-server diagnosis) read, from the watch caches. */
export function isolationScene(deps: MeshApiDeps): IsolationScene {
  const mesh = meshOf(deps);
  const { trustDomain } = deps.config.mesh;
  const byRole = podsByRole(deps);
  const pods = { notebooks: byRole.notebook, hub: byRole.hub, hubmesh: byRole.hubmesh };
  const identities: IsolationIdentities = {
    gateway: identitiesOf('gateway', mesh.gatewayPods.list(), trustDomain),
    hub: identitiesOf('hub', pods.hub, trustDomain),
    hubmesh: identitiesOf('hubmesh', pods.hubmesh, trustDomain),
    notebooks: identitiesOf('notebook', pods.notebooks, trustDomain),
  };
  const unique = new Map([...mesh.authorizationPolicies.hub.list(), ...mesh.authorizationPolicies.root.list()].map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, p]));
  const strict = mtlsFromConfig(deps, mesh).namespace.server.runtimeMode === 'STRICT';
  const context = podMeshContext(deps);
  const ztunnelPods = new Set([...pods.notebooks, ...pods.hub, ...pods.hubmesh].filter((pod) => summarizePod(pod, context).dataplane === 'ambient').map((pod) => pod.metadata.name));
  return { mesh, identities, pods, policies: [...unique.values()], strict, ztunnelPods };
}

const analysisOf = (deps: MeshApiDeps, scene: IsolationScene, policies: readonly AuthorizationPolicy[]): IsolationAnalysis =>
  analyzeIsolation({ namespace: deps.namespace, rootNamespace: deps.config.mesh.rootNamespace, trustDomain: deps.config.mesh.trustDomain, identities: scene.identities, pods: scene.pods, policies, strict: scene.strict, ztunnelPods: scene.ztunnelPods });

async function telemetryOf(deps: MeshApiDeps, scene: IsolationScene, window: string): Promise<IsolationTelemetry> {
  if (!deps.prometheus) return { state: 'unconfigured' };
  try {
    return { state: 'ok', traffic: await loadIsolationTraffic(deps.prometheus, { window, namespace: deps.namespace, notebooks: scene.pods.notebooks }) };
  } catch (error) {
    if (isPrometheusError(error)) {
      deps.log.warn({ err: error.message, kind: error.kind }, 'Prometheus query failed');
      return { state: 'unavailable', message: error.message };
    }
    throw error;
  }
}

const gatewayLookup = (deps: MeshApiDeps) =>
  `pods labelled ${Object.entries(deps.config.mesh.gatewaySelector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')} in ${deps.config.mesh.gatewayNamespace}`;

/** The isolation page: the verdict, who may reach what and why, the identities and where they were read, the exceptions and traffic. */
export async function isolationAnswer(deps: MeshApiDeps, params: URLSearchParams) {
  const q = parseQuery(isolationQuery, params);
  const scene = isolationScene(deps);
  const analysis = analysisOf(deps, scene, scene.policies);
  const telemetry = await telemetryOf(deps, scene, q.window);
  const verdict = isolationVerdict({ namespace: deps.namespace, identities: scene.identities, analysis, telemetry, pods: requiredPods(deps), gatewayLookup: gatewayLookup(deps) });
  return {
    namespace: deps.namespace,
    window: q.window,
    verdict,
    identities: scene.identities,
    gatewayLookup: gatewayLookup(deps),
    strict: scene.strict,
    probes: analysis.probes,
    groups: analysis.groups,
    exceptions: scene.policies.flatMap((p) => {
      const exception = exceptionOf(p);
      return exception ? [{ ...exception, policy: { namespace: p.metadata.namespace ?? '', name: p.metadata.name } }] : [];
    }),
    policies: scene.policies.map((p) => ({ namespace: p.metadata.namespace ?? '', name: p.metadata.name, action: p.spec?.action ?? 'ALLOW', managed: p.metadata.labels?.[ISOLATION_LABEL] ?? null })),
    telemetry: telemetry.state === 'ok' ? { state: 'ok' as const, flows: telemetry.traffic.flows.slice(0, 200), notebookToNotebook: telemetry.traffic.notebookToNotebook } : telemetry,
    prometheus: { configured: deps.prometheus !== undefined },
  };
}

/** The policies with the desired ones in place of objects of the same name. */
function withDesired(current: readonly AuthorizationPolicy[], desired: readonly AuthorizationPolicy[]): AuthorizationPolicy[] {
  const key = (p: AuthorizationPolicy) => `${p.metadata.namespace}/${p.metadata.name}`;
  const replaced = new Set(desired.map(key));
  return [...current.filter((p) => !replaced.has(key(p))), ...desired];
}

/** A source that can reach a target today and could not afterwards. */
export type NewlyDenied = { target: TargetGroup['target']; users: string[]; pods: string[]; probe: Probe; before: Access; after: Access };

function newlyDenied(before: IsolationAnalysis, after: IsolationAnalysis): NewlyDenied[] {
  const probes = new Map(after.probes.map((p) => [p.id, p]));
  const podAccess = (analysis: IsolationAnalysis) => {
    const map = new Map<string, { group: TargetGroup; access: Map<string, Access> }>();
    for (const group of analysis.groups) for (const pod of group.pods) map.set(`${group.target}\u0000${pod}`, { group, access: new Map(group.access.map((a) => [a.probe, a])) });
    return map;
  };
  const was = podAccess(before);
  const found = new Map<string, NewlyDenied>();
  for (const group of after.groups) {
    for (const pod of group.pods) {
      const old = was.get(`${group.target}\u0000${pod}`);
      for (const access of group.access) {
        const previous = old?.access.get(access.probe);
        if (!previous || previous.allowed === false || access.allowed !== false) continue;
        const key = `${group.target}\u0000${access.probe}`;
        const entry = found.get(key) ?? { target: group.target, users: [], pods: [], probe: probes.get(access.probe)!, before: previous, after: access };
        entry.pods.push(pod);
        for (const user of group.users) if (!entry.users.includes(user)) entry.users.push(user);
        found.set(key, entry);
      }
    }
  }
  return [...found.values()];
}

/** A real source seen in the window whose traffic the new policies would deny. */
export type BlockedSource = { flow: Flow; allowedBefore: Tri };

function blockedSources(deps: MeshApiDeps, scene: IsolationScene, flows: readonly Flow[], before: readonly AuthorizationPolicy[], after: readonly AuthorizationPolicy[]): BlockedSource[] {
  const byName = new Map([...scene.pods.notebooks, ...scene.pods.hub, ...scene.pods.hubmesh].map((pod) => [pod.metadata.name, pod]));
  const ports = (pod: Pod) => pod.spec?.containers.flatMap((c) => c.ports ?? []).map((p) => p.containerPort) ?? [];
  return flows.flatMap((flow) => {
    const pod = byName.get(flow.destination.workload);
    if (!pod) return [];
    const workload = { namespace: deps.namespace, labels: pod.metadata.labels ?? {} };
    // what the metrics do not say (method, path) is left open: a source is blocked when no request of it on any port would pass
    const allowedUnder = (policies: readonly AuthorizationPolicy[]): Tri => {
      const applicable = applicablePolicies(policies, workload, deps.config.mesh.rootNamespace);
      const answers = (ports(pod).length ? ports(pod) : [0]).flatMap((port) =>
        ['GET', 'POST'].map((method) => decide(applicable, { principal: flow.source.principal, port, method, path: '/' }).allowed),
      );
      return answers.includes(true) ? true : answers.includes('unknown') ? 'unknown' : false;
    };
    const wouldBe = allowedUnder(after);
    return wouldBe === false && !(scene.strict && !flow.source.principal) ? [{ flow, allowedBefore: allowedUnder(before) }] : [];
  });
}

/** "Isolate notebooks" planned: each policy's preview, diff and dry run, what it would deny that is allowed today, and the real sources it would cut off. */
export async function isolatePlanAnswer(deps: MeshApiDeps, params: URLSearchParams) {
  const q = parseQuery(isolationQuery, params);
  if (!deps.actions) throw needsMesh();
  const scene = isolationScene(deps);
  if (scene.identities.gateway.length === 0) throw new ApiError(409, 'not-configured', `no ingress gateway pod was found (${gatewayLookup(deps)}), so the policies cannot name its identity`);
  if (scene.identities.hub.length === 0) throw new ApiError(409, 'not-configured', `no hub pod (component=hub) runs in ${deps.namespace}, so the policies cannot name its identity`);
  const desired = desiredIsolationPolicies({ namespace: deps.namespace, prefix: deps.config.proxy.prefix, selectors: selectorsOf(deps), identities: scene.identities });
  const after = withDesired(scene.policies, desired);
  const plans = [];
  for (const policy of desired) plans.push(await deps.actions.plan(isolationAction(policy)));
  const telemetry = await telemetryOf(deps, scene, q.window);
  return {
    window: q.window,
    plans,
    needsConfirmation: plans.some((p) => p.needsConfirmation),
    wouldDeny: newlyDenied(analysisOf(deps, scene, scene.policies), analysisOf(deps, scene, after)).map((d) => ({
      target: d.target,
      users: d.users,
      pods: d.pods,
      source: d.probe.label,
      kind: d.probe.kind,
      message: `${d.probe.label} could no longer reach ${targetWords(d)}`,
    })),
    blockedSources: telemetry.state === 'ok' ? blockedSources(deps, scene, telemetry.traffic.flows, scene.policies, after) : [],
    telemetry: telemetry.state === 'ok' ? { state: 'ok' as const } : telemetry,
  };
}

const isolationAction = (policy: AuthorizationPolicy) => ({
  target: 'authorization-policy' as const,
  policy,
  summary: `ensure AuthorizationPolicy ${policy.metadata.namespace}/${policy.metadata.name} (notebook isolation: ${policy.metadata.labels?.[ISOLATION_LABEL]})`,
});

export const isolateBody = z.strictObject({ confirmTakeover: z.boolean().default(false) });

/** Applies the three policies in order, each through the pipeline with its own Event. */
export async function isolateApply(deps: MeshApiDeps, body: z.infer<typeof isolateBody>, actor: string) {
  if (!deps.actions) throw needsMesh();
  const scene = isolationScene(deps);
  if (scene.identities.gateway.length === 0 || scene.identities.hub.length === 0) throw new ApiError(409, 'not-configured', 'the gateway and hub identities must be known first (see the plan)');
  const desired = desiredIsolationPolicies({ namespace: deps.namespace, prefix: deps.config.proxy.prefix, selectors: selectorsOf(deps), identities: scene.identities });
  const actions = desired.map(isolationAction);
  // every policy is judged before any is written: one that would be refused (a takeover not confirmed, a dry run
  // the apiserver rejects) goes first, so its refusal (audited) leaves the others unwritten, never half of them
  const plans = await Promise.all(actions.map((action) => deps.actions!.plan(action)));
  const refused = (i: number) => (plans[i]!.needsConfirmation && !body.confirmTakeover) || !plans[i]!.dryRun.accepted;
  const order = actions.map((_, i) => i).sort((a, b) => Number(refused(b)) - Number(refused(a)));
  const results: Array<Awaited<ReturnType<MeshActions['apply']>>> = [];
  for (const i of order) results[i] = await deps.actions.apply(actions[i]!, { actor, confirmTakeover: body.confirmTakeover });
  return { results };
}

// ---- exceptions ----

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const exceptionName = z.string().max(40, 'must be at most 40 characters').regex(dnsLabel, 'must be a DNS label: lower-case letters, digits and -');

export const exceptionBody = z.strictObject({
  source: z.strictObject({
    namespace: z.string().max(63).regex(dnsLabel, 'must be a namespace name'),
    serviceAccount: z.string().max(253).regex(dnsSubdomain, 'must be a service account name'),
  }),
  target: z.enum(['notebooks', 'hub']),
  user: z.string().min(1).max(63).regex(labelValue, "must be the value of the user's hub.jupyter.org/username label").optional(),
  reason: z.string().trim().min(1, 'say why this identity is let in').max(500),
  /** true (the default): plan only */
  dryRun: z.boolean().default(true),
});

export function exceptionFrom(name: string, body: z.infer<typeof exceptionBody>): IsolationException {
  if (body.user !== undefined && body.target !== 'notebooks') throw invalidField('user', 'only a notebooks exception can be for one user');
  return { name, source: body.source, target: body.target, ...(body.user !== undefined ? { user: body.user } : {}), reason: body.reason };
}

/** Plans (dry run) or applies an exception's policy. */
export async function putException(deps: MeshApiDeps, name: string, body: z.infer<typeof exceptionBody>, actor: string) {
  if (!deps.actions) throw needsMesh();
  const exception = exceptionFrom(name, body);
  const policy = exceptionPolicy({ namespace: deps.namespace, prefix: deps.config.proxy.prefix, trustDomain: deps.config.mesh.trustDomain, selectors: selectorsOf(deps), exception });
  const principal = principalOf(deps.config.mesh.trustDomain, exception.source.namespace, exception.source.serviceAccount);
  const action = {
    target: 'authorization-policy' as const,
    policy,
    summary: `allow ${principal} into ${exception.target === 'hub' ? 'the hub' : exception.user ? `${exception.user}'s notebooks` : 'every notebook'} (exception ${name}: ${exception.reason})`,
  };
  if (body.dryRun) return { dryRun: true, plan: await deps.actions.plan(action), preview: toYaml(policy) };
  return { dryRun: false, result: await deps.actions.apply(action, { actor }) };
}

export async function deleteException(deps: MeshApiDeps, name: string, actor: string) {
  if (!deps.actions) throw needsMesh();
  const policyName = exceptionPolicyName(deps.config.proxy.prefix, name);
  return deps.actions.remove({ target: 'authorization-policy', namespace: deps.namespace, name: policyName, summary: `remove isolation exception ${name}` }, { actor });
}
