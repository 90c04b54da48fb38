import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuthorizationPolicy } from '@/lib/kube/authorizationpolicies';
import { clients, eventually, HUB_NAMESPACE, notebookPod, uniqueName } from './helpers';
import { startHubmesh, type HubmeshProcess } from './hubmesh-process';
import { startPrometheus, type PrometheusServer } from './prometheus/harness';
import { startIstioExporter, type IstioExporter } from './prometheus/exporter';

const adminToken = 'isolation-admin-token-0123456789';
const sessionSecret = 'isolation-session-secret-0123456789abcd';
const ROOT = 'istio-system';
const policies = (namespace: string) => ({ group: 'security.istio.io', version: 'v1', namespace, plural: 'authorizationpolicies' });

const GATEWAY_SA = 'istio-ingressgateway-service-account';
const principal = (namespace: string, sa: string) => `cluster.local/ns/${namespace}/sa/${sa}`;
const GATEWAY = principal(ROOT, GATEWAY_SA);
const HUB = principal(HUB_NAMESPACE, 'hub');
const NOTEBOOK = principal(HUB_NAMESPACE, 'default');

type Access = { probe: string; intended: boolean; allowed: boolean | 'unknown'; decidedBy: string; policies: Array<{ name: string }>; custom: Array<{ name: string }> };
type Group = { target: string; pods: string[]; users: string[]; access: Access[] };
type Answer = { verdict: { isolated: boolean; reasons: Array<{ code: string; message: string }>; warnings: Array<{ code: string; message: string }>; checks: Record<string, unknown> }; groups: Group[]; identities: Record<string, Array<{ principal: string; pods: string[] }>>; policies: Array<{ name: string }> };

/** A pod the mesh injected, on the kwok node. */
function meshPod(name: string, namespace: string, labels: Record<string, string>, serviceAccountName: string): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels, annotations: { 'sidecar.istio.io/status': JSON.stringify({ containers: ['istio-proxy'] }) } },
    spec: {
      serviceAccountName,
      containers: [
        { name: 'main', image: 'app', ports: [{ name: 'http', containerPort: labels.component === 'hub' ? 8081 : 3000 }] },
        { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1' },
      ],
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
    },
  };
}

/**
 * Notebook isolation on the real control plane: hubmesh reads the AuthorizationPolicies, the pods' service
 * accounts and Istio's metrics (Debian's Prometheus scraping a test exporter), evaluates who may reach each
 * notebook, the hub and itself, and applies "Isolate notebooks" and exceptions through the change pipeline.
 */
