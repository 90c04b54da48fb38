import { describe, expect, it } from 'vitest';
import type { Namespace } from '../kube/namespaces';
import type { KubeObject } from '../kube/types';
import {
  ambientEnrollmentWarnings,
  desiredAmbientLabel,
  desiredGateway,
  desiredInjectionLabels,
  desiredPeerAuthentication,
  gatewayInputFromConfig,
  namespaceLabelOwnership,
  INJECTION_LABEL_KEYS,
  labelOwners,
  objectOwnership,
  type ManagedFieldsEntry,
} from './desired';

const managedBy = { 'app.kubernetes.io/managed-by': 'hubmesh' };

function namespaceWith(labels: Record<string, string>, managedFields: ManagedFieldsEntry[]): Namespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'jupyterhub', labels, managedFields } as Namespace['metadata'] };
}

const owns = (manager: string, operation: string, ...labels: string[]): ManagedFieldsEntry => ({
  manager,
  operation,
  apiVersion: 'v1',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:metadata': { 'f:labels': Object.fromEntries(labels.map((l) => [`f:${l}`, {}])) } },
} as ManagedFieldsEntry);

describe('desired Gateway', () => {
  it('serves the hub hosts on HTTP port 80 at the default ingress gateway, labelled as hubmesh’s', () => {
    const gateway = desiredGateway({ namespace: 'jupyterhub', name: 'jupyterhub-gateway', hosts: ['hub.example.org'] });
    expect(gateway).toEqual({
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name: 'jupyterhub-gateway', namespace: 'jupyterhub', labels: managedBy },
      spec: {
        selector: { istio: 'ingressgateway' },
        servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['hub.example.org'] }],
      },
    });
  });

  it('adds an HTTPS server with the credential and redirects HTTP to it', () => {
    const gateway = desiredGateway({
      namespace: 'jupyterhub',
      name: 'gw',
      hosts: ['hub.example.org'],
      selector: { app: 'hub-ingress' },
      https: { credentialName: 'hub-tls' },
    });
    expect(gateway.spec?.selector).toEqual({ app: 'hub-ingress' });
    expect(gateway.spec?.servers).toEqual([
      { port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['hub.example.org'], tls: { httpsRedirect: true } },
      { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['hub.example.org'], tls: { mode: 'SIMPLE', credentialName: 'hub-tls' } },
    ]);
  });

  it('keeps plain HTTP alongside HTTPS when the redirect is off, on the ports given', () => {
    const servers = desiredGateway({ namespace: 'a', name: 'b', hosts: ['*'], httpPort: 8080, https: { credentialName: 'c', port: 8443, redirectHttp: false } }).spec?.servers;
    expect(servers?.map((s) => [s.port.number, s.tls?.httpsRedirect])).toEqual([
      [8080, undefined],
      [8443, undefined],
    ]);
  });

  it('takes namespace, name and hosts from the config, defaulting to <hub namespace>/jupyterhub-gateway', () => {
    expect(gatewayInputFromConfig({ gateway: undefined, hosts: ['*'] }, 'jupyterhub')).toEqual({ namespace: 'jupyterhub', name: 'jupyterhub-gateway', hosts: ['*'] });
    expect(gatewayInputFromConfig({ gateway: 'istio-system/hub', hosts: ['a.org', 'b.org'] }, 'jupyterhub')).toEqual({
      namespace: 'istio-system',
      name: 'hub',
      hosts: ['a.org', 'b.org'],
    });
  });
});

describe('desired PeerAuthentication', () => {
  it('is the namespace-wide policy: named default, STRICT, no selector', () => {
    expect(desiredPeerAuthentication('jupyterhub')).toEqual({
      apiVersion: 'security.istio.io/v1',
      kind: 'PeerAuthentication',
      metadata: { name: 'default', namespace: 'jupyterhub', labels: managedBy },
      spec: { mtls: { mode: 'STRICT' } },
    });
  });
});

describe('desired injection labels', () => {
  it('carries only istio-injection=enabled by default, and no managed-by label on the namespace', () => {
    expect(desiredInjectionLabels('jupyterhub')).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'jupyterhub', labels: { 'istio-injection': 'enabled' } } });
  });

  it('carries only istio.io/rev for a revision, so istio-injection is not applied', () => {
    expect(desiredInjectionLabels('jupyterhub', '1-28').metadata.labels).toEqual({ 'istio.io/rev': '1-28' });
  });
});

describe('ownership of objects', () => {
  it('creates what is absent and updates what carries managed-by=hubmesh', () => {
    expect(objectOwnership(undefined, 'hubmesh')).toEqual({ verdict: 'create' });
    expect(objectOwnership({ kind: 'Gateway', metadata: { name: 'gw', labels: managedBy } }, 'hubmesh')).toEqual({ verdict: 'update' });
  });

  it('needs a takeover for an object without the label, naming its other field managers', () => {
    const foreign = { kind: 'Gateway', metadata: { name: 'gw', namespace: 'jupyterhub', managedFields: [owns('kubectl-client-side-apply', 'Update'), owns('hubmesh', 'Apply')] } } as KubeObject;
    const ownership = objectOwnership(foreign, 'hubmesh');
    expect(ownership).toMatchObject({ verdict: 'takeover', managers: ['kubectl-client-side-apply'], removeLabels: [] });
    expect(ownership.verdict === 'takeover' && ownership.reason).toBe(
      'Gateway jupyterhub/gw exists and is not managed by hubmesh (no managed-by label; field managers: kubectl-client-side-apply)',
    );
  });

  it('needs a takeover when another tool claims the object with its own managed-by', () => {
    const ownership = objectOwnership({ kind: 'PeerAuthentication', metadata: { name: 'default', labels: { 'app.kubernetes.io/managed-by': 'Helm' } } }, 'hubmesh');
    expect(ownership.verdict === 'takeover' && ownership.reason).toContain('managed-by=Helm');
  });
});

