// The chart installed, upgraded and uninstalled for real, as a z2jh admin would (no --wait), in the test
// cluster where kwok runs the pods: what `helm get manifest` says is in the cluster with the release's
// labels, upgrades change what they should and keep the generated secrets, and uninstalling leaves
// nothing of the release behind anywhere, only the runtime objects the chart documents as kept.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SessionRevocationStore } from '@/lib/auth/revocation-store';
import { parseConfig } from '@/lib/config';
import { configMapKind } from '@/lib/kube/configmaps';
import { connect } from '@/lib/kube/connection';
import { eventKind, recordEvent } from '@/lib/kube/events';
import { gatewayKind } from '@/lib/kube/gateways';
import { leaseKind, microTime, type Lease } from '@/lib/kube/leases';
import { peerAuthenticationKind } from '@/lib/kube/peerauthentications';
import { virtualServiceKind } from '@/lib/kube/virtualservices';
import { AUDIT_REASONS } from '@/lib/mesh/actions';
import { desiredGateway, desiredPeerAuthentication } from '@/lib/mesh/desired';
import { renderRouteVirtualService } from '@/lib/routes/virtualservice';
import { kubectlWith } from './cluster/harness';
import { helmRelease, type KubeObject } from './helm';
import { IMAGE_REF } from './image-harness';
import { eventually, HUB_NAMESPACE, testLog, uniqueName } from './helpers';

type Env = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
type Container = { image: string; env: Env[]; resources: { limits?: Record<string, string> } };
type Deployment = KubeObject & {
  spec: { replicas: number; template: { spec: { containers: Container[] } } };
  status?: { availableReplicas?: number; conditions?: { type: string; status: string }[] };
};
type Pod = KubeObject & { spec: { containers: Container[] }; status: { phase: string } };

// the reference scripts/image.sh tags; kwok "runs" the pods, so the image need not be built for this test
const [IMAGE_REPOSITORY, IMAGE_TAG] = IMAGE_REF.split(':') as [string, string];
const ROOT_NAMESPACE = 'istio-system';
/** What hubmesh creates at runtime, labelled app.kubernetes.io/managed-by=hubmesh, and helm leaves (values.yaml, NOTES.txt, docs/z2jh.md). */
const KEPT_LABELLED_KINDS = ['ConfigMap', 'Event', 'Gateway', 'PeerAuthentication', 'VirtualService'];
/** hubmesh's leader-election Leases, which carry no labels (lib/runtime.ts's leaderWork). */
const leaseNames = (prefix: string) => [`${prefix}-last-activity`, `${prefix}-rate-limits`, `${prefix}-circuit-breakers`, `${prefix}-routes`, `${prefix}-preview-janitor`];

const identity = (o: KubeObject) => `${o.kind} ${o.metadata.namespace ?? '(cluster)'}/${o.metadata.name}`;
const decoded = (data: Record<string, string>) => Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
const envValue = (c: Container, name: string) => c.env.find((e) => e.name === name)?.value;

