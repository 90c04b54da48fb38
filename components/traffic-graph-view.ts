import type { ElementDefinition, LayoutOptions, NodeSingular, StylesheetJson } from 'cytoscape';
import type { trafficGraphAnswer } from '@/lib/traffic/graph-api';
import type { FindingKind, GraphEdge, GraphNode, NodeKind } from '@/lib/traffic/graph';

/** The traffic graph page's pure parts: the API's URL, figures in words, and what cytoscape draws. */

export type GraphAnswer = Awaited<ReturnType<typeof trafficGraphAnswer>>;
export type Graph = Extract<GraphAnswer, { configured: true }>;

export const GRAPH_WINDOWS = ['5m', '1h', '6h', '24h'] as const;

export function graphUrl(window: string, user: string | undefined): string {
  const params = new URLSearchParams({ window });
  if (user) params.set('user', user);
  return `/api/v1/mesh/graph?${params}`;
}

/** "1.5 req/s", "0.004 req/s", "1,200 req/s": two significant digits, and never "0" for a rate that is not zero. */
export function rateText(perSecond: number): string {
  if (perSecond === 0) return '0 req/s';
  const digits = perSecond >= 100 ? { maximumFractionDigits: 0 } : { maximumSignificantDigits: 2 };
  return `${perSecond.toLocaleString('en-US', digits)} req/s`;
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units, as Prometheus and Istio count: 1 kB = 1000 B. */
export function bytesText(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : Number(value.toPrecision(3))} ${BYTE_UNITS[unit]}`;
}

/** A ratio as a percentage that never rounds a little to none or to all: "<1%", ">99%". */
export function percentText(ratio: number | null): string {
  if (ratio === null) return '—';
  if (ratio > 0 && ratio < 0.01) return '<1%';
  if (ratio < 1 && ratio > 0.99) return '>99%';
  return `${Math.round(ratio * 100)}%`;
}

export const KIND_TITLES: Record<NodeKind, string> = {
  gateway: 'Ingress gateway',
  hub: 'Hub',
  hubmesh: 'hubmesh',
  notebook: 'Notebook',
  workload: 'Workload',
  unknown: 'Outside the mesh',
  idle: 'Idle notebooks',
};

/** A node's heading in the side panel: its kind, and its name where the kind is not enough. */
export function nodeHeading(node: GraphNode): string {
  switch (node.kind) {
    case 'gateway':
    case 'hub':
    case 'hubmesh':
      return KIND_TITLES[node.kind];
    case 'idle':
      return node.label;
    default:
      return `${KIND_TITLES[node.kind]}: ${node.label}`;
  }
}

export const NODE_LEGEND: Array<{ kind: NodeKind; text: string }> = [
  { kind: 'gateway', text: 'ingress gateway' },
  { kind: 'hub', text: 'hub' },
  { kind: 'hubmesh', text: 'hubmesh' },
  { kind: 'notebook', text: 'notebook' },
  { kind: 'workload', text: 'other workload' },
  { kind: 'unknown', text: 'outside the mesh' },
  { kind: 'idle', text: 'idle notebooks' },
];

/** What stands out on each edge, from the answer's findings. */
export function edgeFindings(graph: Pick<Graph, 'findings'>): Map<string, FindingKind[]> {
  const byEdge = new Map<string, FindingKind[]>();
  for (const finding of graph.findings) byEdge.set(finding.edge, [...(byEdge.get(finding.edge) ?? []), finding.kind]);
  return byEdge;
}

/** The busiest edges first (the answer's order), for the table under the graph. */
export const topEdges = (graph: Pick<Graph, 'edges'>, count: number): GraphEdge[] => graph.edges.slice(0, count);

/** The edges into and out of a node, busiest first. */
export function edgesOf(graph: Pick<Graph, 'edges'>, id: string): { incoming: GraphEdge[]; outgoing: GraphEdge[] } {
  return { incoming: graph.edges.filter((e) => e.target === id), outgoing: graph.edges.filter((e) => e.source === id) };
}

/**
 * How many notebooks sit on each ring: more on the outer ones, so a thousand make a disc and not one huge circle;
 * one more than a multiple of 12, so the rings' nodes do not line up on the gateway's spokes.
 */
const RING_CAPACITY = (ring: number) => 12 * (ring + 1) + 1;

/**
 * Each node's value for cytoscape's concentric layout (higher is nearer the centre): the gateway at the centre, the
 * hub, hubmesh, other workloads and the idle notebooks around it, then the notebooks in rings, the busiest innermost.
 */
export function concentricLevels(nodes: readonly GraphNode[]): Map<string, number> {
  const levels = new Map<string, number>();
  const notebooks = nodes.filter((n) => n.kind === 'notebook').sort((a, b) => b.requestsIn + b.requestsOut - (a.requestsIn + a.requestsOut) || (a.id < b.id ? -1 : 1));
  const top = notebooks.length + 2;
  for (const node of nodes) if (node.kind !== 'notebook') levels.set(node.id, node.kind === 'gateway' ? top + 1 : top);
  let ring = 0;
  let left = RING_CAPACITY(0);
  for (const node of notebooks) {
    if (left === 0) left = RING_CAPACITY(++ring);
    levels.set(node.id, top - 1 - ring);
    left--;
  }
  return levels;
}

/** Up to this many nodes the graph reads as a hierarchy; beyond, as rings around the gateway. */
export const HIERARCHY_MAX_NODES = 50;

/**
 * cytoscape's layout for the graph: a small one top-down from where traffic enters (nodes nothing calls: the
 * gateway, outside sources), so an edge between two notebooks does not cross the gateway; a large one in rings
 * (concentricLevels), where a thousand notebooks still fit the canvas.
 */
export function graphLayout(graph: Pick<Graph, 'nodes' | 'edges'>): LayoutOptions {
  const common = { animate: false, fit: true, padding: 24 };
  if (graph.nodes.length > HIERARCHY_MAX_NODES) {
    return { name: 'concentric', concentric: (node) => node.data('level'), levelWidth: () => 1, minNodeSpacing: 14, ...common };
  }
  const called = new Set(graph.edges.map((e) => e.target));
  const roots = graph.nodes.filter((n) => !called.has(n.id)).map((n) => n.id);
  // the answer's order (kind, then name) within each level
  const order = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const rank = (node: NodeSingular | null) => (node === null ? Infinity : (order.get(node.id()) ?? 0));
  return {
    name: 'breadthfirst',
    directed: true,
    // each node one level below every node that calls it, so no edge runs along a level through other nodes
    maximal: true,
    roots: roots.length > 0 ? roots : undefined,
    // cytoscape 3.35's breadthfirst sorts a level while the places of the nodes `maximal` moved down are still
    // null, which its own sort cannot read: this one puts them last, and cytoscape drops them after sorting
    depthSort: (a: NodeSingular | null, b: NodeSingular | null) => (rank(a) === rank(b) ? 0 : rank(a) < rank(b) ? -1 : 1),
    spacingFactor: 1.1,
    avoidOverlap: true,
    ...common,
  };
}

/** The largest zoom a fitted layout keeps: a three-node graph drawn at 4× would be all labels. */
export const MAX_FIT_ZOOM = 1.25;

const MAX_EDGE_WIDTH = 7;

/** cytoscape's elements: nodes with their kind as class, edges as wide as the log of their rate, with their findings as classes. */
export function graphElements(graph: Pick<Graph, 'nodes' | 'edges' | 'findings'>): ElementDefinition[] {
  const levels = concentricLevels(graph.nodes);
  const findings = edgeFindings(graph);
  const busiest = Math.max(0, ...graph.edges.map((e) => e.requestsPerSecond));
  const width = (edge: GraphEdge) => (edge.requestsPerSecond > 0 && busiest > 0 ? 1 + (MAX_EDGE_WIDTH - 1) * (Math.log1p(edge.requestsPerSecond) / Math.log1p(busiest)) : 1.5);
  return [
    ...graph.nodes.map((node) => ({ group: 'nodes' as const, data: { id: node.id, label: node.label, level: levels.get(node.id) ?? 0 }, classes: node.kind })),
    ...graph.edges.map((edge) => ({
      group: 'edges' as const,
      data: { id: edge.id, source: edge.source, target: edge.target, width: width(edge), label: edge.requestsPerSecond > 0 ? rateText(edge.requestsPerSecond) : bytesText(edge.tcp.sentBytes + edge.tcp.receivedBytes) },
      classes: (findings.get(edge.id) ?? []).join(' '),
    })),
  ];
}

export type Palette = Record<NodeKind | FindingKind | 'text' | 'edge' | 'selected' | 'background', string>;

/** Tailwind's colours, the 600s on light and the 400s on dark, so the canvas matches the page around it. */
export const PALETTES: Record<'light' | 'dark', Palette> = {
  light: {
    text: '#1e293b',
    background: '#ffffff',
    edge: '#94a3b8',
    selected: '#0f172a',
    gateway: '#0d9488',
    hub: '#4f46e5',
    hubmesh: '#7c3aed',
    notebook: '#0284c7',
    workload: '#64748b',
    unknown: '#475569',
    idle: '#cbd5e1',
    plaintext: '#d97706',
    'notebook-to-notebook': '#c026d3',
    failing: '#dc2626',
  },
  dark: {
    text: '#e2e8f0',
    background: '#0f172a',
    edge: '#64748b',
    selected: '#f8fafc',
    gateway: '#2dd4bf',
    hub: '#818cf8',
    hubmesh: '#a78bfa',
    notebook: '#38bdf8',
    workload: '#94a3b8',
    unknown: '#cbd5e1',
    idle: '#475569',
    plaintext: '#fbbf24',
    'notebook-to-notebook': '#e879f9',
    failing: '#f87171',
  },
};

const NODE_SHAPES: Record<NodeKind, { shape: string; size: number }> = {
  gateway: { shape: 'diamond', size: 44 },
  hub: { shape: 'hexagon', size: 40 },
  hubmesh: { shape: 'round-rectangle', size: 32 },
  notebook: { shape: 'ellipse', size: 20 },
  workload: { shape: 'rectangle', size: 26 },
  unknown: { shape: 'triangle', size: 32 },
  idle: { shape: 'ellipse', size: 40 },
};

/** The legend's words for what stands out, in the order the stylesheet gives them precedence (last wins). */
export const FINDING_LEGEND: Array<{ kind: FindingKind; text: string; dashed: boolean }> = [
  { kind: 'plaintext', text: 'not mutual TLS (dashed)', dashed: true },
  { kind: 'notebook-to-notebook', text: 'notebook to notebook', dashed: false },
  { kind: 'failing', text: 'failing (5xx, or never reached)', dashed: false },
];

export function graphStylesheet(palette: Palette): StylesheetJson {
  return [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        color: palette.text,
        'font-size': 11,
        'text-valign': 'bottom',
        'text-margin-y': 3,
        'text-wrap': 'ellipsis',
        'text-max-width': '160px',
        // labels of a zoomed-out thousand notebooks would be an unreadable, slow smear
        'min-zoomed-font-size': 8,
        'border-width': 0,
      },
    },
    ...(Object.entries(NODE_SHAPES) as Array<[NodeKind, { shape: string; size: number }]>).map(([kind, { shape, size }]) => ({
      selector: `node.${kind}`,
      style: { shape: shape as 'ellipse', width: size, height: size, 'background-color': palette[kind] },
    })),
    { selector: 'node.idle', style: { 'border-width': 2, 'border-style': 'dashed' as const, 'border-color': palette.workload } },
    { selector: 'node:selected', style: { 'border-width': 4, 'border-style': 'solid' as const, 'border-color': palette.selected } },
    {
      selector: 'edge',
      style: {
        width: 'data(width)',
        'line-color': palette.edge,
        'target-arrow-color': palette.edge,
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.8,
        'curve-style': 'bezier',
        opacity: 0.55,
      },
    },
    ...FINDING_LEGEND.map(({ kind, dashed }) => ({
      selector: `edge.${kind}`,
      // over the busy grey of a thousand edges
      style: { 'line-color': palette[kind], 'target-arrow-color': palette[kind], opacity: 1, 'z-index': 10, ...(dashed ? { 'line-style': 'dashed' as const } : {}) },
    })),
    {
      selector: 'edge:selected',
      style: {
        'z-index': 20,
        'line-color': palette.selected,
        'target-arrow-color': palette.selected,
        opacity: 1,
        label: 'data(label)',
        color: palette.text,
        'font-size': 11,
        'text-background-color': palette.background,
        'text-background-opacity': 0.9,
        'text-background-padding': '2px',
      },
    },
  ];
}
