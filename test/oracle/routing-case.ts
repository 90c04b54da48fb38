import { stringify } from 'yaml';
import type { KubeObject } from '@/lib/kube/types';
import type { RouteApi } from '@/lib/routes/route-objects';
import { parseTarget } from '@/lib/routes/target';
import type { ChpChoice } from './chp';
import type { OracleCase, OracleRequest, OracleResult } from './client';

export const GATEWAY_NAME = 'jupyterhub-gateway';
const CLUSTER_DOMAIN = 'cluster.local';

/** The Istio Gateway the routes bind to, selecting the ingress gateway the oracle simulates. */
export function gatewayObject(namespace: string) {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: GATEWAY_NAME, namespace, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] },
  };
}

/**
 * The Gateway API Gateway the HTTPRoutes attach to (class istio, one HTTP listener for every host), as a cluster
 * admin would make it for hubmesh's httproute backend. A ClusterIP Service, so Istio gives it an address without
 * a load balancer.
 */
export function gatewayApiGatewayObject(namespace: string) {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: GATEWAY_NAME, namespace, creationTimestamp: '2026-01-01T00:00:00Z', annotations: { 'networking.istio.io/service-type': 'ClusterIP' } },
    spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Same' } } }] },
  };
}

/** What a test needs per route backend: the route objects' API group, the Gateway they attach to, and how the oracle simulates it. */
export type RoutingBackend = {
  api: RouteApi;
  objects: { group: string; version: string; plural: string };
  gateway(namespace: string): unknown;
  judgeWith(namespace: string): Pick<OracleCase, 'gatewayApi'>;
};

export const ROUTING_BACKENDS: RoutingBackend[] = [
  { api: 'virtualservice', objects: { group: 'networking.istio.io', version: 'v1', plural: 'virtualservices' }, gateway: gatewayObject, judgeWith: () => ({}) },
  {
    api: 'httproute',
    objects: { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' },
    gateway: gatewayApiGatewayObject,
    judgeWith: (namespace) => ({ gatewayApi: { namespace, name: GATEWAY_NAME } }),
  },
];

/** A Service for each target host the routes name (Istio builds clusters for the hosts it knows). */
export function serviceObjects(namespace: string, targets: Iterable<string>) {
  const ports = new Map<string, Set<number>>();
  for (const target of targets) {
    const parsed = parseTarget(target, namespace, CLUSTER_DOMAIN);
    if (!parsed.ok || parsed.target.kind !== 'host') throw new Error(`test target ${target} is not a Service name`);
    const name = parsed.target.host.split('.')[0]!;
    if (!ports.has(name)) ports.set(name, new Set());
    ports.get(name)!.add(parsed.target.port);
  }
  return [...ports].map(([name, set]) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { selector: { app: name }, ports: [...set].map((port) => ({ name: `http-${port}`, port, targetPort: port, protocol: 'TCP' })) },
  }));
}

/**
 * The VirtualServices as read from the apiserver, with their ages replaced: `ranks[i]` is object i's age
 * rank, and objects whose ranks fall in the same `tieWidth`-wide group share a creation second (istiod then
 * orders them by name). This is how a test puts hubmesh's objects in any order Istio could see them in.
 */
export function withAges<T extends KubeObject>(objects: T[], ranks: number[], tieWidth: number): T[] {
  const base = Date.parse('2026-06-01T00:00:00Z');
  return objects.map((vs, i) => ({
    ...vs,
    metadata: {
      ...vs.metadata,
      managedFields: undefined,
      creationTimestamp: new Date(base + Math.floor((ranks[i] ?? 0) / Math.max(1, tieWidth)) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  }));
}

function permutations(n: number): number[][] {
  if (n <= 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

/** Orders of age for n objects: every permutation up to 5 objects (else rotations and reversals), and all in one second. */
export function ageOrders(n: number): Array<{ ranks: number[]; tieWidth: number }> {
  const orders = n <= 5 ? permutations(n) : Array.from({ length: n }, (_, k) => Array.from({ length: n }, (_, i) => (i + k) % n)).flatMap((r) => [r, [...r].reverse()]);
  return [...orders.map((ranks) => ({ ranks, tieWidth: 1 })), { ranks: Array.from({ length: n }, () => 0), tieWidth: 1 }];
}

export function objectsYaml(objects: unknown[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

export function expectedCluster(target: string, namespace: string): string {
  const parsed = parseTarget(target, namespace, CLUSTER_DOMAIN);
  if (!parsed.ok || parsed.target.kind !== 'host') throw new Error(`test target ${target} is not a Service name`);
  return `outbound|${parsed.target.port}||${parsed.target.host}`;
}

/**
 * Why Istio's answer differs from CHP's, or undefined when they agree: the same upstream (or both no
 * route: Envoy's 404 or hubmesh's own 404 rule), and the same forwarded path.
 */
export function disagreement(request: OracleRequest, chp: ChpChoice, istio: OracleResult, namespace: string): string | undefined {
  const at = `${request.host}${request.path}${request.headers ? ` ${JSON.stringify(request.headers)}` : ''}`;
  if (!chp) {
    if (istio.outcome === 'no-route' || (istio.outcome === 'direct' && istio.directStatus === 404)) return undefined;
    return `${at}: CHP has no route (404), Istio sends it to ${istio.cluster || istio.outcome} by rule ${istio.routeName} of ${istio.httpRoute ?? istio.virtualService}`;
  }
  const cluster = expectedCluster(chp.target, namespace);
  if (istio.outcome !== 'cluster' || istio.cluster !== cluster) {
    return `${at}: CHP picks ${chp.prefix} → ${chp.target}, Istio ${istio.outcome} ${istio.cluster || istio.directStatus || ''} by rule ${istio.routeName} of ${istio.httpRoute ?? istio.virtualService}`;
  }
  if (istio.path !== chp.path) return `${at}: both pick ${chp.target}, but CHP forwards path ${chp.path} and Istio ${istio.path}`;
  return undefined;
}
