import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { repoRoot } from '../cluster/harness';

/** One request for the oracle: what the ingress gateway would see. */
export type OracleRequest = { host: string; path: string; port?: number; headers?: Record<string, string> };

export type OracleMessage = { source: 'validation' | 'analysis'; level: string; code: string; object: string; message: string };

export type OracleResult = {
  virtualHost: string;
  routeName: string;
  virtualService: string;
  outcome: 'cluster' | 'weighted' | 'direct' | 'redirect' | 'no-route' | 'error';
  cluster: string;
  weightedClusters?: Array<{ name: string; weight: number }>;
  directStatus?: number;
  path: string;
  /** why a request got no-route or error */
  detail?: string;
  /** `explained`: a disagreement that goes away with the simulator's own shortcuts (path-only, partial regexes) */
  simulation: { checked: boolean; agrees: boolean; detail: string; explained?: boolean };
  /** the matched Envoy route as in a config dump (snake_case: retry_policy, timeout, typed_per_filter_config); absent when no route matched */
  route?: Record<string, unknown>;
  /** `<namespace>/<name>` of the HTTPRoute whose rule became the matched route (cases with Gateway API objects) */
  httpRoute?: string;
  /** clusters of the matched route that istiod did not generate (e.g. a backend Service that does not exist): Envoy answers them with the route's cluster_not_found_response_code, which `detail` gives */
  missingClusters?: string[];
};

/** A Gateway API status condition as Istio's gateway controller writes it. */
export type OracleGatewayApiCondition = {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
};

/** One entry of an HTTPRoute's status.parents: what the parent's controller says of the route. */
export type OracleRouteParentStatus = {
  parentRef: { group?: string; kind?: string; namespace?: string; name: string; sectionName?: string; port?: number };
  controllerName: string;
  conditions: OracleGatewayApiCondition[];
};

export type OracleGatewayStatus = {
  conditions?: OracleGatewayApiCondition[];
  addresses?: Array<{ type?: string; value: string }>;
  listeners?: Array<{ name: string; attachedRoutes: number; supportedKinds: Array<{ group?: string; kind: string }>; conditions: OracleGatewayApiCondition[] }>;
};

/** The status Istio's gateway controller computed for one Gateway API object of the case (null: it wrote none). */
export type OracleGatewayApiStatus = { kind: string; namespace: string; name: string; status: Record<string, unknown> | null };

function gatewayApiStatusOf(verdict: OracleVerdict, kind: string, namespace: string, name: string): Record<string, unknown> | null | undefined {
  return verdict.gatewayApiStatus?.find((s) => s.kind === kind && s.namespace === namespace && s.name === name)?.status;
}

/** An HTTPRoute's status.parents as Istio computed it; undefined when the case has no such HTTPRoute or Istio wrote no status. */
export function httpRouteParents(verdict: OracleVerdict, namespace: string, name: string): OracleRouteParentStatus[] | undefined {
  return (gatewayApiStatusOf(verdict, 'HTTPRoute', namespace, name) as { parents?: OracleRouteParentStatus[] } | null | undefined)?.parents;
}

/** A Gateway's status as Istio computed it; undefined when the case has no such Gateway or Istio wrote no status. */
export function gatewayStatus(verdict: OracleVerdict, namespace: string, name: string): OracleGatewayStatus | undefined {
  return (gatewayApiStatusOf(verdict, 'Gateway', namespace, name) as OracleGatewayStatus | null | undefined) ?? undefined;
}

/** one Envoy route of a generated route configuration, with the filters that have typed_per_filter_config on it */
export type OracleRouteTableEntry = { routeConfig: string; virtualHost: string; name: string; perFilterConfig: string[] };

