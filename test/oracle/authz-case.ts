import { isDeepStrictEqual } from 'node:util';
import type { OracleInboundChain, OracleInboundRbac, OracleSidecar } from './client';
import { evaluateRbacFilters, type RbacDecision, type RbacRequest } from './envoy-rbac';

/**
 * A notebook workload's inbound side as Istio generates it for its sidecar (istio-oracle `sidecar` cases), and
 * sample requests evaluated against the generated RBAC filters with Envoy's semantics (./envoy-rbac).
 */

export const NOTEBOOK_NAMESPACE = 'jupyterhub';
export const NOTEBOOK_PORT = 8888;
export const ROOT_NAMESPACE = 'istio-system';

/** The labels KubeSpawner gives a user's notebook Pod. */
export const notebookLabels = (user: string) => ({ component: 'singleuser-server', 'hub.jupyter.org/username': user, app: 'jupyterhub' });

/**
 * The cluster around a user's notebook: the namespaces (jupyterhub with sidecar injection, istio-system, and
 * `extraNamespaces` that policies refer to), the notebook Pod with its sidecar (service account `default`) and its
 * Service on 8888 (port name http: Istio treats it as HTTP).
 */
export function notebookObjects(options: { user?: string; namespace?: string; extraNamespaces?: string[] } = {}): Record<string, unknown>[] {
  const user = options.user ?? 'alice';
  const namespace = options.namespace ?? NOTEBOOK_NAMESPACE;
  const created = '2026-01-01T00:00:00Z';
  const ns = (name: string, labels: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, creationTimestamp: created } });
  return [
    ns(namespace, { 'istio-injection': 'enabled' }),
    ns(ROOT_NAMESPACE),
    ...(options.extraNamespaces ?? []).map((n) => ns(n)),
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `jupyter-${user}`, namespace, labels: notebookLabels(user), annotations: { 'sidecar.istio.io/status': '{"containers":["istio-proxy"]}' }, creationTimestamp: created },
      spec: {
        serviceAccountName: 'default',
        containers: [
          { name: 'notebook', image: 'quay.io/jupyter/base-notebook:latest', ports: [{ name: 'notebook-port', containerPort: NOTEBOOK_PORT, protocol: 'TCP' }] },
          { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.29.0' },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: `jupyter-${user}`, namespace, creationTimestamp: created },
      spec: { selector: notebookLabels(user), ports: [{ name: 'http', port: NOTEBOOK_PORT, targetPort: NOTEBOOK_PORT, protocol: 'TCP' }] },
    },
  ];
}

/** The oracle's `sidecar` for a user's notebook. */
export const notebookSidecar = (user = 'alice', namespace = NOTEBOOK_NAMESPACE): OracleSidecar => ({ namespace, labels: notebookLabels(user), serviceAccount: 'default', ports: [NOTEBOOK_PORT] });

/** An AuthorizationPolicy (security.istio.io/v1) object. */
export function authorizationPolicy(namespace: string, name: string, spec: Record<string, unknown>, annotations?: Record<string, string>): Record<string, unknown> {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace, creationTimestamp: '2026-01-01T00:00:00Z', ...(annotations ? { annotations } : {}) },
    spec,
  };
}

/** A PeerAuthentication (security.istio.io/v1) object. */
export function peerAuthentication(namespace: string, name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name, namespace, creationTimestamp: '2026-01-01T00:00:00Z' }, spec };
}

/** The peers of the samples, as AuthorizationPolicies write them (`principals`); `undefined`: plaintext, no peer. */
export const SAMPLE_SOURCES = {
  gateway: 'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account',
  hub: 'cluster.local/ns/jupyterhub/sa/hub',
  notebook: 'cluster.local/ns/jupyterhub/sa/default',
  stranger: 'cluster.local/ns/elsewhere/sa/default',
  plaintext: undefined,
} as const;
export type SampleSource = keyof typeof SAMPLE_SOURCES;

export const SAMPLE_PATHS = ['/user/alice/api/kernels', '/'] as const;
export const SAMPLE_METHODS = ['GET', 'POST'] as const;

