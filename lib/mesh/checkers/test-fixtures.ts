/** Builders of plain Kubernetes objects for the checkers' unit tests. */
import type { DestinationRule, TrafficPolicy } from '../../kube/destinationrules';
import type { Gateway } from '../../kube/gateways';
import type { Namespace } from '../../kube/namespaces';
import type { PeerAuthentication } from '../../kube/peerauthentications';
import type { Pod } from '../../kube/pods';
import type { Service, ServicePort } from '../../kube/services';
import type { HTTPRouteObject } from '../../kube/httproutes';
import type { HTTPRoute, VirtualService } from '../../kube/virtualservices';
import { parentReference, renderRouteHTTPRoute } from '../../routes/httproute';
import type { Overlays } from '../../routes/overlays';
import { renderRouteVirtualService } from '../../routes/virtualservice';
import type { ValidationSnapshot } from './types';

export const NS = 'jupyterhub';
export const PREFIX = 'hubmesh';
export const GATEWAY = `${NS}/jupyterhub-gateway`;
export const HUB_HOST = 'hub.example.org';

/** A time `seconds` after a fixed origin, as the apiserver writes creationTimestamp. */
export const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds)).toISOString().replace('.000Z', 'Z');

export function snapshot(parts: Partial<ValidationSnapshot> = {}): ValidationSnapshot {
  return {
    namespace: NS,
    rootNamespace: 'istio-system',
    clusterDomain: 'cluster.local',
    prefix: PREFIX,
    notebookSelector: 'component=singleuser-server',
    observedNamespaces: [NS],
    virtualServices: [],
    gateways: [gateway('jupyterhub-gateway')],
    services: [],
    pods: [],
    destinationRules: [],
    peerAuthentications: [],
    namespaces: [],
    effectiveMtls: {},
    envoyFilters: [],
    networkPolicies: [],
    authorizationPolicies: [],
    trustDomain: 'cluster.local',
    ...parts,
  };
}

/** A hub route stored as a Gateway API HTTPRoute (HUBMESH_ROUTE_API=httproute) on GATEWAY, rendered by hubmesh's own renderer. */
export function hubHttpRoute(path: string, options: { service: string; port?: number; user?: string; created?: number }): HTTPRouteObject {
  const port = options.port ?? 8888;
  const data = { target: `http://${options.service}.${NS}.svc.cluster.local:${port}`, ...(options.user ? { user: options.user, server_name: '' } : {}) };
  const ctx = { namespace: NS, prefix: PREFIX, gateway: GATEWAY, hosts: [HUB_HOST], hostRouting: false, routeTimeout: undefined, parent: parentReference(GATEWAY, undefined) };
  const route = renderRouteHTTPRoute({ path, data, lastActivity: at(0) }, { host: `${options.service}.${NS}.svc.cluster.local`, port }, ctx);
  route.metadata.creationTimestamp = at(options.created ?? 0);
  return route;
}

/** A route as hubmesh renders it, to the Service `service` on `port`. */
export function hubRoute(
  path: string,
  options: { service?: string; port?: number; user?: string; hub?: boolean; created?: number; hosts?: string[]; prefix?: string; overlays?: Overlays; routeTimeout?: string } = {},
): VirtualService {
  const data = { target: `http://${options.service ?? 'svc'}.${NS}.svc.cluster.local:${options.port ?? 8888}`, ...(options.user ? { user: options.user, server_name: '' } : {}), ...(options.hub ? { hub: true } : {}) };
  const vs = renderRouteVirtualService(
    { path, data, lastActivity: at(0) },
    { host: `${options.service ?? 'svc'}.${NS}.svc.cluster.local`, port: options.port ?? 8888 },
    { namespace: NS, prefix: options.prefix ?? PREFIX, gateway: GATEWAY, hosts: options.hosts ?? [HUB_HOST], hostRouting: false, routeTimeout: options.routeTimeout },
    options.overlays,
  );
  vs.metadata.creationTimestamp = at(options.created ?? 0);
  return vs;
}

/** Someone else's VirtualService on the hub's gateway and host, unless told otherwise. */
export function virtualService(
  name: string,
  http: HTTPRoute[],
  options: { created?: number; hosts?: string[]; gateways?: string[]; namespace?: string } = {},
): VirtualService {
  return {
    metadata: { name, namespace: options.namespace ?? NS, creationTimestamp: at(options.created ?? 0) },
    spec: { hosts: options.hosts ?? [HUB_HOST], gateways: options.gateways ?? [GATEWAY], http },
  };
}

/** An http rule matching a URI prefix, to `destination`. */
export const prefixRule = (prefix: string, destination = `other.${NS}.svc.cluster.local`): HTTPRoute => ({
  match: [{ uri: { prefix } }],
  route: [{ destination: { host: destination } }],
});

export function gateway(name: string, hosts: string[] = ['*'], options: { namespace?: string; protocol?: string; port?: number } = {}): Gateway {
  return {
    metadata: { name, namespace: options.namespace ?? NS },
    spec: {
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: options.port ?? 80, name: 'http', protocol: options.protocol ?? 'HTTP' }, hosts }],
    },
  };
}

export function service(name: string, ports: ServicePort[] = [{ name: 'http', port: 8888 }], selector: Record<string, string> = { app: name }): Service {
  return { metadata: { name, namespace: NS }, spec: { selector, ports } };
}

export function pod(
  name: string,
  labels: Record<string, string>,
  options: { phase?: string; sidecar?: boolean; annotations?: Record<string, string>; deleting?: boolean } = {},
): Pod {
  const containers = [{ name: 'notebook' }, ...(options.sidecar === false ? [] : [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.28.1' }])];
  return {
    metadata: { name, namespace: NS, labels, annotations: options.annotations, deletionTimestamp: options.deleting ? at(5) : undefined },
    spec: { containers },
    status: { phase: options.phase ?? 'Running' },
  };
}

/** A notebook pod as KubeSpawner labels it. */
export const notebookPod = (name: string, user: string, options: Parameters<typeof pod>[2] = {}) =>
  pod(name, { component: 'singleuser-server', 'hub.jupyter.org/username': user, 'hub.jupyter.org/servername': '', app: name }, options);

export const namespace = (name: string, labels?: Record<string, string>): Namespace => ({ metadata: { name, labels } });

export function destinationRule(name: string, host: string, trafficPolicy?: TrafficPolicy, namespaceName = NS): DestinationRule {
  return { metadata: { name, namespace: namespaceName }, spec: { host, trafficPolicy } };
}

export function peerAuthentication(name: string, mode: 'STRICT' | 'PERMISSIVE' | 'DISABLE', matchLabels?: Record<string, string>): PeerAuthentication {
  return { metadata: { name, namespace: NS }, spec: { selector: matchLabels && { matchLabels }, mtls: { mode } } };
}
