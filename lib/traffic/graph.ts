import type { Pod } from '../kube/pods';
import { hubServerOf, hubUserOf, podStatus } from '../mesh/pod-status';
import { trafficWindow, type TrafficSource } from '../mesh/traffic';
import { queryVectors, type InstantSample } from '../telemetry/prometheus';
import { promqlString } from '../telemetry/promql';
import { NEVER_FORWARDED_MATCH } from '../telemetry/response-flags';

/**
 * The traffic graph of the hub namespace, like Kiali's but in JupyterHub's words: the ingress gateway, the hub,
 * hubmesh, each notebook (its user and server), other workloads and "unknown / outside the mesh", joined by
 * edges carrying request rates, error ratios, the mTLS share and TCP bytes, from Istio's standard metrics.
 *
 * Four queries per refresh whatever the number of users, each one `sum by` source and destination workload over
 * the traffic whose destination or source is in the hub namespace:
 * - requests the destination's proxy reported (it alone knows the connection's security policy), by policy and
 *   response class;
 * - requests only the source's proxy knows of, because it never forwarded them (NEVER_FORWARDED, response-flags.ts);
 * - TCP bytes sent and received, as the destination's proxy reported them.
 */

const SOURCE = ['source_workload', 'source_workload_namespace'];
const DESTINATION = ['destination_workload', 'destination_workload_namespace', 'destination_service_name', 'destination_service_namespace'];
const POLICY = 'connection_security_policy';
const RESPONSE_CLASS = 'response_class';

export type GraphScope = {
  /** the hub namespace */
  namespace: string;
  /** rate() window, a Prometheus duration such as 5m */
  window: string;
};

/**
 * `(sum by (by) (fn(metric{in the namespace}[w])) or sum by (by) (fn(metric{from the namespace, to elsewhere}[w]))) > 0`:
 * the two selectors are disjoint, so `or` adds rather than picks, and no series is read twice.
 */
function eitherEndInNamespace(scope: GraphScope, metric: string, options: { reporter: 'destination' | 'source'; destinationNamespace: string; by: string[]; fn: 'rate' | 'increase'; extraMatchers?: string; wrap?: (expression: string) => string }): string {
  const window = trafficWindow.parse(scope.window);
  const namespace = promqlString(scope.namespace);
  const extra = options.extraMatchers ?? '';
  const wrap = options.wrap ?? ((expression: string) => expression);
  const sides = [`${options.destinationNamespace}=${namespace}`, `source_workload_namespace=${namespace},${options.destinationNamespace}!=${namespace}`].map(
    (matchers) => `sum by (${options.by.join(', ')}) (${wrap(`${options.fn}(${metric}{reporter="${options.reporter}",${matchers}${extra}}[${window}])`)})`,
  );
  return `(${sides.join(' or ')}) > 0`;
}

// "503" → "5xx"; Envoy's 0 (no response at all) → "0xx"
const byResponseClass = (expression: string) => `label_replace(${expression}, "${RESPONSE_CLASS}", "\${1}xx", "response_code", "([0-9]).*")`;

/** The four instant queries of one refresh. */
export function graphQueries(scope: GraphScope) {
  const destination = { reporter: 'destination', destinationNamespace: 'destination_workload_namespace' } as const;
  return {
    requests: eitherEndInNamespace(scope, 'istio_requests_total', { ...destination, fn: 'rate', by: [...SOURCE, ...DESTINATION, POLICY, RESPONSE_CLASS], wrap: byResponseClass }),
    // the source's proxy may not know the destination's workload (no connection was made): only its service
    unforwarded: eitherEndInNamespace(scope, 'istio_requests_total', {
      reporter: 'source',
      destinationNamespace: 'destination_service_namespace',
      fn: 'rate',
      by: [...SOURCE, ...DESTINATION, 'response_code', 'response_flags'],
      extraMatchers: `,response_flags=~${NEVER_FORWARDED_MATCH}`,
    }),
    tcpSent: eitherEndInNamespace(scope, 'istio_tcp_sent_bytes_total', { ...destination, fn: 'increase', by: [...SOURCE, ...DESTINATION, POLICY] }),
    tcpReceived: eitherEndInNamespace(scope, 'istio_tcp_received_bytes_total', { ...destination, fn: 'increase', by: [...SOURCE, ...DESTINATION, POLICY] }),
  };
}

/** Results of graphQueries(), by the same names. */
export type GraphVectors = Record<keyof ReturnType<typeof graphQueries>, InstantSample[]>;

export type NodeKind = 'gateway' | 'hub' | 'hubmesh' | 'notebook' | 'workload' | 'unknown' | 'idle';

