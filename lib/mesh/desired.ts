import { gatewayKind, type Gateway, type GatewayServer } from '../kube/gateways';
import { INJECTION_LABEL, namespaceKind, REVISION_LABEL, type Namespace } from '../kube/namespaces';
import { peerAuthenticationKind, type PeerAuthentication } from '../kube/peerauthentications';
import { apiVersionOf, type KubeObject } from '../kube/types';
import { LABELS } from '../kube/labels';
import { DATAPLANE_MODE_AMBIENT, DATAPLANE_MODE_LABEL } from './ambient';

/** Istio's default ingress gateway deployment (istioctl's and the gateway Helm chart's `istio: ingressgateway`). */
export const DEFAULT_INGRESS_SELECTOR: Readonly<Record<string, string>> = { istio: 'ingressgateway' };
/** Istio's convention for the namespace-wide policy: one PeerAuthentication named `default`, with no selector. */
export const NAMESPACE_POLICY_NAME = 'default';
/** The namespace labels hubmesh manages: exactly one of them is set, the other absent. */
export const INJECTION_LABEL_KEYS = [INJECTION_LABEL, REVISION_LABEL] as const;

const managedLabels = () => ({ [LABELS.managedBy]: 'hubmesh' });

/** The ingress Gateway hubmesh's VirtualServices bind to. */
export type GatewayInput = {
  namespace: string;
  name: string;
  /** the hub's hosts (`*` for any) */
  hosts: string[];
  /** the ingress gateway pods' labels; default istio=ingressgateway */
  selector?: Record<string, string>;
  /** the plain-HTTP server's port (default 80) */
  httpPort?: number;
  /**
   * An HTTPS server terminating TLS with the certificate in the Secret `credentialName`, which must live in
   * the ingress gateway's own namespace (not the Gateway's). The HTTP server then redirects to HTTPS unless
   * redirectHttp is false.
   */
  https?: { credentialName: string; port?: number; redirectHttp?: boolean };
};

/** The Gateway from hubmesh's config: HUBMESH_GATEWAY (`<namespace>/<name>`, default `<hub namespace>/jupyterhub-gateway`) and HUBMESH_HOSTS. */
export function gatewayInputFromConfig(proxy: { gateway: string | undefined; hosts: string[] }, hubNamespace: string): GatewayInput {
  const [namespace, name] = (proxy.gateway ?? `${hubNamespace}/jupyterhub-gateway`).split('/') as [string, string];
  return { namespace, name, hosts: proxy.hosts };
}

/**
 * Port numbers are not checked here: the apiserver's dry run is the authority on what the cluster accepts
 * (the CRD's schema and CEL rules, and istiod's validating webhook where it runs), and its message is shown.
 */
export function desiredGateway(input: GatewayInput): Gateway {
  const http: GatewayServer = { port: { number: input.httpPort ?? 80, name: 'http', protocol: 'HTTP' }, hosts: input.hosts };
  const servers = [http];
  if (input.https) {
    if (input.https.redirectHttp !== false) http.tls = { httpsRedirect: true };
    servers.push({
      port: { number: input.https.port ?? 443, name: 'https', protocol: 'HTTPS' },
      hosts: input.hosts,
      tls: { mode: 'SIMPLE', credentialName: input.https.credentialName },
    });
  }
  return {
    apiVersion: apiVersionOf(gatewayKind),
    kind: gatewayKind.kind,
    metadata: { name: input.name, namespace: input.namespace, labels: managedLabels() },
    spec: { selector: { ...(input.selector ?? DEFAULT_INGRESS_SELECTOR) }, servers },
  };
}

/** The namespace-wide STRICT policy: sidecars in the namespace accept only mutual TLS. */
export function desiredPeerAuthentication(namespace: string): PeerAuthentication {
  return {
    apiVersion: apiVersionOf(peerAuthenticationKind),
    kind: peerAuthenticationKind.kind,
    metadata: { name: NAMESPACE_POLICY_NAME, namespace, labels: managedLabels() },
    spec: { mtls: { mode: 'STRICT' } },
  };
}

/**
 * The Namespace as hubmesh applies it: only the injection label it manages. With a revision, `istio.io/rev`
 * instead of `istio-injection`, which must then be absent: when both are set, `istio-injection` wins and the
 * revision is ignored (the revision's injector only selects namespaces without `istio-injection`).
 */
export function desiredInjectionLabels(namespace: string, revision?: string): Namespace {
  return {
    apiVersion: apiVersionOf(namespaceKind),
    kind: namespaceKind.kind,
    metadata: { name: namespace, labels: revision ? { [REVISION_LABEL]: revision } : { [INJECTION_LABEL]: 'enabled' } },
  };
}

/** The Namespace as the ambient enrollment applies it: only `istio.io/dataplane-mode=ambient`. */
export function desiredAmbientLabel(namespace: string): Namespace {
  return {
    apiVersion: apiVersionOf(namespaceKind),
    kind: namespaceKind.kind,
    metadata: { name: namespace, labels: { [DATAPLANE_MODE_LABEL]: DATAPLANE_MODE_AMBIENT } },
  };
}

