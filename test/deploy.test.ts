// The Helm chart and the kustomize base, against the real apiserver: they render, lint, and every
// object is accepted by a server-side dry run; their RBAC is exactly the least-privilege identity the
// integration tests run the app under (scripts/cluster/manifests/app-rbac.yaml), and it grants in the
// cluster what it says.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { kubectlPath, kubectlWith, repoRoot, run } from './cluster/harness';
import { chartPath as chart, helmBinary, parseObjects, type KubeObject } from './helm';
import { HUB_NAMESPACE, uniqueName } from './helpers';

const kustomizeBase = path.join(repoRoot, 'deploy/kustomize/base');
const ROOT_NAMESPACE = 'istio-system';

type PolicyRule = { apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; verbs: string[] };
type Container = { name: string; env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[]; [field: string]: unknown };

/** The one object of a kind in a namespace; `filters` picks it among several by whether its name ends "-gateway-filters". */
function find(objects: KubeObject[], kind: string, namespace?: string, filters?: boolean): KubeObject {
  const matches = objects.filter((o) => o.kind === kind && o.metadata.namespace === namespace && (filters === undefined || o.metadata.name.endsWith('-gateway-filters') === filters));
  expect(matches, `exactly one ${kind} in ${namespace ?? 'the cluster scope'}`).toHaveLength(1);
  return matches[0]!;
}

/** Rules as a set: the order of rules and of the names in them does not change what they grant. */
function normalizedRules(rules: PolicyRule[]): string[] {
  const sorted = (list?: string[]) => (list ? [...list].sort() : undefined);
  return rules
    .map((r) => JSON.stringify({ apiGroups: sorted(r.apiGroups), resources: sorted(r.resources), resourceNames: sorted(r.resourceNames), verbs: sorted(r.verbs) }))
    .sort();
}

function rulesOf(object: KubeObject): string[] {
  return normalizedRules(object.rules as PolicyRule[]);
}

type Subject = { kind: string; name: string; namespace?: string };
type Binding = KubeObject & { subjects: Subject[]; roleRef: { kind: string; name: string } };

/**
 * What a subject is granted, per namespace ('' for cluster-wide): the rules of every Role and ClusterRole
 * bound to it, as a set. How the rules are split into Roles does not matter, only what they grant together.
 */
function grantsOf(objects: KubeObject[], subject: Subject): Record<string, string[]> {
  const grants: Record<string, Set<string>> = {};
  const bindings = (objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') as Binding[]).filter((b) =>
    b.subjects.some((s) => s.kind === subject.kind && s.name === subject.name && (subject.kind !== 'ServiceAccount' || s.namespace === subject.namespace)),
  );
  for (const binding of bindings) {
    const namespace = binding.kind === 'ClusterRoleBinding' ? '' : binding.metadata.namespace!;
    const roles = objects.filter((o) => o.kind === binding.roleRef.kind && o.metadata.name === binding.roleRef.name && (o.kind === 'ClusterRole' || o.metadata.namespace === namespace));
    expect(roles, `the ${binding.roleRef.kind} ${binding.roleRef.name} of ${binding.kind} ${binding.metadata.name}`).toHaveLength(1);
    for (const rule of rulesOf(roles[0]!)) (grants[namespace] ??= new Set()).add(rule);
  }
  return Object.fromEntries(Object.entries(grants).map(([namespace, rules]) => [namespace, [...rules].sort()]));
}

function serviceAccountOf(objects: KubeObject[]): Subject {
  return { kind: 'ServiceAccount', name: find(objects, 'ServiceAccount', HUB_NAMESPACE).metadata.name, namespace: HUB_NAMESPACE };
}

/** The chart's Role of the route kinds (<fullname>-routes). */
function routesRole(objects: KubeObject[]): KubeObject {
  const roles = objects.filter((o) => o.kind === 'Role' && o.metadata.name.endsWith('-routes'));
  expect(roles).toHaveLength(1);
  return roles[0]!;
}