export type GraphNode = {
  /** stable across refreshes: gateway, hub, hubmesh, unknown, idle-notebooks, notebook:<pod>, workload:<namespace>/<name> */
  id: string;
  kind: NodeKind;
  label: string;
  namespace?: string;
  /** the Istio workload names this node stands for (a gateway's or the hub's Deployment, a notebook's pod) */
  workloads: string[];
  /** notebooks: the JupyterHub user and server ('' for the default server), and the pod's name and status */
  user?: string;
  server?: string;
  pod?: string;
  status?: string;
  /** the idle node: how many notebooks had no traffic in the window */
  count?: number;
  /** requests per second into and out of the node, over the graph's edges */
  requestsIn: number;
  requestsOut: number;
};

export type GraphEdge = {
  /** `<source id>-><target id>` */
  id: string;
  source: string;
  target: string;
  /** HTTP and gRPC requests per second: those the destination reported and those that never reached it */
  requestsPerSecond: number;
  /** per second, by response class (2xx, 3xx, 4xx, 5xx, and 0xx for no response at all) */
  responses: Record<string, number>;
  /** 5xx answers / requests; null without requests */
  errorRatio: number | null;
  /** requests that never reached a destination (the caller's proxy reported them), per second, and their Envoy flags */
  unforwarded: { perSecond: number; flags: string[] };
  /** mutual TLS share of what the destination reported: requests, or TCP bytes on a TCP-only edge; null when it reported nothing */
  mtlsShare: number | null;
  /** bytes over the window, as the destination's proxy reported them */
  tcp: { sentBytes: number; receivedBytes: number };
  /** both ends are notebooks */
  notebookToNotebook: boolean;
};

export type FindingKind = 'plaintext' | 'notebook-to-notebook' | 'failing';

export type GraphFinding = { kind: FindingKind; edge: string; message: string };

export type TrafficGraph = {
  window: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  findings: GraphFinding[];
  /** notebooks without any traffic in the window, shown as one node */
  idle: { count: number };
  /** every user with a notebook pod, whether or not it had traffic (what the user filter offers) */
  users: string[];
};

/** The pods whose workloads become named nodes (podsByRole, and the mesh's gateway pods). */
export type GraphPods = { notebooks: readonly Pod[]; hub: readonly Pod[]; hubmesh: readonly Pod[]; gateway: readonly Pod[] };

export type GraphOptions = {
  namespace: string;
  /** where the ingress gateway's pods run */
  gatewayNamespace: string;
  window: string;
  /** keep this user's notebooks, every edge touching them and their neighbours */
  user?: string;
};

export const IDLE_NODE = 'idle-notebooks';
const UNKNOWN = 'unknown';
const GATEWAY_WORKLOAD = 'istio-ingressgateway';

type Role = { id: string; kind: Exclude<NodeKind, 'idle'>; label: string; namespace?: string; notebook?: { user?: string; server?: string; pod: string; status: string } };

const isKnown = (value: string | undefined): value is string => value !== undefined && value !== '' && value !== UNKNOWN;

/**
 * The node a workload belongs to. A notebook is a bare pod (KubeSpawner's pods have no controller), so Istio
 * names its workload after the pod; the hub, hubmesh and the gateway run as Deployments, whose pods are named
 * `<workload>-<replica set>-<suffix>`, so a workload is theirs when one of their pods is that name or starts with it.
 */
function nodeResolver(pods: GraphPods, options: GraphOptions) {
  const notebooks = new Map(
    pods.notebooks.map((pod) => {
      return [pod.metadata.name, { user: hubUserOf(pod), server: hubServerOf(pod) ?? '', pod: pod.metadata.name, status: podStatus(pod) }];
    }),
  );
  const runs = (rolePods: readonly Pod[], workload: string) => rolePods.some((pod) => pod.metadata.name === workload || pod.metadata.name.startsWith(`${workload}-`));
  const resolved = new Map<string, Role>();
  const resolve = (namespace: string, workload: string): Role => {
    const notebook = namespace === options.namespace ? notebooks.get(workload) : undefined;
    if (notebook) return { id: `notebook:${workload}`, kind: 'notebook', label: notebookLabel(notebook.user ?? workload, notebook.server), namespace, notebook };
    if (namespace === options.namespace && runs(pods.hub, workload)) return { id: 'hub', kind: 'hub', label: 'hub', namespace };
    if (namespace === options.namespace && runs(pods.hubmesh, workload)) return { id: 'hubmesh', kind: 'hubmesh', label: 'hubmesh', namespace };
    if (workload === GATEWAY_WORKLOAD || (namespace === options.gatewayNamespace && runs(pods.gateway, workload))) return { id: 'gateway', kind: 'gateway', label: 'ingress gateway', namespace };
    return { id: `workload:${namespace}/${workload}`, kind: 'workload', label: namespace === options.namespace ? workload : `${namespace}/${workload}`, namespace };
  };
  return {
    notebooks,
    /** A source or destination by its workload; where the workload is unknown (a connection never made), by its service's name. */
    nodeOf(namespace: string | undefined, workload: string | undefined, service?: { namespace?: string; name?: string }): Role & { workload?: string } {
      const [ns, name] = isKnown(workload) ? [namespace, workload] : isKnown(service?.name) ? [service.namespace, service.name] : [undefined, undefined];
      if (!isKnown(ns) || !isKnown(name)) return { id: UNKNOWN, kind: 'unknown', label: 'unknown / outside the mesh' };
      const key = `${ns}/${name}`;
      let role = resolved.get(key);
      if (!role) resolved.set(key, (role = resolve(ns, name)));
      return { ...role, workload: name };
    },
  };
}

