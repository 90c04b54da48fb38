import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { clusterBackend } from '@/lib/kube/cluster-backend';
import { connect } from '@/lib/kube/connection';
import { isNotFound } from '@/lib/kube/errors';
import { eventKind, type KubeEvent } from '@/lib/kube/events';
import { gatewayKind, type Gateway } from '@/lib/kube/gateways';
import { INJECTION_LABEL, namespaceKind, REVISION_LABEL, type Namespace } from '@/lib/kube/namespaces';
import { peerAuthenticationKind, type PeerAuthentication } from '@/lib/kube/peerauthentications';
import { KubeRest } from '@/lib/kube/rest';
import type { KindDescriptor, KubeObject, ResourceBackend } from '@/lib/kube/types';
import { isApiError, type ApiError } from '@/lib/api-error';
import { changePipeline, eventRecorder } from '@/lib/changes/pipeline';
import { createMeshActions, type MeshAction } from '@/lib/mesh/actions';
import { labelOwners, type ManagedFieldsEntry } from '@/lib/mesh/desired';
import { HUB_NAMESPACE, kubeConfigFrom, uniqueName } from './helpers';

const connection = connect(parseConfig({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
const instance = uniqueName('mesh-actions-test');
const changes = changePipeline({
  events: eventRecorder({ events: connection.backend<KubeEvent>(eventKind), namespace: HUB_NAMESPACE, instance }),
  log: pino({ level: 'silent' }),
});
const actions = createMeshActions({ backend: connection.backend, eventsNamespace: HUB_NAMESPACE, changes });

// the admin sets the scene as other tools would, under their own field manager names
const adminRest = new KubeRest(kubeConfigFrom(inject('adminKubeconfig')));
const asAdmin = <T extends KubeObject>(kind: KindDescriptor, fieldManager = 'platform-team') => clusterBackend<T>(adminRest, kind, fieldManager);
const adminGateways = asAdmin<Gateway>(gatewayKind);
const adminPeerAuthentications = asAdmin<PeerAuthentication>(peerAuthenticationKind);
const adminEvents = asAdmin<KubeEvent>(eventKind);
// the manager that labelled the hub namespace when the test cluster was set up (scripts/cluster/up.sh)
const bootstrapNamespaces = asAdmin<Namespace>(namespaceKind, 'hubmesh-test');

const managers = (object: KubeObject) => ((object.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? []).map((e) => `${e.manager}/${e.operation}`);

async function readOrUndefined<T extends KubeObject>(backend: ResourceBackend<T>, namespace: string, name: string): Promise<T | undefined> {
  try {
    return await backend.get(namespace, name);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (isApiError(error)) return error;
    throw error;
  }
  throw new Error('expected the action to fail');
}

async function auditFor(name: string) {
  return (await actions.auditTrail()).filter((entry) => entry.object.name === name);
}

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  // the Events this run recorded (the app identity may create Events, not delete them)
  const { items } = await adminEvents.list(HUB_NAMESPACE, 'app.kubernetes.io/managed-by=hubmesh');
  for (const event of items.filter((e) => e.reportingInstance === instance)) await adminEvents.delete(HUB_NAMESPACE, event.metadata.name).catch(() => undefined);
});

function gatewayAction(name: string, extra: Partial<Extract<MeshAction, { target: 'gateway' }>['gateway']> = {}): MeshAction {
  cleanups.push(() => adminGateways.delete(HUB_NAMESPACE, name));
  return { target: 'gateway', gateway: { namespace: HUB_NAMESPACE, name, hosts: ['hub.example.org'], ...extra } };
}

describe('mesh actions on the real apiserver, as the app identity', () => {
  it('plans a Gateway without writing it, applies it with server-side apply as hubmesh, and re-applying changes nothing', async () => {
    const name = uniqueName('gw-ensure');
    const action = gatewayAction(name, { https: { credentialName: 'hub-tls' } });

    const plan = await actions.plan(action);
    expect(plan.ownership).toEqual({ verdict: 'create' });
    expect(plan.current).toBeUndefined();
    expect(plan.needsConfirmation).toBe(false);
    expect(plan.conflict).toBeUndefined();
    expect(plan.preview).toContain('credentialName: hub-tls');
    expect(plan.dryRun.accepted).toBe(true);
    const added = plan.diff.flatMap((h) => h.lines).filter((l) => l.op === 'add').map((l) => l.text.trim());
    expect(added).toContain(`name: ${name}`);
    expect(added).toContain('httpsRedirect: true');
    expect(plan.diff.flatMap((h) => h.lines).every((l) => l.op === 'add')).toBe(true);
    expect(await readOrUndefined(adminGateways, HUB_NAMESPACE, name), 'a plan writes nothing').toBeUndefined();

    const applied = await actions.apply(action, { actor: 'alice' });
    expect(applied.audit.recorded).toBe(true);
    expect(applied.diff).toEqual(plan.diff);
    const stored = await adminGateways.get(HUB_NAMESPACE, name);
    expect(stored.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'hubmesh' });
    expect(stored.spec).toEqual((plan.desired as Gateway).spec);
    expect(managers(stored)).toContain('hubmesh/Apply');

    const again = await actions.plan(action);
    expect(again.ownership).toEqual({ verdict: 'update' });
    expect(again.diff).toEqual([]);
    const reapplied = await actions.apply(action, { actor: 'alice' });
    expect(reapplied.diff).toEqual([]);
    expect((await adminGateways.get(HUB_NAMESPACE, name)).metadata.resourceVersion).toBe(stored.metadata.resourceVersion);

    const trail = await auditFor(name);
    expect(trail.map((e) => [e.who, e.action, e.result, e.type])).toEqual([
      ['alice', 'EnsureGateway', 'AppliedByHubmesh', 'Normal'],
      ['alice', 'EnsureGateway', 'AppliedByHubmesh', 'Normal'],
    ]);
    expect(trail[0]!.object).toEqual({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', namespace: HUB_NAMESPACE, name, uid: stored.metadata.uid });
    expect(trail[0]!.message).toMatch(new RegExp(`^alice: ensure Gateway ${HUB_NAMESPACE}/${name} for hub\\.example\\.org .*: applied \\(no change\\) with server-side apply as hubmesh$`));
    expect(trail[1]!.message).toContain(': created with server-side apply as hubmesh');
    expect(Date.parse(trail[0]!.when)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('ensures the namespace-wide STRICT PeerAuthentication', async () => {
    cleanups.push(() => adminPeerAuthentications.delete(HUB_NAMESPACE, 'default'));
    const action: MeshAction = { target: 'peer-authentication', namespace: HUB_NAMESPACE };
    const plan = await actions.plan(action);
    expect(plan.ownership).toEqual({ verdict: 'create' });
    expect(plan.dryRun.accepted && (plan.dryRun.result as PeerAuthentication).spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(await readOrUndefined(adminPeerAuthentications, HUB_NAMESPACE, 'default')).toBeUndefined();

    await actions.apply(action, { actor: 'bob' });
    const stored = await adminPeerAuthentications.get(HUB_NAMESPACE, 'default');
    expect(stored.spec).toEqual({ mtls: { mode: 'STRICT' } });
    expect(stored.spec?.selector).toBeUndefined();
    expect(managers(stored)).toContain('hubmesh/Apply');
    expect((await actions.plan(action)).diff).toEqual([]);
    expect((await auditFor('default')).map((e) => [e.who, e.action, e.result])).toContainEqual(['bob', 'EnsurePeerAuthentication', 'AppliedByHubmesh']);
  });

  it('rejects an invalid object at the dry run with the apiserver’s message, and writes nothing', async () => {
    const name = uniqueName('gw-invalid');
    const action = gatewayAction(name, { httpPort: 4294967296 });

    const plan = await actions.plan(action);
    expect(plan.dryRun).toMatchObject({ accepted: false, status: 422, reason: 'Invalid' });
    const message = !plan.dryRun.accepted ? plan.dryRun.message : '';
    expect(message).toContain(`Gateway.networking.istio.io "${name}" is invalid`);
    expect(message).toContain('spec.servers[0].port.number');
    expect(message).toContain('less than or equal to 4294967295');
    expect(plan.diff).toEqual([]);

    const error = await failure(actions.apply(action, { actor: 'carol' }));
    expect(error).toMatchObject({ status: 422, code: 'rejected', details: { reason: 'Invalid', stage: 'dry-run' }, message });
    expect(await readOrUndefined(adminGateways, HUB_NAMESPACE, name), 'nothing was written').toBeUndefined();
    expect((await auditFor(name)).map((e) => [e.who, e.result, e.type, e.message])).toEqual([['carol', 'DryRunRejected', 'Warning', expect.stringContaining(message)]]);
  });

  it('refuses a Gateway another manager created, shows the conflict, and takes it over only when confirmed', async () => {
    const name = uniqueName('gw-foreign');
    const action = gatewayAction(name);
    const foreign = await adminGateways.create(HUB_NAMESPACE, {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name, namespace: HUB_NAMESPACE },
      spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 8080, name: 'http-alt', protocol: 'HTTP' }, hosts: ['legacy.example.org'] }] },
    });

    const plan = await actions.plan(action);
    expect(plan.ownership).toMatchObject({ verdict: 'takeover', managers: ['platform-team'] });
    expect(plan.needsConfirmation).toBe(true);
    expect(plan.conflict).toMatch(/^Apply failed with 1 conflict: conflict with "platform-team".*: \.spec\.servers$/);
    expect(plan.dryRun.accepted).toBe(true);
    const changed = plan.diff.flatMap((h) => h.lines).filter((l) => l.op !== 'context').map((l) => `${l.op} ${l.text.trim()}`);
    expect(changed).toEqual(expect.arrayContaining(['add app.kubernetes.io/managed-by: hubmesh', 'remove - legacy.example.org', 'add - hub.example.org', 'remove number: 8080', 'add number: 80']));

    const refused = await failure(actions.apply(action, { actor: 'dave' }));
    expect(refused).toMatchObject({ status: 409, code: 'takeover-required', details: { reason: 'TakeoverRequired', stage: 'ownership' } });
    expect(refused.message).toContain(`Gateway ${HUB_NAMESPACE}/${name} exists and is not managed by hubmesh`);
    expect((await adminGateways.get(HUB_NAMESPACE, name)).metadata.resourceVersion, 'untouched').toBe(foreign.metadata.resourceVersion);

    const taken = await actions.apply(action, { actor: 'dave', confirmTakeover: true });
    expect(taken.ownership.verdict).toBe('takeover');
    const stored = await adminGateways.get(HUB_NAMESPACE, name);
    expect(stored.metadata.uid).toBe(foreign.metadata.uid);
    expect(stored.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'hubmesh' });
    expect(stored.spec?.servers).toEqual([{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['hub.example.org'] }]);
    expect(managers(stored)).toContain('hubmesh/Apply');
    expect((await actions.plan(action)).ownership).toEqual({ verdict: 'update' });

    expect((await auditFor(name)).map((e) => [e.who, e.result, e.type])).toEqual([
      ['dave', 'TakenOverByHubmesh', 'Normal'],
      ['dave', 'TakeoverRefused', 'Warning'],
    ]);
  });

  it('surfaces the apiserver’s conflict when another manager changed a field of hubmesh’s Gateway', async () => {
    const name = uniqueName('gw-edited');
    const action = gatewayAction(name);
    await actions.apply(action, { actor: 'erin' });
    await adminGateways.patch(HUB_NAMESPACE, name, { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name }, spec: { selector: { istio: 'hub-ingress' } } }, { type: 'apply', force: true });

    const plan = await actions.plan(action);
    expect(plan.ownership).toEqual({ verdict: 'update' });
    expect(plan.needsConfirmation).toBe(true);
    expect(plan.conflict).toContain('conflict with "platform-team"');
    expect(plan.conflict).toContain('.spec.selector.istio');

    const conflict = await failure(actions.apply(action, { actor: 'erin' }));
    expect(conflict).toMatchObject({ status: 409, code: 'conflict', details: { reason: 'Conflict', stage: 'dry-run' }, message: plan.conflict });
    expect((await adminGateways.get(HUB_NAMESPACE, name)).spec?.selector).toEqual({ istio: 'hub-ingress' });

    await actions.apply(action, { actor: 'erin', confirmTakeover: true });
    expect((await adminGateways.get(HUB_NAMESPACE, name)).spec?.selector).toEqual({ istio: 'ingressgateway' });
    expect((await auditFor(name)).map((e) => e.result)).toEqual(['AppliedByHubmesh', 'ApplyConflict', 'AppliedByHubmesh']);
  });

  describe('the hub namespace’s injection label', () => {
    const namespaces = connection.backend<Namespace>(namespaceKind);
    const injectionLabels = (ns: Namespace) => ({ [INJECTION_LABEL]: ns.metadata.labels?.[INJECTION_LABEL], [REVISION_LABEL]: ns.metadata.labels?.[REVISION_LABEL] });
    let original: ReturnType<typeof injectionLabels> | undefined;

    // Give the labels back to the bootstrap's manager, then let hubmesh release its own: server-side apply
    // removes a label hubmesh alone owned (istio.io/rev) and keeps one it shared.
    async function restore() {
      if (!original) return;
      const labels = Object.fromEntries(Object.entries(original).filter(([, v]) => v !== undefined)) as Record<string, string>;
      await bootstrapNamespaces.patch('', HUB_NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: HUB_NAMESPACE, labels } }, { type: 'apply', force: true });
      await namespaces.patch('', HUB_NAMESPACE, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: HUB_NAMESPACE } }, { type: 'apply' });
    }
    afterAll(restore);

    it('labels istio-injection=enabled alongside the manager that already set it', async () => {
      const before = await namespaces.get('', HUB_NAMESPACE);
      original = injectionLabels(before);
      expect(original, 'the test cluster labels the hub namespace for injection').toEqual({ [INJECTION_LABEL]: 'enabled', [REVISION_LABEL]: undefined });
      const action: MeshAction = { target: 'injection', namespace: HUB_NAMESPACE };

      const plan = await actions.plan(action);
      expect(plan.ownership).toEqual({ verdict: 'update' });
      expect(plan.desired).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: HUB_NAMESPACE, labels: { [INJECTION_LABEL]: 'enabled' } } });
      expect(plan.diff).toEqual([]);

      await actions.apply(action, { actor: 'frank' });
      const after = await namespaces.get('', HUB_NAMESPACE);
      expect(labelOwners(after, INJECTION_LABEL)).toEqual(expect.arrayContaining(['hubmesh-test', 'hubmesh']));
      expect(after.metadata.labels?.['app.kubernetes.io/managed-by'], 'a namespace is never hubmesh’s').toBeUndefined();
      const entry = (await auditFor(HUB_NAMESPACE)).find((e) => e.who === 'frank');
      expect(entry).toMatchObject({ action: 'EnsureInjectionLabel', result: 'AppliedByHubmesh', object: { kind: 'Namespace', name: HUB_NAMESPACE, uid: after.metadata.uid } });
    });

    it('rejects an invalid revision at the dry run and leaves the labels alone', async () => {
      const before = await namespaces.get('', HUB_NAMESPACE);
      const plan = await actions.plan({ target: 'injection', namespace: HUB_NAMESPACE, revision: 'not a label value' });
      expect(plan.dryRun).toMatchObject({ accepted: false, status: 422 });
      expect(!plan.dryRun.accepted && plan.dryRun.message).toContain('metadata.labels: Invalid value: "not a label value"');
      expect((await namespaces.get('', HUB_NAMESPACE)).metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    });

    it('switches to a revision only with a confirmed takeover, removing the istio-injection another manager set', async () => {
      const action: MeshAction = { target: 'injection', namespace: HUB_NAMESPACE, revision: 'canary' };
      const plan = await actions.plan(action);
      expect(plan.ownership).toMatchObject({ verdict: 'takeover', managers: ['hubmesh-test'], removeLabels: [INJECTION_LABEL] });
      expect(plan.needsConfirmation).toBe(true);
      const changed = plan.diff.flatMap((h) => h.lines).filter((l) => l.op !== 'context').map((l) => `${l.op} ${l.text.trim()}`);
      expect(changed).toEqual(['remove istio-injection: enabled', 'add istio.io/rev: canary']);

      const before = await namespaces.get('', HUB_NAMESPACE);
      const refused = await failure(actions.apply(action, { actor: 'grace' }));
      expect(refused).toMatchObject({ status: 409, details: { reason: 'TakeoverRequired' } });
      expect(refused.message).toContain('label istio-injection=enabled is managed by hubmesh-test (hubmesh would remove it)');
      expect((await namespaces.get('', HUB_NAMESPACE)).metadata.resourceVersion).toBe(before.metadata.resourceVersion);

      await actions.apply(action, { actor: 'grace', confirmTakeover: true });
      const after = await namespaces.get('', HUB_NAMESPACE);
      expect(injectionLabels(after)).toEqual({ [INJECTION_LABEL]: undefined, [REVISION_LABEL]: 'canary' });
      expect(labelOwners(after, REVISION_LABEL)).toEqual(['hubmesh']);
      expect((await actions.plan(action)).diff).toEqual([]);

      await restore();
      const restored = await namespaces.get('', HUB_NAMESPACE);
      expect(injectionLabels(restored)).toEqual(original);
      expect(labelOwners(restored, INJECTION_LABEL)).toEqual(['hubmesh-test']);
    });
  });
});