describe('ownership of the injection labels', () => {
  it('reads who owns a label from managedFields', () => {
    const ns = namespaceWith({ 'istio-injection': 'enabled' }, [owns('kubectl-label', 'Update', 'istio-injection'), owns('hubmesh', 'Apply', 'istio-injection'), owns('kubectl-create', 'Update', 'kubernetes.io/metadata.name')]);
    expect(labelOwners(ns, 'istio-injection')).toEqual(['kubectl-label', 'hubmesh']);
    expect(labelOwners(ns, 'istio.io/rev')).toEqual([]);
  });

  it('lets hubmesh add its label, or share one that already has the desired value', () => {
    expect(namespaceLabelOwnership(namespaceWith({}, []), desiredInjectionLabels('jupyterhub'), INJECTION_LABEL_KEYS, 'hubmesh')).toEqual({ verdict: 'update' });
    const shared = namespaceWith({ 'istio-injection': 'enabled' }, [owns('kubectl-label', 'Update', 'istio-injection')]);
    expect(namespaceLabelOwnership(shared, desiredInjectionLabels('jupyterhub'), INJECTION_LABEL_KEYS, 'hubmesh')).toEqual({ verdict: 'update' });
  });

  it('lets hubmesh change or drop a label only it owns', () => {
    const ours = namespaceWith({ 'istio-injection': 'enabled' }, [owns('hubmesh', 'Apply', 'istio-injection')]);
    expect(namespaceLabelOwnership(ours, desiredInjectionLabels('jupyterhub', 'canary'), INJECTION_LABEL_KEYS, 'hubmesh')).toEqual({ verdict: 'update' });
  });

  it('needs a takeover to remove istio-injection another manager set, and says it must be removed', () => {
    const ns = namespaceWith({ 'istio-injection': 'enabled' }, [owns('kubectl-label', 'Update', 'istio-injection'), owns('hubmesh', 'Apply', 'istio-injection')]);
    expect(namespaceLabelOwnership(ns, desiredInjectionLabels('jupyterhub', 'canary'), INJECTION_LABEL_KEYS, 'hubmesh')).toEqual({
      verdict: 'takeover',
      reason: 'Namespace jupyterhub: label istio-injection=enabled is managed by kubectl-label (hubmesh would remove it)',
      managers: ['kubectl-label'],
      removeLabels: ['istio-injection'],
    });
  });

  it('needs a takeover to change a label’s value another manager set, or a label no manager owns', () => {
    const disabled = namespaceWith({ 'istio-injection': 'disabled' }, [owns('argocd-controller', 'Apply', 'istio-injection')]);
    expect(namespaceLabelOwnership(disabled, desiredInjectionLabels('jupyterhub'), INJECTION_LABEL_KEYS, 'hubmesh')).toMatchObject({ verdict: 'takeover', managers: ['argocd-controller'], removeLabels: [] });
    const untracked = namespaceWith({ 'istio.io/rev': 'old' }, []);
    const ownership = namespaceLabelOwnership(untracked, desiredInjectionLabels('jupyterhub'), INJECTION_LABEL_KEYS, 'hubmesh');
    expect(ownership).toMatchObject({ verdict: 'takeover', managers: [], removeLabels: ['istio.io/rev'] });
    expect(ownership.verdict === 'takeover' && ownership.reason).toContain('istio.io/rev=old is managed by no field manager');
  });
});

describe('ambient enrollment', () => {
  it('applies only istio.io/dataplane-mode=ambient, owning that one label', () => {
    expect(desiredAmbientLabel('jupyterhub')).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'jupyterhub', labels: { 'istio.io/dataplane-mode': 'ambient' } } });
    const optedOut = namespaceWith({ 'istio.io/dataplane-mode': 'none' }, [{ manager: 'kubectl-label', operation: 'Update', fieldsV1: { 'f:metadata': { 'f:labels': { 'f:istio.io/dataplane-mode': {} } } } }]);
    expect(namespaceLabelOwnership(optedOut, desiredAmbientLabel('jupyterhub'), ['istio.io/dataplane-mode'], 'hubmesh')).toMatchObject({ verdict: 'takeover', managers: ['kubectl-label'], removeLabels: [] });
    // the injection labels are not the ambient action's business
    expect(namespaceLabelOwnership(namespaceWith({ 'istio-injection': 'disabled' }, []), desiredAmbientLabel('jupyterhub'), ['istio.io/dataplane-mode'], 'hubmesh')).toEqual({ verdict: 'update' });
  });

  it('warns when sidecar injection is on too, by the label that turns it on', () => {
    expect(ambientEnrollmentWarnings(namespaceWith({}, []))).toEqual([]);
    expect(ambientEnrollmentWarnings(namespaceWith({ 'istio-injection': 'disabled', 'istio.io/rev': 'canary' }, []))).toEqual([]);
    expect(ambientEnrollmentWarnings(undefined)).toEqual([]);
    const [enabled] = ambientEnrollmentWarnings(namespaceWith({ 'istio-injection': 'enabled' }, []));
    expect(enabled).toBe(
      'Namespace jupyterhub also has sidecar injection on (istio-injection=enabled): pods that get a sidecar keep it and ztunnel skips them. Remove istio-injection and restart the pods to move them to ambient.',
    );
    expect(ambientEnrollmentWarnings(namespaceWith({ 'istio.io/rev': 'canary' }, []))[0]).toContain('(istio.io/rev=canary)');
  });
});
