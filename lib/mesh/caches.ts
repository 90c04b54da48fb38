import type { Logger } from 'pino';
import { authorizationPolicyKind, type AuthorizationPolicy } from '../kube/authorizationpolicies';
import { podCacheShape, podKind, type Pod } from '../kube/pods';
import { destinationRuleKind, type DestinationRule } from '../kube/destinationrules';
import { envoyFilterKind, type EnvoyFilter } from '../kube/envoyfilters';
import { gatewayKind, type Gateway } from '../kube/gateways';
import type { CacheView } from '../kube/cache-view';
import { Informer, withoutManagedFields } from '../kube/informer';
import { k8sGatewayKind, type K8sGateway } from '../kube/k8s-gateways';
import { namespaceKind, type Namespace } from '../kube/namespaces';
import { networkPolicyKind, type NetworkPolicy } from '../kube/networkpolicies';
import { peerAuthenticationKind, type PeerAuthentication } from '../kube/peerauthentications';
import { ResourceStore } from '../kube/resource-store';
import type { KindDescriptor, KubeObject, ResourceBackend } from '../kube/types';
import { virtualServiceKind, type VirtualService } from '../kube/virtualservices';
import { LABELS } from '../kube/labels';
import { waypointRefs } from './ambient';
import type { MeshAroundPods } from './types';

/**
 * The watch caches behind mesh security (cluster mode only): mTLS settings in the hub namespace and in
 * Istio's root namespace, the hub's Gateways, VirtualServices hubmesh does not manage (they can shadow
 * routes), namespaces (their injection labels), hubmesh's EnvoyFilters on the gateway (rate limits), the
 * AuthorizationPolicies of the hub and root namespaces, the gateway's pods (its identity), the hub
 * namespace's NetworkPolicies (the isolation validations), and its Gateway API Gateways (ambient's waypoints).
 */
export type MeshCaches = {
  peerAuthentications: { hub: Informer<PeerAuthentication>; root: Informer<PeerAuthentication> };
  destinationRules: { hub: Informer<DestinationRule>; root: Informer<DestinationRule> };
  gateways: Informer<Gateway>;
  foreignVirtualServices: Informer<VirtualService>;
  namespaces: Informer<Namespace>;
  /** hubmesh's EnvoyFilters in the gateway pods' namespace (the rate limits) */
  envoyFilters: Informer<EnvoyFilter>;
  /** the hub namespace's and the root namespace's (mesh-wide) AuthorizationPolicies */
  authorizationPolicies: { hub: Informer<AuthorizationPolicy>; root: Informer<AuthorizationPolicy> };
  /** the ingress gateway's pods, by the gateway selector: their service accounts are the gateway's identity */
  gatewayPods: Informer<Pod>;
  /** the hub namespace's NetworkPolicies (networking.k8s.io) */
  networkPolicies: Informer<NetworkPolicy>;
  /** the hub namespace's Gateway API Gateways, of which those of class istio-waypoint are waypoints; empty without the Gateway API's CRDs */
  k8sGateways: Informer<K8sGateway>;
  /** every cache by a name for status, metrics and readiness */
  all: Record<string, CacheView>;
};

export function createMeshCaches(options: {
  backend: <T extends KubeObject>(kind: KindDescriptor) => ResourceBackend<T>;
  namespace: string;
  rootNamespace: string;
  gatewayNamespace: string;
  /** where the ingress gateway's pods (and so hubmesh's EnvoyFilters) are */
  gatewayPodNamespace: string;
  prefix: string;
  /** labels of the ingress gateway's pods */
  gatewaySelector: Record<string, string>;
  log: Logger;
}): MeshCaches {
  const cache = <T extends KubeObject>(kind: KindDescriptor, namespace: string, labelSelector?: string) =>
    new ResourceStore<T>(options.backend<T>(kind), namespace, labelSelector, options.log.child({ cache: `${kind.plural}@${namespace || 'cluster'}` })).cache;
  const gatewaySelector = Object.entries(options.gatewaySelector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const hubAuthorizationPolicies = cache<AuthorizationPolicy>(authorizationPolicyKind, options.namespace);
  const hubPeerAuthentications = cache<PeerAuthentication>(peerAuthenticationKind, options.namespace);
  const hubDestinationRules = cache<DestinationRule>(destinationRuleKind, options.namespace);
  const sameRoot = options.rootNamespace === options.namespace;
  const caches = {
    peerAuthentications: { hub: hubPeerAuthentications, root: sameRoot ? hubPeerAuthentications : cache<PeerAuthentication>(peerAuthenticationKind, options.rootNamespace) },
    destinationRules: { hub: hubDestinationRules, root: sameRoot ? hubDestinationRules : cache<DestinationRule>(destinationRuleKind, options.rootNamespace) },
    gateways: cache<Gateway>(gatewayKind, options.gatewayNamespace),
    foreignVirtualServices: cache<VirtualService>(virtualServiceKind, options.namespace, `${LABELS.managedBy}!=hubmesh`),
    namespaces: cache<Namespace>(namespaceKind, ''),
    envoyFilters: cache<EnvoyFilter>(envoyFilterKind, options.gatewayPodNamespace, `${LABELS.managedBy}=hubmesh,${LABELS.prefix}=${options.prefix}`),
    authorizationPolicies: {
      hub: hubAuthorizationPolicies,
      root: sameRoot ? hubAuthorizationPolicies : cache<AuthorizationPolicy>(authorizationPolicyKind, options.rootNamespace),
    },
    gatewayPods: new ResourceStore<Pod>(options.backend<Pod>(podKind), options.gatewayPodNamespace, gatewaySelector, options.log.child({ cache: `pods@${options.gatewayPodNamespace}` }), podCacheShape()).cache,
    networkPolicies: cache<NetworkPolicy>(networkPolicyKind, options.namespace),
    k8sGateways: new Informer<K8sGateway>(
      options.backend<K8sGateway>(k8sGatewayKind),
      options.namespace,
      undefined,
      options.log.child({ cache: `gateways.gateway.networking.k8s.io@${options.namespace}` }),
      withoutManagedFields,
      { optionalKind: true },
    ),
  };
  const all: Record<string, CacheView> = {
    'peerauthentications@hub': caches.peerAuthentications.hub,
    'destinationrules@hub': caches.destinationRules.hub,
    gateways: caches.gateways,
    'virtualservices@foreign': caches.foreignVirtualServices,
    namespaces: caches.namespaces,
    envoyfilters: caches.envoyFilters,
    'authorizationpolicies@hub': caches.authorizationPolicies.hub,
    'pods@gateway': caches.gatewayPods,
    networkpolicies: caches.networkPolicies,
    'gateways@gateway-api': caches.k8sGateways,
  };
  if (!sameRoot) {
    all['peerauthentications@root'] = caches.peerAuthentications.root;
    all['destinationrules@root'] = caches.destinationRules.root;
    all['authorizationpolicies@root'] = caches.authorizationPolicies.root;
  }
  return { ...caches, all };
}

/** The mesh around the hub's pods, as the caches hold it now. */
export function meshAroundPods(caches: MeshCaches, rootNamespace: string): MeshAroundPods {
  const { hub, root } = caches.authorizationPolicies;
  return {
    namespaces: caches.namespaces.list(),
    waypoints: waypointRefs(caches.k8sGateways.list()),
    authorizationPolicies: hub === root ? hub.list() : [...hub.list(), ...root.list()],
    rootNamespace,
  };
}