export type OracleVerdict = {
  id: string;
  messages: OracleMessage[];
  results: OracleResult[];
  error: string;
  /** each asked cluster name → its generated Envoy cluster (snake_case), or null when none was generated */
  clusters?: Record<string, Record<string, unknown> | null>;
  /** each asked listener port ("80") → the HTTP filter names of its plaintext connection manager, in order ([] when none) */
  httpFilters?: Record<string, string[]>;
  /** each asked listener port → its plaintext connection manager's local_reply_config (snake_case), or null */
  localReplyConfig?: Record<string, Record<string, unknown> | null>;
  /** every route of every route configuration of the gateway, in config order, when asked */
  routeTable?: OracleRouteTableEntry[];
  /** the sidecar proxy the oracle set up for the case's `sidecar` (absent unless asked) */
  sidecar?: OracleSidecarInfo;
  /**
   * for each asked sidecar port, the virtualInbound filter chains Envoy picks from for a connection to it (those
   * whose match names the port; the passthrough chains when none does), with their RBAC filters in order (absent
   * unless the case has a `sidecar`); evaluate them with `./envoy-rbac`
   */
  inboundRbac?: OracleInboundRbac[];
  /** istiod's ambient view of the case (absent unless the case sets `ambient`) */
  ambient?: OracleAmbient;
  /** the status Istio's gateway controller computed for each Gateway API object of the case, Gateways first (absent when the case has none) */
  gatewayApiStatus?: OracleGatewayApiStatus[];
};

/** A status condition as istiod writes it (ZtunnelAccepted, WaypointAccepted, istio.io/WaypointBound). */
export type OracleCondition = { type: string; status: boolean; reason: string; message: string };

/** One Pod as ztunnel receives it from istiod (a WDS Workload), with istio-cni's enrolment verdict. */
export type OracleAmbientWorkload = {
  name: string;
  namespace: string;
  uid: string;
  /** HBONE when ztunnel captures the pod, else NONE */
  tunnelProtocol: 'HBONE' | 'NONE' | string;
  capturedByZtunnel: boolean;
  /** the waypoint the Workload names, `<namespace>/<hostname>`; '' for none */
  waypoint: string;
  serviceAccount: string;
  /** the ztunnel policies (`<namespace>/<name>`) the Workload names, e.g. istio-system/istio_converted_static_strict */
  authorizationPolicies: string[];
  services: string[];
  /** the Pod's ambient.istio.io/redirection annotation, '' when none */
  redirectionAnnotation: string;
  /** istio-cni's default enablement selectors (its chart's values, CompiledEnablementSelectors.Matches) select the Pod */
  cniEnrolls: boolean;
  /** the WDS Workload itself (snake_case) */
  workload: Record<string, unknown>;
};

export type OracleAmbientService = { name: string; namespace: string; hostname: string; waypoint: string; waypointBound?: OracleCondition };

/** A Gateway istiod takes for a waypoint, with its proxy's inbound chains and their RBAC filters (listener main_internal). */
export type OracleAmbientWaypoint = {
  name: string;
  namespace: string;
  /** the traffic it takes (istio.io/waypoint-for): service, workload, all or none */
  for: string;
  address: string;
  serviceAccounts: string[];
  proxy: OracleInboundRbac[];
};

/** An AuthorizationPolicy or PeerAuthentication: the L4 policy ztunnel receives for it and the conditions istiod writes. */
export type OracleAmbientPolicy = {
  kind: 'AuthorizationPolicy' | 'PeerAuthentication';
  name: string;
  namespace: string;
  /** the ztunnel policy's resource name and protojson; absent when ztunnel gets none for it */
  ztunnel?: OracleNamedConfig;
  conditions: OracleCondition[];
  /** the workloads (`<namespace>/<name>`) whose WDS Workload names the ztunnel policy */
  appliesTo: string[];
  explanation?: string;
};