const notebookLabel = (user: string, server: string | undefined) => (server ? `${user}/${server}` : user);

/** How a node reads in a sentence. */
function nodeWords(node: GraphNode): string {
  switch (node.kind) {
    case 'notebook':
      return node.server ? `${node.user}'s server ${node.server}` : `${node.user}'s notebook`;
    case 'gateway':
      return 'the ingress gateway';
    case 'hub':
      return 'the hub';
    case 'unknown':
      return 'a source outside the mesh (unknown)';
    default:
      return node.label;
  }
}

const rateWords = (perSecond: number) => `${Number(perSecond.toPrecision(2))} req/s`;
const percentWords = (ratio: number) => `${Math.round(ratio * 100)}%`;

type EdgeTotals = GraphEdge & { mtls: { mutual: number; total: number }; mtlsBytes: { mutual: number; total: number } };

/** The graph of the vectors of graphQueries(): nodes, edges, findings and the idle notebooks. */
export function buildTrafficGraph(vectors: GraphVectors, pods: GraphPods, options: GraphOptions): TrafficGraph {
  const resolver = nodeResolver(pods, options);
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, EdgeTotals>();

  const addNode = (role: ReturnType<typeof resolver.nodeOf>): GraphNode => {
    let node = nodes.get(role.id);
    if (!node) {
      node = { id: role.id, kind: role.kind, label: role.label, workloads: [], requestsIn: 0, requestsOut: 0 };
      if (role.namespace !== undefined) node.namespace = role.namespace;
      if (role.notebook) Object.assign(node, role.notebook);
      nodes.set(role.id, node);
    }
    if (role.workload !== undefined && !node.workloads.includes(role.workload)) node.workloads.push(role.workload);
    return node;
  };
  const edgeOf = (metric: Record<string, string>): EdgeTotals => {
    const source = addNode(resolver.nodeOf(metric.source_workload_namespace, metric.source_workload));
    const target = addNode(
      resolver.nodeOf(metric.destination_workload_namespace, metric.destination_workload, { namespace: metric.destination_service_namespace, name: metric.destination_service_name }),
    );
    const id = `${source.id}->${target.id}`;
    let edge = edges.get(id);
    if (!edge) {
      edge = {
        id,
        source: source.id,
        target: target.id,
        requestsPerSecond: 0,
        responses: {},
        errorRatio: null,
        unforwarded: { perSecond: 0, flags: [] },
        mtlsShare: null,
        tcp: { sentBytes: 0, receivedBytes: 0 },
        notebookToNotebook: source.kind === 'notebook' && target.kind === 'notebook' && source.id !== target.id,
        mtls: { mutual: 0, total: 0 },
        mtlsBytes: { mutual: 0, total: 0 },
      };
      edges.set(id, edge);
    }
    return edge;
  };
  const countResponse = (edge: GraphEdge, responseClass: string, value: number) => {
    edge.requestsPerSecond += value;
    edge.responses[responseClass] = (edge.responses[responseClass] ?? 0) + value;
  };

  for (const { metric, value } of vectors.requests) {
    const edge = edgeOf(metric);
    countResponse(edge, metric[RESPONSE_CLASS] ?? UNKNOWN, value);
    edge.mtls.total += value;
    if (metric[POLICY] === 'mutual_tls') edge.mtls.mutual += value;
  }
  for (const { metric, value } of vectors.unforwarded) {
    const edge = edgeOf(metric);
    countResponse(edge, `${(metric.response_code ?? '0').charAt(0)}xx`, value);
    edge.unforwarded.perSecond += value;
    const flags = metric.response_flags ?? '';
    if (!edge.unforwarded.flags.includes(flags)) edge.unforwarded.flags.push(flags);
  }
  for (const [samples, field] of [
    [vectors.tcpSent, 'sentBytes'],
    [vectors.tcpReceived, 'receivedBytes'],
  ] as const) {
    for (const { metric, value } of samples) {
      const edge = edgeOf(metric);
      edge.tcp[field] += value;
      edge.mtlsBytes.total += value;
      if (metric[POLICY] === 'mutual_tls') edge.mtlsBytes.mutual += value;
    }
  }

  const allEdges = [...edges.values()].map(({ mtls, mtlsBytes, ...edge }): GraphEdge => {
    const reported = mtls.total > 0 ? mtls : mtlsBytes;
    edge.unforwarded.flags.sort();
    return {
      ...edge,
      errorRatio: edge.requestsPerSecond > 0 ? (edge.responses['5xx'] ?? 0) / edge.requestsPerSecond : null,
      mtlsShare: reported.total > 0 ? reported.mutual / reported.total : null,
    };
  });

  const mine = (node: GraphNode | undefined) => node?.kind === 'notebook' && node.user === options.user;
  const keptEdges = options.user === undefined ? allEdges : allEdges.filter((e) => mine(nodes.get(e.source)) || mine(nodes.get(e.target)));
  const keptIds = new Set(keptEdges.flatMap((e) => [e.source, e.target]));
  for (const edge of keptEdges) {
    nodes.get(edge.source)!.requestsOut += edge.requestsPerSecond;
    nodes.get(edge.target)!.requestsIn += edge.requestsPerSecond;
  }

  const busy = new Set(allEdges.flatMap((e) => [e.source, e.target]));
  const idle = [...resolver.notebooks.values()].filter((n) => !busy.has(`notebook:${n.pod}`) && (options.user === undefined || n.user === options.user)).length;
  const keptNodes = [...nodes.values()].filter((n) => keptIds.has(n.id)).sort(byKindThenLabel);
  if (idle > 0) keptNodes.push({ id: IDLE_NODE, kind: 'idle', label: `${idle} idle notebook${idle === 1 ? '' : 's'}`, workloads: [], count: idle, requestsIn: 0, requestsOut: 0 });

  const sortedEdges = keptEdges.sort((a, b) => b.requestsPerSecond - a.requestsPerSecond || totalBytes(b) - totalBytes(a) || (a.id < b.id ? -1 : 1));
  const users = [...new Set([...resolver.notebooks.values()].flatMap((n) => (n.user === undefined ? [] : [n.user])))].sort();
  return { window: options.window, nodes: keptNodes, edges: sortedEdges, findings: findingsOf(sortedEdges, nodes), idle: { count: idle }, users };
}