describe('notebook isolation', () => {
  const { adminCore, adminCustom } = clients();
  const prefix = `iso${uniqueName('x').slice(2)}`;
  const alice = uniqueName('alice');
  const bob = uniqueName('bob');
  const pods = {
    gateway: meshPod(uniqueName('istio-ingressgateway'), ROOT, { istio: 'ingressgateway' }, GATEWAY_SA),
    hub: meshPod(uniqueName('hub'), HUB_NAMESPACE, { component: 'hub' }, 'hub'),
    hubmesh: meshPod(uniqueName('hubmesh'), HUB_NAMESPACE, { 'app.kubernetes.io/name': 'hubmesh' }, 'hubmesh'),
    alice: notebookPod(`jupyter-${alice}`, alice),
    bob: notebookPod(`jupyter-${bob}`, bob),
  };
  let exporter: IstioExporter;
  let prometheus: PrometheusServer;
  let hm: HubmeshProcess;
  let session: { jar: string; csrf: string };
  const api = (p: string, init: RequestInit = {}) => fetch(`${hm.url}${p}`, { ...init, headers: { cookie: session.jar, 'x-csrf-token': session.csrf, ...(init.headers as Record<string, string>) } });
  const created: Array<{ namespace: string; name: string }> = [];

  async function putPolicy(namespace: string, name: string, spec: AuthorizationPolicy['spec']) {
    const body = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name, namespace, labels: { 'isolation-test': prefix } }, spec };
    await adminCustom.createNamespacedCustomObject({ ...policies(namespace), body });
    created.push({ namespace, name });
  }
  async function clearPolicies() {
    for (const { namespace, name } of created.splice(0)) await adminCustom.deleteNamespacedCustomObject({ ...policies(namespace), name }).catch(() => undefined);
  }
  /** the isolation answer once hubmesh's caches hold exactly these of the test's policies, and the gateway's pod */
  async function answerWith(names: string[]): Promise<Answer> {
    const want = [...names].sort().join(',');
    return eventually(async () => {
      const body = (await (await api('/api/v1/mesh/isolation?window=1h')).json()) as Answer;
      const seen = (body.policies ?? []).map((p) => p.name).filter((n) => n.startsWith(`${prefix}-t-`));
      return seen.sort().join(',') === want && body.identities?.gateway?.length ? body : undefined;
    }, `the isolation answer to hold ${names.join(', ') || 'no test policy'}`);
  }
  const access = (answer: Answer, target: string, pod: string, probe: string) => {
    const group = answer.groups.find((g) => g.target === target && g.pods.includes(pod));
    const found = group?.access.find((a) => a.probe === probe);
    if (!found) throw new Error(`no access of ${probe} to ${target} ${pod} in ${JSON.stringify(answer.groups.map((g) => [g.target, g.pods]))}`);
    return found;
  };

  beforeAll(async () => {
    for (const [namespace, sa] of [[ROOT, GATEWAY_SA], [HUB_NAMESPACE, 'hub'], [HUB_NAMESPACE, 'hubmesh'], [HUB_NAMESPACE, 'default']] as const) {
      await adminCore.createNamespacedServiceAccount({ namespace, body: { metadata: { name: sa } } }).catch(() => undefined);
    }
    for (const pod of Object.values(pods)) await adminCore.createNamespacedPod({ namespace: pod.metadata!.namespace ?? HUB_NAMESPACE, body: pod });
    exporter = await startIstioExporter();
    // bob's notebook calls alice's; a monitoring agent scrapes alice's notebook directly
    exporter.requests({ source: { namespace: HUB_NAMESPACE, workload: `jupyter-${bob}`, serviceAccount: 'default' }, destination: { namespace: HUB_NAMESPACE, service: `jupyter-${alice}` }, policy: 'mutual_tls' }, 2);
    exporter.requests({ source: { namespace: 'monitoring', workload: 'metrics-agent' }, destination: { namespace: HUB_NAMESPACE, service: `jupyter-${alice}` }, policy: 'mutual_tls' }, 1);
    exporter.requests({ source: { namespace: ROOT, workload: 'istio-ingressgateway', serviceAccount: GATEWAY_SA }, destination: { namespace: HUB_NAMESPACE, service: `jupyter-${alice}` }, policy: 'mutual_tls' }, 5);
    prometheus = await startPrometheus({ targets: [exporter.target] });
    hm = await startHubmesh({ kubeconfig: inject('appKubeconfig'), prefix, env: { HUBMESH_ADMIN_TOKEN: adminToken, HUBMESH_SESSION_SECRET: sessionSecret, HUBMESH_PROMETHEUS_URL: prometheus.url } });
    const r = await fetch(`${hm.url}/api/v1/session`, { method: 'POST', body: JSON.stringify({ token: adminToken }) });
    const cookies = r.headers.getSetCookie();
    session = { jar: cookies.map((c) => c.split(';')[0]).join('; '), csrf: cookies.find((c) => c.startsWith('hubmesh_csrf='))!.split(';')[0]!.slice('hubmesh_csrf='.length) };
  });

  afterAll(async () => {
    await clearPolicies();
    await adminCustom.deleteCollectionNamespacedCustomObject({ ...policies(HUB_NAMESPACE), labelSelector: `hubmesh.io/prefix=${prefix}` }).catch(() => undefined);
    for (const pod of Object.values(pods)) await adminCore.deleteNamespacedPod({ namespace: pod.metadata!.namespace ?? HUB_NAMESPACE, name: pod.metadata!.name!, gracePeriodSeconds: 0 }).catch(() => undefined);
    await hm?.stop();
    await prometheus?.stop();
    await exporter?.close();
  });

  const notebookTo = (name: string) => `jupyter-${name}`;

  it('reads the identities from the pods: the gateway, the hub, hubmesh and the notebooks', async () => {
    const answer = await answerWith([]);
    expect(answer.identities.gateway).toEqual([expect.objectContaining({ principal: GATEWAY, pods: [pods.gateway.metadata!.name] })]);
    expect(answer.identities.hub).toEqual(expect.arrayContaining([expect.objectContaining({ principal: HUB, pods: expect.arrayContaining([pods.hub.metadata!.name]) })]));
    expect(answer.identities.notebooks).toEqual(expect.arrayContaining([expect.objectContaining({ principal: NOTEBOOK })]));
  });

  // case → policies → (target, pod, probe) → expected; the note's evaluation matrix is printed from here
  const matrix: Array<{ case: string; setup: () => Promise<string[]>; checks: Array<{ target: string; pod: () => string; probe: string; allowed: boolean; decidedBy: string; policy?: string }> }> = [
    {
      case: 'no policy',
      setup: async () => [],
      checks: [
        { target: 'notebook', pod: () => notebookTo(alice), probe: `notebook:${NOTEBOOK}`, allowed: true, decidedBy: 'no-allow-policies' },
        { target: 'notebook', pod: () => notebookTo(alice), probe: 'other-namespace', allowed: true, decidedBy: 'no-allow-policies' },
      ],
    },
    {
      case: 'ALLOW gateway and hub into notebooks',
      setup: async () => {
        await putPolicy(HUB_NAMESPACE, `${prefix}-t-allow`, { selector: { matchLabels: { component: 'singleuser-server' } }, rules: [{ from: [{ source: { principals: [GATEWAY, HUB] } }] }] });
        return [`${prefix}-t-allow`];
      },
      checks: [
        { target: 'notebook', pod: () => notebookTo(alice), probe: `gateway:${GATEWAY}`, allowed: true, decidedBy: 'allow-policy', policy: `${prefix}-t-allow` },
        { target: 'notebook', pod: () => notebookTo(alice), probe: `notebook:${NOTEBOOK}`, allowed: false, decidedBy: 'no-allow-match', policy: `${prefix}-t-allow` },
        { target: 'notebook', pod: () => notebookTo(alice), probe: 'plaintext', allowed: false, decidedBy: 'no-allow-match' },
        { target: 'hub', pod: () => pods.hub.metadata!.name!, probe: 'other-namespace', allowed: true, decidedBy: 'no-allow-policies' },
      ],
    },
    {
      case: 'DENY notebooks from the hub namespace on /user/*',
      setup: async () => {
        await putPolicy(HUB_NAMESPACE, `${prefix}-t-deny`, { action: 'DENY', rules: [{ from: [{ source: { namespaces: [HUB_NAMESPACE] } }], to: [{ operation: { paths: ['/user/*'] } }] }] });
        return [`${prefix}-t-deny`];
      },
      checks: [
        { target: 'notebook', pod: () => notebookTo(alice), probe: `notebook:${NOTEBOOK}`, allowed: false, decidedBy: 'deny-policy', policy: `${prefix}-t-deny` },
        { target: 'notebook', pod: () => notebookTo(alice), probe: `gateway:${GATEWAY}`, allowed: true, decidedBy: 'no-allow-policies' },
        // the hub's paths are not /user/*: the same DENY leaves it alone
        { target: 'hub', pod: () => pods.hub.metadata!.name!, probe: `notebook:${NOTEBOOK}`, allowed: true, decidedBy: 'no-allow-policies' },
      ],
    },
    {
      case: 'CUSTOM before everything, not deciding',
      setup: async () => {
        await putPolicy(HUB_NAMESPACE, `${prefix}-t-custom`, { action: 'CUSTOM', provider: { name: 'oauth2-proxy' }, selector: { matchLabels: { component: 'singleuser-server' } }, rules: [{}] });
        return [`${prefix}-t-custom`];
      },
      checks: [{ target: 'notebook', pod: () => notebookTo(alice), probe: 'other-namespace', allowed: true, decidedBy: 'no-allow-policies' }],
    },
    {
      case: 'root namespace DENY with a selector, notPrincipals',
      setup: async () => {
        await putPolicy(ROOT, `${prefix}-t-root`, { action: 'DENY', selector: { matchLabels: { component: 'singleuser-server' } }, rules: [{ from: [{ source: { notPrincipals: [GATEWAY, HUB] } }] }] });
        return [`${prefix}-t-root`];
      },
      checks: [
        { target: 'notebook', pod: () => notebookTo(bob), probe: 'same-namespace', allowed: false, decidedBy: 'deny-policy', policy: `${prefix}-t-root` },
        { target: 'notebook', pod: () => notebookTo(bob), probe: `hub:${HUB}`, allowed: true, decidedBy: 'no-allow-policies' },
        { target: 'hub', pod: () => pods.hub.metadata!.name!, probe: 'same-namespace', allowed: true, decidedBy: 'no-allow-policies' },
      ],
    },
    {
      case: 'a selector that matches no notebook',
      setup: async () => {
        await putPolicy(HUB_NAMESPACE, `${prefix}-t-elsewhere`, { selector: { matchLabels: { component: 'something-else' } }, rules: [{ from: [{ source: { principals: [HUB] } }] }] });
        return [`${prefix}-t-elsewhere`];
      },
      checks: [{ target: 'notebook', pod: () => notebookTo(alice), probe: 'other-namespace', allowed: true, decidedBy: 'no-allow-policies' }],
    },
    {
      case: 'ALLOW on another port only',
      setup: async () => {
        await putPolicy(HUB_NAMESPACE, `${prefix}-t-port`, { selector: { matchLabels: { component: 'singleuser-server' } }, rules: [{ to: [{ operation: { ports: ['9999'] } }] }] });
        return [`${prefix}-t-port`];
      },
      checks: [{ target: 'notebook', pod: () => notebookTo(alice), probe: `gateway:${GATEWAY}`, allowed: false, decidedBy: 'no-allow-match', policy: `${prefix}-t-port` }],
    },
    {
      case: 'ALLOW the hub only on /user/* paths',
      setup: async () => {
        await putPolicy(HUB_NAMESPACE, `${prefix}-t-paths`, { selector: { matchLabels: { component: 'hub' } }, rules: [{ to: [{ operation: { paths: ['/user/*'] } }] }] });
        return [`${prefix}-t-paths`];
      },
      checks: [{ target: 'hub', pod: () => pods.hub.metadata!.name!, probe: `gateway:${GATEWAY}`, allowed: false, decidedBy: 'no-allow-match', policy: `${prefix}-t-paths` }],
    },
    {
      case: 'rules: [{}] allows all',
      setup: async () => {
        await putPolicy(HUB_NAMESPACE, `${prefix}-t-all`, { selector: { matchLabels: { component: 'singleuser-server' } }, rules: [{}] });
        return [`${prefix}-t-all`];
      },
      checks: [{ target: 'notebook', pod: () => notebookTo(alice), probe: 'plaintext', allowed: true, decidedBy: 'allow-policy', policy: `${prefix}-t-all` }],
    },
    {
      case: 'ALLOW without rules denies all',
      setup: async () => {
        await putPolicy(HUB_NAMESPACE, `${prefix}-t-none`, { selector: { matchLabels: { component: 'singleuser-server' } } });
        return [`${prefix}-t-none`];
      },
      checks: [{ target: 'notebook', pod: () => notebookTo(alice), probe: `hub:${HUB}`, allowed: false, decidedBy: 'no-allow-match', policy: `${prefix}-t-none` }],
    },
  ];

  const rows: string[] = [];
  afterAll(() => {
    if (rows.length) console.log(`isolation evaluation matrix (case | target | source | expected | got):\n${rows.join('\n')}`);
  });

  it.each(matrix.map((m) => [m.case, m] as const))('evaluates %s as Istio does', async (_name, m) => {
    await clearPolicies();
    const names = await m.setup();
    const answer = await answerWith(names);
    for (const check of m.checks) {
      const got = access(answer, check.target, check.pod(), check.probe);
      const expected = `${check.allowed ? 'allowed' : 'denied'} (${check.decidedBy}${check.policy ? ` ${check.policy}` : ''})`;
      const gotText = `${got.allowed === true ? 'allowed' : got.allowed === false ? 'denied' : 'unknown'} (${got.decidedBy}${check.policy ? ` ${got.policies.map((p) => p.name).join(',')}` : ''})`;
      rows.push(`${m.case} | ${check.target} | ${check.probe.replace(/:.*/, '')} | ${expected} | ${gotText}`);
      expect(gotText, `${m.case}: ${check.probe} → ${check.target}`).toBe(expected);
      if (m.case === 'CUSTOM before everything, not deciding') expect(got.custom.map((p) => p.name)).toEqual([`${prefix}-t-custom`]);
    }
  });

  it('fails the verdict on notebook-to-notebook configuration and traffic, naming both users', async () => {
    await clearPolicies();
    const answer = await eventually(async () => {
      const body = await answerWith([]);
      return body.verdict.reasons.some((r) => r.code === 'notebook-traffic') ? body : undefined;
    }, 'the notebook-to-notebook flow in the verdict');
    expect(answer.verdict.isolated).toBe(false);
    expect(answer.verdict.reasons.map((r) => r.code)).toEqual(expect.arrayContaining(['notebook-to-notebook', 'unintended-source', 'notebook-traffic']));
    const flow = answer.verdict.reasons.find((r) => r.code === 'notebook-traffic')!;
    expect(flow.message).toMatch(new RegExp(`^${bob}'s notebook \\(jupyter-${bob}\\) sent \\d+ requests to ${alice}'s notebook \\(jupyter-${alice}\\) in the last 1h$`));
  });

  it('plans "Isolate notebooks" with previews, dry runs, what it would deny and the real sources it would block, takes over only with confirmation, and audits', async () => {
    // someone else's policy where hubmesh's hub policy goes
    const hubPolicy = `${prefix}-isolate-hub`;
    // by name: it carries none of hubmesh's labels until hubmesh takes it over
    created.push({ namespace: HUB_NAMESPACE, name: hubPolicy });
    await adminCustom.createNamespacedCustomObject({
      ...policies(HUB_NAMESPACE),
      body: { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: hubPolicy, namespace: HUB_NAMESPACE }, spec: { selector: { matchLabels: { component: 'hub' } }, rules: [{}] } },
    });
    const plan = await eventually(async () => {
      const body = await (await api('/api/v1/mesh/isolation/isolate?window=1h')).json();
      return body.blockedSources?.length ? body : undefined;
    }, 'a plan that has seen the traffic');
    expect(plan.plans.map((p: { object: { name: string } }) => p.object.name)).toEqual([`${prefix}-isolate-notebooks`, hubPolicy, `${prefix}-isolate-hubmesh`]);
    expect(plan.plans.every((p: { dryRun: { accepted: boolean } }) => p.dryRun.accepted)).toBe(true);
    expect(plan.plans[0].preview).toContain(`- ${GATEWAY}`);
    expect(plan.plans[1]).toMatchObject({ needsConfirmation: true, ownership: { verdict: 'takeover' } });
    expect(plan.needsConfirmation).toBe(true);
    expect(plan.wouldDeny.map((d: { message: string }) => d.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^a notebook \(jupyterhub\/default\) could no longer reach the notebooks of /), expect.stringMatching(/^an identity of another namespace could no longer reach the hub$/)]),
    );
    const blocked = plan.blockedSources.map((b: { flow: { source: { namespace: string; workload: string }; destination: { workload: string } } }) => `${b.flow.source.namespace}/${b.flow.source.workload} → ${b.flow.destination.workload}`);
    expect(blocked).toEqual(expect.arrayContaining([`monitoring/metrics-agent → jupyter-${alice}`, `${HUB_NAMESPACE}/jupyter-${bob} → jupyter-${alice}`]));
    expect(blocked).not.toContain(`${ROOT}/istio-ingressgateway → jupyter-${alice}`);
    // nothing written by the plan
    const listed = (await adminCustom.listNamespacedCustomObject({ ...policies(HUB_NAMESPACE), labelSelector: `hubmesh.io/prefix=${prefix}` })) as { items: unknown[] };
    expect(listed.items).toEqual([]);

    const refused = await api('/api/v1/mesh/isolation/isolate', { method: 'POST', body: '{}' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: 'takeover-required' });
    // refused before anything was written: not even the two policies that needed no confirmation
    expect(((await adminCustom.listNamespacedCustomObject({ ...policies(HUB_NAMESPACE), labelSelector: `hubmesh.io/prefix=${prefix}` })) as { items: unknown[] }).items).toEqual([]);
    expect((await api('/api/v1/mesh/isolation/isolate', { method: 'POST', body: JSON.stringify({ confirmTakeover: 'yes' }) })).status).toBe(400);
    const applied = await api('/api/v1/mesh/isolation/isolate', { method: 'POST', body: JSON.stringify({ confirmTakeover: true }) });
    expect(applied.status, await applied.clone().text()).toBe(200);
    const { results } = await applied.json();
    expect(results.map((r: { audit: { recorded: boolean } }) => r.audit.recorded)).toEqual([true, true, true]);
    const audit = await (await api('/api/v1/audit')).json();
    const mine = audit.items.filter((e: { object: { name: string } }) => e.object.name.startsWith(`${prefix}-isolate-`));
    expect(mine.map((e: { result: string; object: { name: string } }) => `${e.object.name} ${e.result}`).sort()).toEqual(
      [`${prefix}-isolate-hub TakeoverRefused`, `${prefix}-isolate-hub TakenOverByHubmesh`, `${prefix}-isolate-hubmesh AppliedByHubmesh`, `${prefix}-isolate-notebooks AppliedByHubmesh`].sort(),
    );

    const isolated = await eventually(async () => {
      const body = (await (await api('/api/v1/mesh/isolation?window=1h')).json()) as Answer;
      return body.policies.filter((p) => p.name.startsWith(`${prefix}-isolate-`)).length === 3 && body.verdict.checks.configuration === true ? body : undefined;
    }, 'the configuration check to pass after isolating');
    expect(access(isolated, 'notebook', notebookTo(alice), `notebook:${NOTEBOOK}`)).toMatchObject({ allowed: false, decidedBy: 'no-allow-match' });
    expect(access(isolated, 'hubmesh-proxy-api', pods.hubmesh.metadata!.name!, `hub:${HUB}`)).toMatchObject({ allowed: true, decidedBy: 'allow-policy' });
    expect(access(isolated, 'hubmesh-proxy-api', pods.hubmesh.metadata!.name!, `gateway:${GATEWAY}`)).toMatchObject({ allowed: false });
    // configuration now forbids it, but the last hour still shows bob's notebook calling alice's
    expect(isolated.verdict.isolated).toBe(false);
    const codes = isolated.verdict.reasons.map((r) => r.code);
    expect(codes).toContain('notebook-traffic');
    expect(codes).not.toContain('notebook-to-notebook');
    expect(codes).not.toContain('unintended-source');
  });

  it('adds a named exception for one user through the pipeline and removes it again', async () => {
    const bad = await api('/api/v1/mesh/isolation/exceptions/grader', { method: 'PUT', body: JSON.stringify({ source: { namespace: 'Courses', serviceAccount: 'nbgrader' }, target: 'notebooks', reason: 'grading' }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'source.namespace' });
    expect((await api('/api/v1/mesh/isolation/exceptions/Not_A_Name', { method: 'PUT', body: '{}' })).status).toBe(404);
    const body = { source: { namespace: 'courses', serviceAccount: 'nbgrader' }, target: 'notebooks', user: alice, reason: 'the course grades notebooks' };
    const preview = await (await api('/api/v1/mesh/isolation/exceptions/grader', { method: 'PUT', body: JSON.stringify(body) })).json();
    expect(preview).toMatchObject({ dryRun: true, plan: { dryRun: { accepted: true }, object: { name: `${prefix}-allow-grader` } } });
    expect(preview.preview).toContain(`hub.jupyter.org/username: ${alice}`);
    const added = await api('/api/v1/mesh/isolation/exceptions/grader', { method: 'PUT', body: JSON.stringify({ ...body, dryRun: false }) });
    expect(added.status, await added.clone().text()).toBe(200);
    const grader = 'exception:grader';
    const answer = await eventually(async () => {
      const a = (await (await api('/api/v1/mesh/isolation?window=1h')).json()) as Answer;
      return a.groups.some((g) => g.access.some((x) => x.probe === grader)) ? a : undefined;
    }, 'the exception in the isolation answer');
    expect(access(answer, 'notebook', notebookTo(alice), grader)).toMatchObject({ intended: true, allowed: true, decidedBy: 'allow-policy' });
    expect(access(answer, 'notebook', notebookTo(bob), grader)).toMatchObject({ intended: false, allowed: false });

    const removed = await api('/api/v1/mesh/isolation/exceptions/grader', { method: 'DELETE' });
    expect(removed.status, await removed.clone().text()).toBe(200);
    expect((await removed.json()).audit).toMatchObject({ recorded: true });
    expect((await api('/api/v1/mesh/isolation/exceptions/grader', { method: 'DELETE' })).status).toBe(404);
    const trail = (await (await api('/api/v1/audit')).json()).items.filter((e: { object: { name: string } }) => e.object.name === `${prefix}-allow-grader`);
    expect(trail.map((e: { action: string; result: string }) => `${e.action} ${e.result}`)).toEqual(['RemoveAuthorizationPolicy RemovedByHubmesh', 'EnsureAuthorizationPolicy AppliedByHubmesh']);
  });
});