/** A request to the notebook's sidecar: an RBAC request, over HTTP (default) or a TCP connection. */
export type InboundRequest = RbacRequest & { protocol?: 'http' | 'tcp' };

export type SampleRequest = {
  /** e.g. `hub POST /user/alice/api/kernels` */
  label: string;
  source: SampleSource;
  /** the peer as policies write it (`cluster.local/ns/<ns>/sa/<sa>`), absent for plaintext */
  principal?: string;
  request: InboundRequest;
};

/** Every source × path × method on the notebook port, as the notebook's sidecar receives them. */
export function sampleRequests(options: { port?: number; host?: string } = {}): SampleRequest[] {
  const port = options.port ?? NOTEBOOK_PORT;
  const host = options.host ?? `jupyter-alice.${NOTEBOOK_NAMESPACE}.svc.cluster.local:${port}`;
  const out: SampleRequest[] = [];
  for (const source of Object.keys(SAMPLE_SOURCES) as SampleSource[]) {
    const principal = SAMPLE_SOURCES[source];
    for (const path of SAMPLE_PATHS) {
      for (const method of SAMPLE_METHODS) {
        out.push({
          label: `${source} ${method} ${path}`,
          source,
          ...(principal ? { principal } : {}),
          request: { ...(principal ? { principal: `spiffe://${principal}` } : {}), port, method, path, host },
        });
      }
    }
  }
  return out;
}

export type InboundOutcome = {
  allowed: boolean;
  /** `no-filter-chain`: no chain takes the connection (e.g. plaintext under STRICT mTLS), Envoy closes it */
  reason: 'allowed' | 'denied' | 'no-filter-chain';
  /** the chain that took the request (the first, when several equivalent ones could) */
  chain?: OracleInboundChain;
  /** the network RBAC filters' decision (run first), then the HTTP ones' */
  network?: RbacDecision;
  http?: RbacDecision;
};

/**
 * Which of the inbound chains the oracle returned takes the request, and what its RBAC filters decide: a peer
 * principal means Istio mTLS (a chain that terminates TLS), none means plaintext (a chain that does not); HTTP
 * requests take HTTP chains, `protocol: 'tcp'` connections TCP chains. Several candidate chains must carry the
 * same RBAC filters (else this throws: which one Envoy picks would depend on ALPN details the request does not say).
 */
export function evaluateInbound(entries: readonly OracleInboundRbac[], request: InboundRequest): InboundOutcome {
  const protocol = request.protocol ?? 'http';
  const forPort = entries.filter((e) => e.chain.port === request.port);
  if (forPort.length === 0) throw new Error(`the oracle returned no inbound chain for port ${request.port} (ask for it in sidecar.ports)`);
  const candidates = forPort.filter((e) => e.chain.protocol === protocol && (request.principal !== undefined ? e.chain.tls && e.chain.transport === 'tls' : !e.chain.tls && e.chain.transport !== 'tls'));
  if (candidates.length === 0) return { allowed: false, reason: 'no-filter-chain' };
  const first = candidates[0]!;
  for (const other of candidates.slice(1)) {
    if (!isDeepStrictEqual(other.filters, first.filters) || !isDeepStrictEqual(other.networkFilters, first.networkFilters)) {
      throw new Error(`chains ${first.chain.name} and ${other.chain.name} both take the request but carry different RBAC filters`);
    }
  }
  const network = evaluateRbacFilters(first.networkFilters, request, 'tcp');
  if (!network.allowed) return { allowed: false, reason: 'denied', chain: first.chain, network };
  if (protocol === 'tcp') return { allowed: true, reason: 'allowed', chain: first.chain, network };
  const http = evaluateRbacFilters(first.filters, request, 'http');
  return { allowed: http.allowed, reason: http.allowed ? 'allowed' : 'denied', chain: first.chain, network, http };
}

/** The samples' outcomes on the oracle's inbound chains. */
export function judgeSamples(entries: readonly OracleInboundRbac[], samples: SampleRequest[] = sampleRequests()): Array<SampleRequest & { outcome: InboundOutcome }> {
  return samples.map((s) => ({ ...s, outcome: evaluateInbound(entries, s.request) }));
}