describe('helm install, upgrade and uninstall of the chart', () => {
  const kubectl = kubectlWith(inject('adminKubeconfig'));
  const release = helmRelease(uniqueName('hm'), HUB_NAMESPACE, inject('adminKubeconfig'));
  const fullname = `${release.name}-hubmesh`;
  const prefix = `hm${release.name.slice(3)}`;
  const proxyToken = `proxy-token-${uniqueName('x')}-0123456789`;
  // the test cluster's only node is kwok's, which has a NoSchedule taint
  const kwokToleration = [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }];
  const installArgs = [
    '--set', `image.repository=${IMAGE_REPOSITORY},image.tag=${IMAGE_TAG},proxyAuthToken.value=${proxyToken},config.prefix=${prefix}`,
    '--set-json', `tolerations=${JSON.stringify(kwokToleration)}`,
  ];
  /** every object any revision rendered, so that uninstall is checked against all of them */
  const everRendered = new Map<string, KubeObject>();
  let generated: Record<string, string>;
  // hubmesh names them jupyterhub-gateway and default; the hub namespace is shared with other suites, so names of their own here
  const gatewayName = `${prefix}-gateway`;
  const peerAuthenticationName = `${prefix}-default`;
  let auditEventName = '';

  const json = <T>(args: string[], input?: string): T => JSON.parse(kubectl([...args, '-o', 'json'], input)) as T;
  /** The objects the manifest names, read back from the apiserver (kubectl fails if one is missing). */
  const live = (objects: KubeObject[]): KubeObject[] => {
    const got = json<KubeObject & { items?: KubeObject[] }>(['get', '-f', '-'], objects.map((o) => JSON.stringify(o)).join('\n'));
    return got.kind === 'List' ? got.items! : [got];
  };
  const manifest = () => {
    const objects = release.manifest();
    for (const o of objects) everRendered.set(identity(o), o);
    return objects;
  };
  const deployment = () => json<Deployment>(['get', '-n', HUB_NAMESPACE, 'deployment', fullname]);
  const pods = () => json<{ items: Pod[] }>(['get', '-n', HUB_NAMESPACE, 'pods', '-l', `app.kubernetes.io/instance=${release.name}`]).items;
  const secretValues = () => decoded(json<{ data: Record<string, string> }>(['get', '-n', HUB_NAMESPACE, 'secret', fullname]).data);
  const pdb = () => kubectl(['get', '-n', HUB_NAMESPACE, 'poddisruptionbudget', fullname, '--ignore-not-found', '-o', 'name']).trim();
  /** Every object of every listable kind (discovered, not assumed) matching the selector: cluster-wide, or in one namespace. */
  const everything = (selector: string, namespace?: string): KubeObject[] => {
    const resources = kubectl(['api-resources', '--verbs=list', ...(namespace ? ['--namespaced=true'] : []), '-o', 'name']).trim().split('\n').join(',');
    return json<{ items: KubeObject[] }>(['get', resources, ...(namespace ? ['-n', namespace] : ['-A']), '-l', selector]).items;
  };
  const rolledOut = () => kubectl(['rollout', 'status', '-n', HUB_NAMESPACE, `deployment/${fullname}`, '--timeout=60s']);

  /** Once the Deployment is rolled out: available, and exactly its replicas run, all with the image given. */
  async function expectRunning(replicas: number) {
    expect(rolledOut()).toContain('successfully rolled out');
    const d = deployment();
    expect(d.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
    expect(d.status?.availableReplicas).toBe(replicas);
    // the old ReplicaSet's pods go once kwok has deleted them
    const running = await eventually(() => {
      const now = pods();
      return now.length === replicas ? now : undefined;
    }, `${replicas} pod(s) of ${fullname}`);
    for (const pod of running) {
      expect(pod.status.phase).toBe('Running');
      expect(pod.spec.containers.map((c) => c.image)).toEqual([`${IMAGE_REPOSITORY}:${IMAGE_TAG}`]);
    }
  }

  // builds helm on first use (minutes)
  beforeAll(() => {
    expect(release.helm(['version', '--short'])).toMatch(/^v3\.22\.0/);
  }, 15 * 60_000);

  afterAll(() => {
    release.helm(['uninstall', release.name, '--ignore-not-found']);
    kubectl(['delete', '-n', HUB_NAMESPACE, 'virtualservices,configmaps', '-l', `app.kubernetes.io/managed-by=hubmesh,hubmesh.io/prefix=${prefix}`, '--ignore-not-found', '--wait=false']);
    kubectl(['delete', '-n', HUB_NAMESPACE, 'leases', ...leaseNames(prefix), '--ignore-not-found', '--wait=false']);
    kubectl(['delete', '-n', HUB_NAMESPACE, `gateways.networking.istio.io/${gatewayName}`, `peerauthentications.security.istio.io/${peerAuthenticationName}`, '--ignore-not-found', '--wait=false']);
    if (auditEventName) kubectl(['delete', '-n', HUB_NAMESPACE, `events.events.k8s.io/${auditEventName}`, '--ignore-not-found', '--wait=false']);
  });

  it('install: every object of the manifest is in the cluster with the release labels; the pods run the image given; the console secrets are generated', async () => {
    expect(release.install(installArgs)).toMatch(/STATUS: deployed/);
    const objects = manifest();
    expect(objects.map(identity).sort()).toEqual(
      [
        `ClusterRole (cluster)/${fullname}-${HUB_NAMESPACE}`,
        `ClusterRoleBinding (cluster)/${fullname}-${HUB_NAMESPACE}`,
        `Deployment ${HUB_NAMESPACE}/${fullname}`,
        `Role ${HUB_NAMESPACE}/${fullname}`,
        // the route kind's write access, apart: config.routeApi decides it
        `Role ${HUB_NAMESPACE}/${fullname}-routes`,
        `Role ${ROOT_NAMESPACE}/${fullname}-${HUB_NAMESPACE}`,
        // the gateway's pods run in the root namespace here: the rate limits' EnvoyFilter goes there
        `Role ${ROOT_NAMESPACE}/${fullname}-${HUB_NAMESPACE}-gateway-filters`,
        `RoleBinding ${HUB_NAMESPACE}/${fullname}`,
        `RoleBinding ${HUB_NAMESPACE}/${fullname}-routes`,
        `RoleBinding ${ROOT_NAMESPACE}/${fullname}-${HUB_NAMESPACE}`,
        `RoleBinding ${ROOT_NAMESPACE}/${fullname}-${HUB_NAMESPACE}-gateway-filters`,
        `Secret ${HUB_NAMESPACE}/${fullname}`,
        `Service ${HUB_NAMESPACE}/${fullname}`,
        `ServiceAccount ${HUB_NAMESPACE}/${fullname}`,
      ].sort(),
    );
    const stored = live(objects);
    expect(stored.map(identity).sort()).toEqual(objects.map(identity).sort());
    for (const o of stored) {
      expect(o.metadata.labels, identity(o)).toMatchObject({
        'app.kubernetes.io/name': 'hubmesh',
        'app.kubernetes.io/instance': release.name,
        'app.kubernetes.io/managed-by': 'Helm',
        'app.kubernetes.io/version': IMAGE_TAG,
        'helm.sh/chart': 'hubmesh-0.1.0',
      });
      expect(o.metadata.annotations, identity(o)).toMatchObject({ 'meta.helm.sh/release-name': release.name, 'meta.helm.sh/release-namespace': HUB_NAMESPACE });
    }

    const container = deployment().spec.template.spec.containers[0]!;
    expect(container.image).toBe(`${IMAGE_REPOSITORY}:${IMAGE_TAG}`);
    expect(envValue(container, 'HUBMESH_PREFIX')).toBe(prefix);
    expect(container.env.find((e) => e.name === 'CONFIGPROXY_AUTH_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: fullname, key: 'proxy-auth-token' });
    await expectRunning(2);

    generated = secretValues();
    expect(Object.keys(generated).sort()).toEqual(['admin-token', 'proxy-auth-token', 'session-secret']);
    expect(generated['proxy-auth-token']).toBe(proxyToken);
    expect(generated['admin-token']).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(generated['session-secret']).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(generated['admin-token']).not.toBe(generated['session-secret']);
  });

  it('upgrade: changed values reach the cluster (PDB, log level, heap from the memory limit, replicas) and the generated secrets stay', async () => {
    release.upgrade(['--reuse-values', '--set', 'replicaCount=1,podDisruptionBudget.enabled=true,config.logLevel=debug,resources.limits.memory=1Gi']);
    expect(JSON.parse(release.helm(['status', release.name, '-o', 'json'])) as { version: number; info: { status: string } }).toMatchObject({ version: 2, info: { status: 'deployed' } });

    const objects = manifest();
    expect(objects.map((o) => o.kind)).toContain('PodDisruptionBudget');
    const budget = live(objects).find((o) => o.kind === 'PodDisruptionBudget') as KubeObject & { spec: unknown };
    expect(budget.metadata.labels).toMatchObject({ 'app.kubernetes.io/instance': release.name });
    expect(budget.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { 'app.kubernetes.io/name': 'hubmesh', 'app.kubernetes.io/instance': release.name } } });

    const d = deployment();
    expect(d.spec.replicas).toBe(1);
    const container = d.spec.template.spec.containers[0]!;
    expect(envValue(container, 'HUBMESH_LOG_LEVEL')).toBe('debug');
    expect(envValue(container, 'HUBMESH_HEAP_MB')).toBe('512');
    expect(container.resources.limits).toEqual({ memory: '1Gi' });
    expect(container.image).toBe(`${IMAGE_REPOSITORY}:${IMAGE_TAG}`);
    await expectRunning(1);

    // the chart reads them back with lookup; regenerating would sign every console user out
    expect(secretValues()).toEqual(generated);
  });

  it('upgrade: turning the PDB off removes it, and --reuse-values keeps the rest', async () => {
    release.upgrade(['--reuse-values', '--set', 'podDisruptionBudget.enabled=false']);
    expect(manifest().map((o) => o.kind)).not.toContain('PodDisruptionBudget');
    expect(pdb()).toBe('');
    expect(envValue(deployment().spec.template.spec.containers[0]!, 'HUBMESH_LOG_LEVEL')).toBe('debug');
    await expectRunning(1);
    expect(secretValues()).toEqual(generated);
  });

  it('uninstall: nothing of the release is left in any namespace or cluster-wide; what hubmesh wrote at runtime is kept, and only that', async () => {
    // what a running hubmesh of this release writes, made by hubmesh's own code as its own identity (app-rbac.yaml = the chart's RBAC)
    const app = connect(parseConfig({ KUBECONFIG: inject('appKubeconfig'), HUBMESH_NAMESPACE: HUB_NAMESPACE }));
    const ctx = { namespace: HUB_NAMESPACE, prefix, gateway: `${HUB_NAMESPACE}/jupyterhub-gateway`, hosts: ['*'], hostRouting: false, routeTimeout: undefined };
    const route = renderRouteVirtualService(
      { path: '/user/helm-test', data: { target: 'http://10.244.9.9:8888', user: 'helm-test', server_name: '' }, lastActivity: new Date().toISOString() },
      { host: `jupyter-helm-test.${HUB_NAMESPACE}.svc.cluster.local`, port: 8888 },
      ctx,
    );
    await app.backend(virtualServiceKind).create(HUB_NAMESPACE, route);
    const revocations = new SessionRevocationStore(app.backend(configMapKind), HUB_NAMESPACE, prefix, testLog);
    const now = Math.floor(Date.now() / 1000);
    await revocations.revoke({ sid: 'helm-test-session', iat: now - 60, exp: now + 3600 });
    // the Gateway and PeerAuthentication the console applies, and its audit Event
    const gateway = desiredGateway({ namespace: HUB_NAMESPACE, name: gatewayName, hosts: ['*'] });
    await app.backend(gatewayKind).create(HUB_NAMESPACE, gateway);
    const peerAuthentication = desiredPeerAuthentication(HUB_NAMESPACE);
    await app.backend(peerAuthenticationKind).create(HUB_NAMESPACE, { ...peerAuthentication, metadata: { ...peerAuthentication.metadata, name: peerAuthenticationName } });
    const event = await recordEvent(app.backend(eventKind), HUB_NAMESPACE, 'helm-release-test', {
      regarding: { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', name: gatewayName, namespace: HUB_NAMESPACE },
      actor: 'admin',
      action: 'EnsureGateway',
      reason: AUDIT_REASONS.applied,
      type: 'Normal',
      note: 'applied by the helm release test',
    });
    auditEventName = event.metadata.name;
    for (const name of leaseNames(prefix)) {
      await app.backend<Lease>(leaseKind).create(HUB_NAMESPACE, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name }, spec: { holderIdentity: `${fullname}-0`, leaseDurationSeconds: 15, renewTime: microTime(new Date()) } });
    }
    const rendered = [...everRendered.values()];
    // the removal commands the chart prints (NOTES.txt): after uninstall, `helm get notes` has nothing to show
    const removals = release.helm(['get', 'notes', release.name]).split('\n').map((line) => line.trim().split(/\s+/)).filter((words) => words[0] === 'kubectl' && words.includes('delete')).map((words) => words.slice(1));
    // the query that must come back empty finds the release while it is installed, with what controllers made from it
    const releaseSelector = `app.kubernetes.io/instance=${release.name}`;
    expect([...new Set(everything(releaseSelector).map((o) => o.kind))].sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'Deployment', 'EndpointSlice', 'Endpoints', 'Pod', 'ReplicaSet', 'Role', 'RoleBinding', 'Secret', 'Service', 'ServiceAccount'],
    );

    expect(release.uninstall()).toContain(`release "${release.name}" uninstalled`);

    // the garbage collector removes the ReplicaSets, pods, Endpoints and EndpointSlices after helm returns
    await eventually(() => {
      const left = everything(releaseSelector);
      if (left.length > 0) throw new Error(`left: ${left.map(identity).join(', ')}`);
      return left;
    }, `no object labelled ${releaseSelector} in any namespace or cluster-wide`);
    expect(everRendered.size).toBe(15);
    expect(kubectl(['get', '-f', '-', '--ignore-not-found', '-o', 'name'], rendered.map((o) => JSON.stringify(o)).join('\n')).trim()).toBe('');
    expect(kubectl(['get', '-n', HUB_NAMESPACE, 'secrets', '-l', `owner=helm,name=${release.name}`, '-o', 'name']).trim()).toBe('');
    const listed = JSON.parse(release.helm(['list', '-a', '-o', 'json'])) as { name: string }[];
    expect(listed.map((r) => r.name)).not.toContain(release.name);

    // kept: exactly the runtime objects, of exactly the kinds the chart documents
    const kept = everything('app.kubernetes.io/managed-by=hubmesh', HUB_NAMESPACE);
    expect([...new Set(kept.map((o) => o.kind))].sort()).toEqual(KEPT_LABELLED_KINDS);
    const ofThisPrefix = everything(`app.kubernetes.io/managed-by=hubmesh,hubmesh.io/prefix=${prefix}`, HUB_NAMESPACE);
    expect(ofThisPrefix.map(identity).sort()).toEqual([`ConfigMap ${HUB_NAMESPACE}/${prefix}-session-revocations`, `VirtualService ${HUB_NAMESPACE}/${route.metadata.name}`]);
    const byName = (resource: string, name: string) => kubectl(['get', '-n', HUB_NAMESPACE, resource, name, '-o', 'name']).trim();
    expect(byName('gateways.networking.istio.io', gatewayName)).toBe(`gateway.networking.istio.io/${gatewayName}`);
    expect(byName('peerauthentications.security.istio.io', peerAuthenticationName)).toBe(`peerauthentication.security.istio.io/${peerAuthenticationName}`);
    expect(byName('events.events.k8s.io', event.metadata.name)).toBe(`event.events.k8s.io/${event.metadata.name}`);
    for (const name of leaseNames(prefix)) expect(byName('leases', name)).toBe(`lease.coordination.k8s.io/${name}`);

    // the printed commands name exactly the kept kinds; those of this prefix remove what it left (the one
    // without a prefix would take other suites' objects from the shared namespace too: not run here)
    expect(removals.flatMap((args) => args[args.indexOf('delete') + 1]!.split(',')).sort()).toEqual(
      ['authorizationpolicies.security.istio.io', 'configmaps', 'destinationrules', 'envoyfilters', 'events.events.k8s.io', 'gateways.networking.istio.io', 'leases', 'peerauthentications.security.istio.io', 'virtualservices'],
    );
    const ofPrefix = removals.filter((args) => args.join(' ').includes(prefix));
    expect(ofPrefix).toHaveLength(4);
    for (const args of ofPrefix) kubectl(args);
    expect(everything(`app.kubernetes.io/managed-by=hubmesh,hubmesh.io/prefix=${prefix}`, HUB_NAMESPACE)).toEqual([]);
    expect(kubectl(['get', '-n', HUB_NAMESPACE, 'leases', ...leaseNames(prefix), '--ignore-not-found', '-o', 'name']).trim()).toBe('');
  });
});