const totalBytes = (edge: GraphEdge) => edge.tcp.sentBytes + edge.tcp.receivedBytes;

const KIND_ORDER: readonly NodeKind[] = ['gateway', 'hub', 'hubmesh', 'notebook', 'workload', 'unknown', 'idle'];
const byKindThenLabel = (a: GraphNode, b: GraphNode) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);

/** What stands out, edge by edge: traffic that was not mutual TLS, a notebook talking to another, requests failing. */
function findingsOf(edges: readonly GraphEdge[], nodes: ReadonlyMap<string, GraphNode>): GraphFinding[] {
  const findings: GraphFinding[] = [];
  for (const edge of edges) {
    const route = `${nodeWords(nodes.get(edge.source)!)} → ${nodeWords(nodes.get(edge.target)!)}`;
    const what = edge.requestsPerSecond > 0 ? rateWords(edge.requestsPerSecond) : `${totalBytes(edge)} TCP bytes`;
    if (edge.notebookToNotebook) findings.push({ kind: 'notebook-to-notebook', edge: edge.id, message: `${route}: a notebook talks to another notebook (${what})` });
    if (edge.mtlsShare !== null && edge.mtlsShare < 1) {
      findings.push({ kind: 'plaintext', edge: edge.id, message: `${route}: ${percentWords(1 - edge.mtlsShare)} of the traffic is not mutual TLS (${what})` });
    }
    const failed = edge.responses['5xx'] ?? 0;
    if (failed > 0 || edge.unforwarded.perSecond > 0) {
      const parts = [failed > 0 ? `${percentWords(edge.errorRatio!)} of ${rateWords(edge.requestsPerSecond)} failed with 5xx` : undefined];
      if (edge.unforwarded.perSecond > 0) parts.push(`${rateWords(edge.unforwarded.perSecond)} never reached it (${edge.unforwarded.flags.join('; ')})`);
      findings.push({ kind: 'failing', edge: edge.id, message: `${route}: ${parts.filter(Boolean).join('; ')}` });
    }
  }
  return findings;
}

/** Runs graphQueries() at `time` (Unix seconds) and builds the graph; rejects with the client's PrometheusError. */
export async function loadTrafficGraph(prometheus: Pick<TrafficSource, 'queryVector'>, pods: GraphPods, options: GraphOptions & { time: number }): Promise<TrafficGraph> {
  const vectors = await queryVectors(prometheus, graphQueries({ namespace: options.namespace, window: options.window }), { time: options.time });
  return buildTrafficGraph(vectors, pods, options);
}