/** The labels of the allowed samples, for compact assertions. */
export const allowedLabels = (judged: Array<{ label: string; outcome: InboundOutcome }>) => judged.filter((j) => j.outcome.allowed).map((j) => j.label);

// ---------------------------------------------------------------------------
// Scenarios: AuthorizationPolicies for a notebook and which samples Istio lets through.

const GATEWAY_SA = SAMPLE_SOURCES.gateway;
const HUB_SA = SAMPLE_SOURCES.hub;
const notebooks = { matchLabels: { component: 'singleuser-server' } };

export type AuthzScenario = {
  name: string;
  /** objects besides notebookObjects(): the policies, PeerAuthentications, more Services */
  objects: Record<string, unknown>[];
  /** namespaces the policies refer to, created so that the analyzers find them */
  extraNamespaces?: string[];
  /** ports besides 8888 to ask the oracle for */
  extraPorts?: number[];
  /** which samples (sampleRequests()) Istio lets through */
  allowed: (sample: SampleRequest) => boolean;
  /** more requests with their expected outcome (e.g. TCP connections) */
  extra?: Array<{ label: string; request: InboundRequest; allowed: boolean }>;
  /** Istio's validation and analyzers warn about these objects (else they must say nothing at all) */
  warns?: boolean;
};

const isKernels = (s: SampleRequest) => s.request.path === '/user/alice/api/kernels';

