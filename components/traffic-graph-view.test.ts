import { describe, expect, it } from 'vitest';
import type { GraphEdge, GraphNode } from '@/lib/traffic/graph';
import { bytesText, concentricLevels, graphElements, graphLayout, graphStylesheet, graphUrl, HIERARCHY_MAX_NODES, nodeHeading, PALETTES, percentText, rateText } from './traffic-graph-view';

const node = (id: string, kind: GraphNode['kind'], fields: Partial<GraphNode> = {}): GraphNode => ({ id, kind, label: id, workloads: [], requestsIn: 0, requestsOut: 0, ...fields });
const edge = (source: string, target: string, requestsPerSecond: number, fields: Partial<GraphEdge> = {}): GraphEdge => ({
  id: `${source}->${target}`,
  source,
  target,
  requestsPerSecond,
  responses: {},
  errorRatio: null,
  unforwarded: { perSecond: 0, flags: [] },
  mtlsShare: 1,
  tcp: { sentBytes: 0, receivedBytes: 0 },
  notebookToNotebook: false,
  ...fields,
});

describe('figures in words', () => {
  it('writes rates with two significant digits, never rounding a rate to zero', () => {
    expect(rateText(0)).toBe('0 req/s');
    expect(rateText(0.004321)).toBe('0.0043 req/s');
    expect(rateText(1.25)).toBe('1.3 req/s');
    expect(rateText(42)).toBe('42 req/s');
    expect(rateText(1234.5)).toBe('1,235 req/s');
  });

  it('writes bytes in decimal units', () => {
    expect(bytesText(0)).toBe('0 B');
    expect(bytesText(999)).toBe('999 B');
    expect(bytesText(1500)).toBe('1.5 kB');
    expect(bytesText(9_000_000)).toBe('9 MB');
    expect(bytesText(2.5e15)).toBe('2500 TB');
  });

  it('never rounds a small share to none or a large one to all', () => {
    expect(percentText(null)).toBe('—');
    expect(percentText(0)).toBe('0%');
    expect(percentText(0.001)).toBe('<1%');
    expect(percentText(0.25)).toBe('25%');
    expect(percentText(0.999)).toBe('>99%');
    expect(percentText(1)).toBe('100%');
  });

  it('names a node by its kind and its name', () => {
    expect(nodeHeading(node('gateway', 'gateway', { label: 'ingress gateway' }))).toBe('Ingress gateway');
    expect(nodeHeading(node('notebook:jupyter-alice', 'notebook', { label: 'alice/lab' }))).toBe('Notebook: alice/lab');
    expect(nodeHeading(node('idle-notebooks', 'idle', { label: '3 idle notebooks' }))).toBe('3 idle notebooks');
    expect(nodeHeading(node('workload:data/postgres', 'workload', { label: 'data/postgres' }))).toBe('Workload: data/postgres');
  });

  it('asks the API for a window and a user, the user encoded', () => {
    expect(graphUrl('5m', undefined)).toBe('/api/v1/mesh/graph?window=5m');
    expect(graphUrl('1h', 'a+b@x.org')).toBe('/api/v1/mesh/graph?window=1h&user=a%2Bb%40x.org');
  });
});

describe('what cytoscape draws', () => {
  it('puts the gateway at the centre, the services around it and notebooks in rings that grow outwards, the busiest innermost', () => {
    const notebooks = Array.from({ length: 40 }, (_, k) => node(`notebook:n${String(k).padStart(2, '0')}`, 'notebook', { requestsIn: k }));
    const levels = concentricLevels([node('gateway', 'gateway'), node('hub', 'hub'), node('idle-notebooks', 'idle'), ...notebooks]);
    expect(levels.get('gateway')).toBe(43);
    expect(levels.get('hub')).toBe(42);
    expect(levels.get('idle-notebooks')).toBe(42);
    const ringOf = (k: number) => 41 - levels.get(`notebook:n${String(k).padStart(2, '0')}`)!;
    // 13 on the first ring, 25 on the second, the rest on the third; busiest (highest k) first
    expect([39, 27, 26, 2, 1, 0].map(ringOf)).toEqual([0, 0, 1, 1, 2, 2]);
    const sizes = [0, 1, 2].map((ring) => notebooks.filter((_, k) => ringOf(k) === ring).length);
    expect(sizes).toEqual([13, 25, 2]);
  });

  it('lays a small graph out top-down from where traffic enters, a large one in rings', () => {
    const small = { nodes: [node('gateway', 'gateway'), node('a', 'notebook'), node('b', 'notebook'), node('unknown', 'unknown')], edges: [edge('gateway', 'a', 1), edge('a', 'b', 1), edge('unknown', 'b', 1)] };
    expect(graphLayout(small)).toMatchObject({ name: 'breadthfirst', directed: true, roots: ['gateway', 'unknown'] });
    // a cycle has no node nothing calls: breadthfirst picks its own roots
    expect(graphLayout({ nodes: small.nodes.slice(1, 3), edges: [edge('a', 'b', 1), edge('b', 'a', 1)] })).toMatchObject({ name: 'breadthfirst', roots: undefined });
    const large = { nodes: Array.from({ length: HIERARCHY_MAX_NODES + 1 }, (_, k) => node(`n${k}`, 'notebook')), edges: [] };
    expect(graphLayout(large)).toMatchObject({ name: 'concentric', fit: true, animate: false });
  });

  it('draws edges as wide as the log of their rate and classes them by their findings', () => {
    const graph = {
      nodes: [node('gateway', 'gateway'), node('a', 'notebook'), node('b', 'notebook'), node('db', 'workload')],
      edges: [edge('gateway', 'a', 99), edge('b', 'a', 9, { notebookToNotebook: true }), edge('b', 'db', 0, { tcp: { sentBytes: 1500, receivedBytes: 500 } })],
      findings: [
        { kind: 'notebook-to-notebook' as const, edge: 'b->a', message: '' },
        { kind: 'plaintext' as const, edge: 'b->a', message: '' },
      ],
    };
    const elements = graphElements(graph);
    expect(elements.filter((e) => e.group === 'nodes').map((e) => [e.data.id, e.classes])).toEqual([
      ['gateway', 'gateway'],
      ['a', 'notebook'],
      ['b', 'notebook'],
      ['db', 'workload'],
    ]);
    const edges = elements.filter((e) => e.group === 'edges');
    expect(edges.map((e) => [e.data.id, e.classes, e.data.label])).toEqual([
      ['gateway->a', '', '99 req/s'],
      ['b->a', 'notebook-to-notebook plaintext', '9 req/s'],
      ['b->db', '', '2 kB'],
    ]);
    expect(edges.map((e) => e.data.width)).toEqual([7, 1 + 6 * 0.5, 1.5]);
  });

  it('styles every kind and finding in both schemes', () => {
    for (const palette of Object.values(PALETTES)) {
      const selectors = graphStylesheet(palette).map((block) => ('selector' in block ? block.selector : ''));
      expect(selectors).toEqual(
        expect.arrayContaining(['node.gateway', 'node.hub', 'node.hubmesh', 'node.notebook', 'node.workload', 'node.unknown', 'node.idle', 'edge.plaintext', 'edge.notebook-to-notebook', 'edge.failing', 'edge:selected']),
      );
    }
  });
});