function container(objects: KubeObject[]): Container {
  const deployment = find(objects, 'Deployment', HUB_NAMESPACE) as KubeObject & { spec: { template: { spec: { containers: Container[] } } } };
  return deployment.spec.template.spec.containers[0]!;
}

function envOf(c: Container, name: string) {
  return c.env?.find((e) => e.name === name);
}

describe('deployment manifests', () => {
  const kubectl = kubectlPath();
  const adminKubeconfig = inject('adminKubeconfig');
  let helm: string;
  const created: string[] = [];

  const kubectlAdmin = kubectlWith(adminKubeconfig);
  const template = (release: string, ...args: string[]) => run(helm, ['template', release, chart, '--namespace', HUB_NAMESPACE, ...args]);

  /** Applies the manifest with --dry-run=server: every object must be accepted (admission and validation run, nothing is stored). */
  function expectAcceptedByDryRun(manifest: string): KubeObject[] {
    const objects = parseObjects(manifest);
    expect(objects.length).toBeGreaterThan(0);
    const out = kubectlAdmin(['apply', '--dry-run=server', '-f', '-'], manifest);
    const accepted = new Set(out.split('\n').flatMap((line) => /^(\S+) (created|configured|unchanged) \(server dry run\)$/.exec(line)?.[1] ?? []));
    for (const o of objects) {
      const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
      expect(accepted, `${o.kind} ${o.metadata.name} in:\n${out}`).toContain(`${o.kind.toLowerCase()}${group}/${o.metadata.name}`);
    }
    return objects;
  }

  beforeAll(() => {
    // No skip: a chart that cannot be checked is a failure. The first build of helm takes minutes.
    helm = helmBinary();
    expect(run(helm, ['version', '--short'])).toMatch(/^v3\.22\.0/);
  }, 15 * 60_000);

  afterAll(() => {
    for (const manifest of created) kubectlAdmin(['delete', '--ignore-not-found', '--wait=false', '-f', '-'], manifest);
  });

  it('passes helm lint, with the defaults and with every optional part on', () => {
    expect(run(helm, ['lint', '--strict', chart, '--namespace', HUB_NAMESPACE])).toContain('0 chart(s) failed');
    const everything = ['--set', 'podDisruptionBudget.enabled=true,istio.revision=canary,proxyAuthToken.value=0123456789abcdef0123'];
    expect(run(helm, ['lint', '--strict', chart, '--namespace', HUB_NAMESPACE, ...everything])).toContain('0 chart(s) failed');
  });

  it('renders objects the apiserver accepts (server-side dry run), with defaults and with every option', () => {
    for (const args of [[], ['--set', 'podDisruptionBudget.enabled=true,istio.revision=canary,proxyAuthToken.value=0123456789abcdef0123,config.prometheusUrl=http://prometheus.istio-system:9090,config.hostRouting=true']]) {
      expectAcceptedByDryRun(template('hubmesh', ...args));
    }
  });

  it("grants exactly the RBAC of app-rbac.yaml: hub namespace Roles, root namespace Role, the gateway namespace's EnvoyFilters and pods, namespaces ClusterRole", () => {
    const reference = parseObjects(readFileSync(path.join(repoRoot, 'scripts/cluster/manifests/app-rbac.yaml'), 'utf8'));
    const rendered = parseObjects(template('hubmesh'));
    expect(grantsOf(rendered, serviceAccountOf(rendered))).toEqual(grantsOf(reference, { kind: 'User', name: 'hubmesh-app' }));

    const serviceAccount = serviceAccountOf(rendered);
    const bindings = rendered.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding') as Binding[];
    // main and routes Roles in the hub namespace, two in the root namespace, one ClusterRole
    expect(bindings).toHaveLength(5);
    for (const binding of bindings) {
      expect(binding.subjects).toEqual([serviceAccount]);
      expect(rendered.filter((o) => o.kind === binding.roleRef.kind && o.metadata.name === binding.roleRef.name && (o.kind === 'ClusterRole' || o.metadata.namespace === binding.metadata.namespace))).toHaveLength(1);
    }
  });

  it('grants the route kinds per backend: httproute the HTTPRoutes only, a migration both kinds, as the test identities of app-rbac-httproute.yaml', () => {
    const reference = parseObjects(['app-rbac.yaml', 'app-rbac-httproute.yaml'].map((f) => readFileSync(path.join(repoRoot, 'scripts/cluster/manifests', f), 'utf8')).join('\n---\n'));
    const identity = (name: string): Subject => ({ kind: 'ServiceAccount', name, namespace: HUB_NAMESPACE });
    const cases: Array<[string, Subject]> = [
      ['config.routeApi=httproute', identity('hubmesh-app-httproute')],
      ['config.routeApi=httproute,config.migrateFrom=virtualservice', identity('hubmesh-app-migration')],
      ['config.routeApi=virtualservice,config.migrateFrom=httproute', identity('hubmesh-app-migration')],
    ];
    for (const [values, subject] of cases) {
      const rendered = parseObjects(template('hubmesh', '--set', values));
      expect(grantsOf(rendered, serviceAccountOf(rendered)), values).toEqual(grantsOf(reference, subject));
    }
    const routeRules = (values: string[]) => rulesOf(routesRole(parseObjects(template('hubmesh', ...values))));
    const fullAccess = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
    expect(routeRules([])).toEqual(normalizedRules([{ apiGroups: ['networking.istio.io'], resources: ['virtualservices'], verbs: fullAccess }]));
    expect(routeRules(['--set', 'config.routeApi=httproute'])).toEqual(normalizedRules([{ apiGroups: ['gateway.networking.k8s.io'], resources: ['httproutes'], verbs: fullAccess }]));
    expect(envOf(container(parseObjects(template('hubmesh', '--set', 'config.routeApi=httproute,config.gatewaySection=https'))), 'HUBMESH_GATEWAY_SECTION')?.value).toBe('https');
    expect(envOf(container(parseObjects(template('hubmesh', '--set', 'config.routeApi=httproute'))), 'HUBMESH_ROUTE_API')?.value).toBe('httproute');
    // values that make no sense fail the install instead of starting a hubmesh that cannot write its routes
    for (const bad of ['config.routeApi=gateway', 'config.migrateFrom=httproutes', 'config.migrateFrom=virtualservice', 'config.gatewaySection=https']) {
      const result = spawnSync(helm, ['template', 'hubmesh', chart, '--namespace', HUB_NAMESPACE, '--set', bad], { encoding: 'utf8' });
      expect(result.status, bad).not.toBe(0);
      expect(result.stderr, bad).toMatch(/config\.(routeApi|migrateFrom|gatewaySection)/);
    }
  });

  it("the service account can do what hubmesh does, and nothing around it (RBAC applied for real, checked with auth can-i)", () => {
    const release = uniqueName('hm');
    const rbacKinds = new Set(['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding']);
    const manifest = parseObjects(template(release))
      .filter((o) => rbacKinds.has(o.kind))
      .map((o) => JSON.stringify(o))
      .join('\n');
    created.push(manifest);
    kubectlAdmin(['apply', '-f', '-'], manifest);

    const as = `system:serviceaccount:${HUB_NAMESPACE}:${release}-hubmesh`;
    const can = (verb: string, resource: string, namespace?: string) => {
      const args = ['--kubeconfig', adminKubeconfig, 'auth', 'can-i', verb, resource, '--as', as, ...(namespace ? ['-n', namespace] : [])];
      return spawnSync(kubectl, args, { encoding: 'utf8' }).stdout.trim();
    };
    expect(can('create', 'virtualservices.networking.istio.io', HUB_NAMESPACE)).toBe('yes');
    expect(can('patch', 'peerauthentications.security.istio.io', HUB_NAMESPACE)).toBe('yes');
    expect(can('update', 'leases.coordination.k8s.io', HUB_NAMESPACE)).toBe('yes');
    expect(can('create', 'events.events.k8s.io', HUB_NAMESPACE)).toBe('yes');
    expect(can('watch', 'pods', HUB_NAMESPACE)).toBe('yes');
    expect(can('watch', 'gateways.gateway.networking.k8s.io', HUB_NAMESPACE)).toBe('yes'); // ambient's waypoints
    // the default route API writes VirtualServices only, and reads no HTTPRoutes
    expect(can('list', 'httproutes.gateway.networking.k8s.io', HUB_NAMESPACE)).toBe('no');
    expect(can('create', 'gateways.gateway.networking.k8s.io', HUB_NAMESPACE)).toBe('no');
    expect(can('list', 'peerauthentications.security.istio.io', ROOT_NAMESPACE)).toBe('yes');
    expect(can('patch', 'envoyfilters.networking.istio.io', ROOT_NAMESPACE)).toBe('yes');
    expect(can('delete', 'envoyfilters.networking.istio.io', ROOT_NAMESPACE)).toBe('no');
    expect(can('create', 'envoyfilters.networking.istio.io', HUB_NAMESPACE)).toBe('no');
    expect(can('list', 'namespaces')).toBe('yes');
    expect(can('patch', `namespaces/${HUB_NAMESPACE}`)).toBe('yes');
    for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch']) expect(can(verb, 'configmaps', HUB_NAMESPACE), `${verb} configmaps`).toBe('yes');

    expect(can('delete', 'pods', HUB_NAMESPACE)).toBe('no');
    // nothing hubmesh does not use: it never deletes mesh policy, edits DestinationRules or reads endpoints
    expect(can('delete', 'peerauthentications.security.istio.io', HUB_NAMESPACE)).toBe('no');
    expect(can('update', 'destinationrules.networking.istio.io', HUB_NAMESPACE)).toBe('no');
    expect(can('list', 'endpoints', HUB_NAMESPACE)).toBe('no');
    expect(can('get', 'secrets', HUB_NAMESPACE)).toBe('no');
    expect(can('delete', 'leases.coordination.k8s.io', HUB_NAMESPACE)).toBe('no');
    // the revocation list is never deleted: that would bring ended sessions back
    expect(can('delete', 'configmaps', HUB_NAMESPACE)).toBe('no');
    expect(can('get', 'configmaps', 'default')).toBe('no');
    expect(can('create', 'virtualservices.networking.istio.io', 'default')).toBe('no');
    expect(can('create', 'peerauthentications.security.istio.io', ROOT_NAMESPACE)).toBe('no');
    expect(can('patch', 'namespaces/default')).toBe('no');
    expect(can('list', 'pods', 'default')).toBe('no');
  });

  it('runs the pod as hubmesh, in the mesh, non-root on a read-only root filesystem, with a heap sized from the memory limit', () => {
    const objects = parseObjects(template('hubmesh'));
    const deployment = find(objects, 'Deployment', HUB_NAMESPACE) as KubeObject & {
      spec: { template: { metadata: { labels: Record<string, string> }; spec: { volumes: { name: string }[] } } };
    };
    const pod = deployment.spec.template;
    expect(pod.metadata.labels['app.kubernetes.io/name']).toBe('hubmesh');
    expect(pod.metadata.labels['sidecar.istio.io/inject']).toBe('true');
    const c = container(objects);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.volumeMounts).toEqual(expect.arrayContaining([expect.objectContaining({ mountPath: '/tmp' }), expect.objectContaining({ mountPath: '/app/.next/cache' })]));
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/readyz' } });
    expect(c.livenessProbe).toMatchObject({ httpGet: { path: '/healthz' } });
    expect(envOf(c, 'HUBMESH_HEAP_MB')?.value).toBe('256');
    expect(envOf(c, 'HUBMESH_NAMESPACE')?.valueFrom).toEqual({ fieldRef: { fieldPath: 'metadata.namespace' } });

    const service = find(objects, 'Service', HUB_NAMESPACE) as KubeObject & { spec: { selector: Record<string, string>; ports: { name: string; port: number }[] } };
    expect(service.spec.selector).toEqual(Object.fromEntries(Object.entries(pod.metadata.labels).filter(([k]) => k.startsWith('app.kubernetes.io/'))));
    expect(service.spec.ports).toEqual([expect.objectContaining({ name: 'http', port: 8001 })]);

    expect(envOf(container(parseObjects(template('hubmesh', '--set', 'resources.limits.memory=2Gi'))), 'HUBMESH_HEAP_MB')?.value).toBe('1024');
    expect(envOf(container(parseObjects(template('hubmesh', '--set', 'resources.limits.memory=1Gi,heapMb=700'))), 'HUBMESH_HEAP_MB')?.value).toBe('700');
    const revisioned = find(parseObjects(template('hubmesh', '--set', 'istio.revision=canary')), 'Deployment', HUB_NAMESPACE) as typeof deployment;
    expect(revisioned.spec.template.metadata.labels).toMatchObject({ 'istio.io/rev': 'canary' });
    expect(revisioned.spec.template.metadata.labels['sidecar.istio.io/inject']).toBeUndefined();
  });

  it("takes the proxy token from z2jh's hub Secret by default, and generates the console's secrets once into its own", () => {
    const objects = parseObjects(template('hubmesh'));
    const c = container(objects);
    expect(envOf(c, 'CONFIGPROXY_AUTH_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: 'hub', key: 'hub.config.ConfigurableHTTPProxy.auth_token' });
    expect(envOf(c, 'HUBMESH_ADMIN_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: 'hubmesh', key: 'admin-token' });
    expect(envOf(c, 'HUBMESH_SESSION_SECRET')?.valueFrom?.secretKeyRef).toEqual({ name: 'hubmesh', key: 'session-secret' });
    const secret = find(objects, 'Secret', HUB_NAMESPACE) as KubeObject & { data: Record<string, string> };
    expect(Object.keys(secret.data).sort()).toEqual(['admin-token', 'session-secret']);
    for (const value of Object.values(secret.data)) expect(Buffer.from(value, 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);

    const own = parseObjects(template('hubmesh', '--set', 'proxyAuthToken.value=0123456789abcdef0123,adminToken.existingSecret.name=console,adminToken.existingSecret.key=token'));
    expect(envOf(container(own), 'CONFIGPROXY_AUTH_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: 'hubmesh', key: 'proxy-auth-token' });
    expect(envOf(container(own), 'HUBMESH_ADMIN_TOKEN')?.valueFrom?.secretKeyRef).toEqual({ name: 'console', key: 'token' });
    const ownSecret = find(own, 'Secret', HUB_NAMESPACE) as KubeObject & { data: Record<string, string> };
    expect(Object.keys(ownSecret.data).sort()).toEqual(['proxy-auth-token', 'session-secret']);
    expect(Buffer.from(ownSecret.data['proxy-auth-token']!, 'base64').toString()).toBe('0123456789abcdef0123');
  });

  it('kustomize base: renders, the apiserver accepts it, and it is the chart rendered with deploy/kustomize/base-values.yaml', () => {
    const rendered = kubectlAdmin(['kustomize', kustomizeBase]);
    const objects = expectAcceptedByDryRun(rendered);

    const withoutToolLabels = (o: KubeObject): KubeObject => JSON.parse(JSON.stringify(o, (key, value: unknown) => (key === 'helm.sh/chart' || key === 'app.kubernetes.io/managed-by' ? undefined : value)));
    const byIdentity = (list: KubeObject[]) => Object.fromEntries(list.map((o) => [`${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, withoutToolLabels(o)]));
    const fromChart = parseObjects(template('hubmesh', '--values', path.join(repoRoot, 'deploy/kustomize/base-values.yaml')));
    expect(byIdentity(objects)).toEqual(byIdentity(fromChart));
  });
});