/** The policies hubmesh's notebooks meet, each with what Istio makes of it. */
export function authzScenarios(): AuthzScenario[] {
  const allowGatewayAndHub = authorizationPolicy(NOTEBOOK_NAMESPACE, 'notebooks', {
    selector: notebooks,
    action: 'ALLOW',
    rules: [{ from: [{ source: { principals: [GATEWAY_SA, HUB_SA] } }] }],
  });
  return [
    {
      name: 'ALLOW from the gateway and the hub',
      objects: [allowGatewayAndHub],
      allowed: (s) => s.source === 'gateway' || s.source === 'hub',
    },
    {
      name: 'ALLOW from the gateway and the hub, STRICT mTLS',
      objects: [allowGatewayAndHub, peerAuthentication(NOTEBOOK_NAMESPACE, 'default', { mtls: { mode: 'STRICT' } })],
      allowed: (s) => s.source === 'gateway' || s.source === 'hub',
    },
    {
      name: 'DENY the hub POSTing kernels, before the ALLOW',
      objects: [
        allowGatewayAndHub,
        authorizationPolicy(NOTEBOOK_NAMESPACE, 'no-hub-kernels', {
          selector: notebooks,
          action: 'DENY',
          // with the port: a DENY rule of HTTP attributes only would deny every connection to TCP ports (Istio warns)
          rules: [{ from: [{ source: { principals: [HUB_SA] } }], to: [{ operation: { methods: ['POST'], paths: ['/user/alice/api/kernels*'], ports: [String(NOTEBOOK_PORT)] } }] }],
        }),
      ],
      allowed: (s) => s.source === 'gateway' || (s.source === 'hub' && !(s.request.method === 'POST' && isKernels(s))),
    },
    {
      name: 'DENY from outside the mesh namespaces (notNamespaces also denies plaintext)',
      objects: [
        authorizationPolicy(NOTEBOOK_NAMESPACE, 'outsiders', {
          selector: notebooks,
          action: 'DENY',
          rules: [{ from: [{ source: { notNamespaces: [ROOT_NAMESPACE, NOTEBOOK_NAMESPACE] } }] }],
        }),
      ],
      // a plaintext peer has no principal, so its namespace is "not" any of those: denied
      allowed: (s) => s.source === 'gateway' || s.source === 'hub' || s.source === 'notebook',
    },
    {
      name: 'root-namespace policy (istio-system, no selector) allowing the mesh namespaces',
      objects: [
        authorizationPolicy(ROOT_NAMESPACE, 'mesh-namespaces', {
          action: 'ALLOW',
          rules: [{ from: [{ source: { namespaces: [ROOT_NAMESPACE, NOTEBOOK_NAMESPACE] } }] }],
        }),
      ],
      allowed: (s) => s.source === 'gateway' || s.source === 'hub' || s.source === 'notebook',
    },
    {
      name: 'paths, methods and ports',
      objects: [
        authorizationPolicy(NOTEBOOK_NAMESPACE, 'operations', {
          selector: notebooks,
          action: 'ALLOW',
          rules: [
            { from: [{ source: { principals: [GATEWAY_SA] } }], to: [{ operation: { paths: ['/user/alice/*'], methods: ['GET', 'POST'], ports: ['8888'] } }] },
            { from: [{ source: { principals: [HUB_SA] } }], to: [{ operation: { methods: ['GET'], paths: ['/user/alice/api/*'] } }] },
            { from: [{ source: { principals: [SAMPLE_SOURCES.notebook] } }], to: [{ operation: { ports: ['9999'] } }] },
          ],
        }),
      ],
      allowed: (s) => (s.source === 'gateway' && isKernels(s)) || (s.source === 'hub' && isKernels(s) && s.request.method === 'GET'),
    },
    {
      name: 'rules: [{}] allows everything, plaintext too',
      objects: [authorizationPolicy(NOTEBOOK_NAMESPACE, 'allow-all', { selector: notebooks, action: 'ALLOW', rules: [{}] })],
      allowed: () => true,
    },
    {
      name: 'an ALLOW policy without rules denies everything',
      objects: [authorizationPolicy(NOTEBOOK_NAMESPACE, 'allow-nothing', { selector: notebooks, action: 'ALLOW' })],
      allowed: () => false,
    },
    {
      name: 'a dry-run deny-everything policy enforces nothing',
      objects: [authorizationPolicy(NOTEBOOK_NAMESPACE, 'dry-run-allow-nothing', { selector: notebooks, action: 'ALLOW' }, { 'istio.io/dry-run': 'true' })],
      allowed: () => true,
    },
    {
      name: 'HTTP-only fields on a TCP port: ALLOW rules with them are dropped, DENY rules lose them',
      extraPorts: [9000],
      warns: true, // IST0133 and the same validation warning: the DENY rule denies all TCP traffic from the gateway
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'jupyter-alice-debug', namespace: NOTEBOOK_NAMESPACE, creationTimestamp: '2026-01-01T00:00:00Z' },
          spec: { selector: notebookLabels('alice'), ports: [{ name: 'tcp-debug', port: 9000, targetPort: 9000, protocol: 'TCP' }] },
        },
        authorizationPolicy(NOTEBOOK_NAMESPACE, 'hub-paths', {
          selector: notebooks,
          action: 'ALLOW',
          rules: [
            { from: [{ source: { principals: [HUB_SA] } }], to: [{ operation: { paths: ['/user/alice/*'] } }] },
            { from: [{ source: { principals: [GATEWAY_SA] } }] },
          ],
        }),
        authorizationPolicy(NOTEBOOK_NAMESPACE, 'no-gateway-api', {
          selector: notebooks,
          action: 'DENY',
          rules: [{ from: [{ source: { principals: [GATEWAY_SA] } }], to: [{ operation: { paths: ['/user/alice/api/*'] } }] }],
        }),
      ],
      allowed: (s) => (s.source === 'hub' && s.request.path !== '/') || (s.source === 'gateway' && !isKernels(s)),
      extra: [
        // on TCP the hub's rule (it has paths) is left out of the ALLOW filter, and the gateway's DENY rule
        // loses its paths: it denies every connection from the gateway
        { label: 'hub TCP 9000', request: { protocol: 'tcp', principal: `spiffe://${HUB_SA}`, port: 9000 }, allowed: false },
        { label: 'gateway TCP 9000', request: { protocol: 'tcp', principal: `spiffe://${GATEWAY_SA}`, port: 9000 }, allowed: false },
        { label: 'notebook TCP 9000', request: { protocol: 'tcp', principal: `spiffe://${SAMPLE_SOURCES.notebook}`, port: 9000 }, allowed: false },
      ],
    },
  ];
}