export type OracleAmbient = {
  /** where each part comes from (istiod's xDS generators, its status collections) */
  source: { workloads: string; policies: string; waypoints: string };
  workloads: OracleAmbientWorkload[];
  services: OracleAmbientService[];
  waypoints: OracleAmbientWaypoint[];
  policies: OracleAmbientPolicy[];
  /** every authorization resource ztunnel receives, by name (istiod's own ones too: istio-system/istio_converted_static_strict) */
  ztunnelPolicies: OracleNamedConfig[];
  /** istioctl analyze's ConditionAnalyzer (IST0171) on the AuthorizationPolicies and Services carrying istiod's conditions */
  analysis: OracleMessage[];
  /** what the oracle completed as a running cluster would (the istio-waypoint GatewayClass, a waypoint's address) */
  notes?: string[];
};

/** The workload whose inbound sidecar configuration the oracle generates (case field `sidecar`). */
export type OracleSidecar = {
  namespace: string;
  /** select the workload's Pod among the case's objects (all must match); the proxy gets the Pod's labels */
  labels?: Record<string, string>;
  /** the Pod's name, instead of or besides `labels` */
  pod?: string;
  /** the workload's service account; default the Pod's serviceAccountName, else `default` (a mismatch is an error) */
  serviceAccount?: string;
  /** the workload's IP; default the Pod's status.podIP, else 10.10.0.10 (the Pod's status is filled in as running and ready) */
  ip?: string;
  /** workload (target) ports whose inbound filter chains to return, e.g. [8888] */
  ports: number[];
};

export type OracleSidecarInfo = {
  proxyId: string;
  /** `<namespace>/<name>` of the workload's Pod, '' when none matched */
  pod: string;
  ip: string;
  /** spiffe://cluster.local/ns/<ns>/sa/<sa> */
  identity: string;
  labels: Record<string, string>;
  /** the Service ports istiod found for the workload: `<hostname>:<port>/<protocol> -> <targetPort>` */
  serviceTargets: string[];
  /** what the oracle filled in or could not find (Pod status set, no Pod matched, no virtualInbound listener) */
  notes?: string[];
};

/** One virtualInbound filter chain, identified by its filter_chain_match. */
export type OracleInboundChain = {
  /** the asked workload port this chain serves */
  port: number;
  name: string;
  /** filter_chain_match.destination_port; 0 for a passthrough chain */
  destinationPort: number;
  /** filter_chain_match.transport_protocol: 'tls', 'raw_buffer' or '' */
  transport: string;
  applicationProtocols: string[];
  /** the chain terminates TLS (Istio mTLS): requests on it carry the peer's certificate */
  tls: boolean;
  /** the TLS context requires a client certificate, so every request on the chain has a peer principal */
  requireClientCertificate: boolean;
  /** 'http' when the chain ends in an HTTP connection manager, else 'tcp' */
  protocol: 'http' | 'tcp';
  /** a catch-all chain without destination port (no chain names the port) */
  passthrough: boolean;
  sourcePrefixRanges?: string[];
  prefixRanges?: string[];
};

/** An Envoy filter: its name and typed_config as in a config dump (snake_case, with `@type`). */
export type OracleNamedConfig = { name: string; config: Record<string, unknown> };

export type OracleInboundRbac = {
  chain: OracleInboundChain;
  /** every HTTP filter of the chain's connection manager, in order ([] on a TCP chain) */
  httpFilters: string[];
  /** the envoy.filters.http.rbac filters, in order (Istio: CUSTOM's shadow filter, then AUDIT, DENY, ALLOW) */
  filters: OracleNamedConfig[];
  /** every network filter of the chain, in order */
  networkFilterNames: string[];
  /** the envoy.filters.network.rbac filters, in order (TCP chains) */
  networkFilters: OracleNamedConfig[];
  /** what the chain's connection manager does to :path before RBAC sees it; absent on a TCP chain */
  pathHandling?: { normalize_path: boolean; merge_slashes: boolean; path_with_escaped_slashes_action: string };
  /** a filter config that could not be decoded */
  detail?: string;
};