/**
 * What the admin should know before enrolling a namespace in ambient: with injection also on, pods the
 * injector gives a sidecar keep it, and istio-cni never hands a pod with a sidecar to ztunnel
 * (cni/pkg/util/enablement_selector.go skips pods with sidecar.istio.io/status), so the namespace runs
 * both data planes until injection is turned off and the pods restart.
 */
export function ambientEnrollmentWarnings(current: Namespace | undefined): string[] {
  const labels = current?.metadata.labels ?? {};
  const injection = labels[INJECTION_LABEL] === 'enabled' ? `${INJECTION_LABEL}=enabled` : labels[INJECTION_LABEL] === undefined && labels[REVISION_LABEL] ? `${REVISION_LABEL}=${labels[REVISION_LABEL]}` : undefined;
  if (!injection) return [];
  return [
    `Namespace ${current!.metadata.name} also has sidecar injection on (${injection}): pods that get a sidecar keep it and ztunnel skips them. Remove ${injection.split('=')[0]} and restart the pods to move them to ambient.`,
  ];
}

export type ManagedFieldsEntry = { manager?: string; operation?: string; apiVersion?: string; time?: string; fieldsV1?: unknown };

function managedFieldsOf(object: KubeObject): ManagedFieldsEntry[] {
  return (object.metadata as { managedFields?: ManagedFieldsEntry[] }).managedFields ?? [];
}

/** The field managers (by name) whose managedFields entry owns a label. */
export function labelOwners(object: KubeObject, key: string): string[] {
  const owners = managedFieldsOf(object)
    .filter((entry) => {
      const labels = (entry.fieldsV1 as { 'f:metadata'?: { 'f:labels'?: Record<string, unknown> } } | undefined)?.['f:metadata']?.['f:labels'];
      return labels !== undefined && `f:${key}` in labels;
    })
    .map((entry) => entry.manager ?? '');
  return [...new Set(owners)];
}

/**
 * Whether hubmesh may apply. `takeover`: the object (or, for a Namespace, one of its injection labels) is
 * someone else's, and hubmesh acts only when the admin confirms; `removeLabels` are the injection labels
 * another manager set that must go, which a forced apply alone does not remove.
 */
export type Ownership =
  | { verdict: 'create' }
  | { verdict: 'update' }
  | { verdict: 'takeover'; reason: string; managers: string[]; removeLabels: string[] };

const describeObject = (o: KubeObject) => `${o.kind ?? 'object'} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** A Gateway or PeerAuthentication is hubmesh's when it carries managed-by=hubmesh. `fieldManager`: hubmesh's own, left out of the other managers. */
export function objectOwnership(current: KubeObject | undefined, fieldManager: string): Ownership {
  if (!current) return { verdict: 'create' };
  const managedBy = current.metadata.labels?.[LABELS.managedBy];
  if (managedBy === 'hubmesh') return { verdict: 'update' };
  const managers = [...new Set(managedFieldsOf(current).map((e) => e.manager ?? ''))].filter((m) => m && m !== fieldManager);
  return {
    verdict: 'takeover',
    reason: `${describeObject(current)} exists and is not managed by hubmesh (${managedBy ? `managed-by=${managedBy}` : 'no managed-by label'}${
      managers.length ? `; field managers: ${managers.join(', ')}` : ''
    })`,
    managers,
    removeLabels: [],
  };
}

/**
 * A Namespace is never hubmesh's; the labels hubmesh manages on it (`keys`: the injection labels, or the
 * ambient label) can be. A label hubmesh would change or remove is someone else's unless hubmesh alone owns
 * it in managedFields (a label nobody owns, set before server-side apply tracked fields, is someone else's
 * too). A label that already has the desired value is not: applying it only makes hubmesh a co-owner.
 */
export function namespaceLabelOwnership(current: Namespace, desired: Namespace, keys: readonly string[], fieldManager: string): Ownership {
  const foreign = keys.flatMap((key) => {
    const value = current.metadata.labels?.[key];
    const wanted = desired.metadata.labels?.[key];
    if (value === undefined || value === wanted) return [];
    const owners = labelOwners(current, key);
    if (owners.length > 0 && owners.every((o) => o === fieldManager)) return [];
    return [{ key, value, wanted, owners: owners.filter((o) => o !== fieldManager) }];
  });
  if (foreign.length === 0) return { verdict: 'update' };
  const what = foreign.map(
    (f) =>
      `label ${f.key}=${f.value} is managed by ${f.owners.length ? f.owners.join(', ') : 'no field manager'} (hubmesh would ${f.wanted === undefined ? 'remove it' : `set ${f.wanted}`})`,
  );
  return {
    verdict: 'takeover',
    reason: `Namespace ${current.metadata.name}: ${what.join('; ')}`,
    managers: [...new Set(foreign.flatMap((f) => f.owners))],
    removeLabels: foreign.filter((f) => f.wanted === undefined).map((f) => f.key),
  };
}