export type OracleCase = {
  /** multi-document YAML: the Gateway, Services, VirtualServices (with the creationTimestamps Istio orders by) */
  objects: string;
  requests: OracleRequest[];
  gateway?: { namespace: string; labels: Record<string, string> };
  /** cluster names to return as generated Envoy config (verdict `clusters`), e.g. `outbound|8081||hub.jupyterhub.svc.cluster.local` */
  clusters?: string[];
  /** gateway listener ports whose HTTP filter chain and local reply config to return (verdict `httpFilters`, `localReplyConfig`) */
  listenerPorts?: number[];
  /** return every generated route with its per-filter configs (verdict `routeTable`) */
  routeTable?: boolean;
  /**
   * generate a workload's sidecar (its Pod, Service, AuthorizationPolicies and PeerAuthentications among the
   * objects) and return its inbound RBAC filters (verdict `sidecar`, `inboundRbac`); with no requests and none
   * of the gateway inspections, the gateway is not simulated at all
   */
  sidecar?: OracleSidecar;
  /**
   * run the case in an istiod with ambient mode on (PILOT_ENABLE_AMBIENT=true, in a second oracle process) and
   * return its ambient view (verdict `ambient`); with no requests, sidecar or gateway inspections, only that
   */
  ambient?: boolean;
  /**
   * simulate the router proxy of this Gateway API Gateway (one of the objects, a managed Gateway of class istio)
   * instead of the Istio ingress gateway; the oracle adds the Service, Pod and EndpointSlice Istio and Kubernetes
   * would create for it. Requests go to the port of one of its listeners.
   */
  gatewayApi?: { namespace: string; name: string };
};

/**
 * istio-oracle (test/istio-oracle), Istio's own config generator and analyzers in a Go process: one
 * case per line in, one verdict per line out. A dead or silent oracle fails the test that asked.
 */
export class Oracle {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<string, { resolve: (v: OracleVerdict) => void; reject: (e: Error) => void }>();
  private next = 0;
  private stderr = '';
  private exited: Error | undefined;

  constructor(binary: string) {
    this.child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-20_000);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let verdict: OracleVerdict;
      try {
        verdict = JSON.parse(line) as OracleVerdict;
      } catch {
        this.failAll(new Error(`istio-oracle wrote a line that is not JSON: ${line.slice(0, 500)}`));
        return;
      }
      const waiter = this.waiting.get(verdict.id);
      this.waiting.delete(verdict.id);
      waiter?.resolve(verdict);
    });
    this.child.on('exit', (code, signal) => this.failAll(new Error(`istio-oracle exited (${code ?? signal}); its last output: ${this.stderr.slice(-3000)}`)));
    this.child.on('error', (error) => this.failAll(error));
  }

  judge(c: OracleCase, timeoutMs = 120_000): Promise<OracleVerdict> {
    if (this.exited) return Promise.reject(this.exited);
    const id = `c${this.next++}`;
    return new Promise<OracleVerdict>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`istio-oracle gave no verdict for case ${id} in ${timeoutMs} ms; its last output: ${this.stderr.slice(-3000)}`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.stdin.write(`${JSON.stringify({ id, ...c })}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.exited) return;
    this.child.stdin.end();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve();
      }, 10_000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private failAll(error: Error): void {
    this.exited ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}

let built: string | undefined;

/**
 * The istio-oracle binary, built by scripts/cluster/build-oracle.sh from istio.io/istio and cached by the
 * tool's sources (.ci/run builds it beforehand, so this finds it at once). A tool that cannot be built
 * fails the test that needs it: Istio's verdict is never skipped.
 */
export function oracleBinary(): string {
  if (built) return built;
  const result = spawnSync('bash', ['scripts/cluster/build-oracle.sh'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const path = result.stdout.trim().split('\n').at(-1);
  if (result.status !== 0 || !path) throw new Error('istio-oracle did not build (scripts/cluster/build-oracle.sh); see its log above');
  built = path;
  return path;
}
