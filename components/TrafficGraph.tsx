'use client';

import type { Core } from 'cytoscape';
import Link from 'next/link';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { GraphEdge, GraphNode } from '@/lib/traffic/graph';
import { useApi } from './live';
import { GRAPH_REFRESH_MS } from './live-keys';
import {
  bytesText,
  edgeFindings,
  edgesOf,
  FINDING_LEGEND,
  GRAPH_WINDOWS,
  graphElements,
  graphLayout,
  graphStylesheet,
  graphUrl,
  KIND_TITLES,
  MAX_FIT_ZOOM,
  NODE_LEGEND,
  nodeHeading,
  PALETTES,
  percentText,
  rateText,
  topEdges,
  type Graph,
  type GraphAnswer,
  type Palette,
} from './traffic-graph-view';
import { Badge, EmptyState, ErrorState, inputClass } from './ui';

/**
 * The traffic graph of the hub namespace (cytoscape on a canvas, loaded in the browser only), a side panel with
 * the selected node's or edge's figures, and the same content in words and tables below it for screen readers.
 */

type Selection = { kind: 'node' | 'edge'; id: string; /** from the lists below: the canvas pans to it */ reveal: boolean };

const TOP_EDGES = 25;
const button = 'rounded border px-2 py-1 text-sm dark:border-slate-700';
const linkButton = 'text-left underline decoration-slate-400 underline-offset-2 hover:decoration-current';
const muted = 'text-sm text-slate-600 dark:text-slate-400';

const darkScheme = () => window.matchMedia('(prefers-color-scheme: dark)');
function subscribeScheme(onChange: () => void) {
  const query = darkScheme();
  query.addEventListener('change', onChange);
  return () => query.removeEventListener('change', onChange);
}

/** The canvas's colours, following the page's light or dark scheme. */
function usePalette(): Palette {
  const dark = useSyncExternalStore(subscribeScheme, () => darkScheme().matches, () => false);
  return PALETTES[dark ? 'dark' : 'light'];
}

export function TrafficGraph() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const requested = params.get('window') ?? '5m';
  const span = (GRAPH_WINDOWS as readonly string[]).includes(requested) ? requested : '5m';
  const user = params.get('user') || undefined;
  // refetched every GRAPH_REFRESH_MS (live-keys.ts): Prometheus's figures move without any object changing
  const { data, error } = useApi<GraphAnswer>(graphUrl(span, user));
  const [selection, setSelection] = useState<Selection | null>(null);
  const palette = usePalette();

  const navigate = (next: { window?: string; user?: string | undefined }) => {
    const query = new URLSearchParams(params);
    for (const [key, value] of Object.entries(next)) {
      if (value) query.set(key, value);
      else query.delete(key);
    }
    setSelection(null);
    router.replace(`${pathname}?${query}`);
  };

  // fetch the graph library while the API answers, not after
  useEffect(() => void import('cytoscape'), []);

  const graph = data?.configured ? data : undefined;
  return (
    <div className="space-y-6">
      <Filters span={span} user={user} users={graph?.users ?? []} onChange={navigate} />
      {error && <ErrorState error={error} />}
      {data && !data.configured && (
        <EmptyState title="Prometheus is not configured">
          The graph is drawn from Istio&apos;s metrics: set <span className="font-mono">HUBMESH_PROMETHEUS_URL</span> to the mesh&apos;s Prometheus.
        </EmptyState>
      )}
      {!data && !error && <p>Loading…</p>}
      {graph && (
        <>
          <div className="grid gap-4 lg:grid-cols-[minmax(0,1fr)_22rem]">
            <GraphCanvas graph={graph} palette={palette} selection={selection} onSelect={setSelection} />
            <DetailsPanel graph={graph} selection={selection} onSelect={setSelection} />
          </div>
          <Legend palette={palette} />
          <Summary graph={graph} onSelect={setSelection} />
        </>
      )}
    </div>
  );
}

function Filters({ span, user, users, onChange }: { span: string; user: string | undefined; users: string[]; onChange: (next: { window?: string; user?: string | undefined }) => void }) {
  const [draft, setDraft] = useState(user ?? '');
  const [shown, setShown] = useState(user);
  // the URL changed under the field (back, a link): show its user
  if (shown !== user) {
    setShown(user);
    setDraft(user ?? '');
  }
  return (
    <div className="flex flex-wrap items-end gap-4">
      <label className="flex flex-col text-sm">
        Window
        <select className={inputClass} value={span} onChange={(e) => onChange({ window: e.target.value })}>
          {GRAPH_WINDOWS.map((w) => (
            <option key={w}>{w}</option>
          ))}
        </select>
      </label>
      <form
        role="search"
        aria-label="Filter by user"
        className="flex flex-wrap items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          onChange({ user: draft.trim() || undefined });
        }}
      >
        <label className="flex flex-col text-sm">
          User
          <input type="search" list="traffic-graph-users" className={`${inputClass} w-56`} placeholder="every user" value={draft} onChange={(e) => setDraft(e.target.value)} />
        </label>
        <datalist id="traffic-graph-users">
          {users.map((u) => (
            <option key={u} value={u} />
          ))}
        </datalist>
        <button type="submit" className={button}>
          Filter
        </button>
        {user && (
          <button type="button" className={button} onClick={() => onChange({ user: undefined })}>
            Every user
          </button>
        )}
      </form>
    </div>
  );
}

/** Ids of the drawn elements, to tell a refresh with new figures from one with a new shape (which needs a new layout). */
const shapeOf = (graph: Pick<Graph, 'nodes' | 'edges'>) => [...graph.nodes.map((n) => n.id), '', ...graph.edges.map((e) => e.id)].join('\n');

function GraphCanvas({ graph, palette, selection, onSelect }: { graph: Graph; palette: Palette; selection: Selection | null; onSelect: (selection: Selection | null) => void }) {
  const host = useRef<HTMLDivElement>(null);
  const [cy, setCy] = useState<Core>();
  // what the canvas shows: the answer's window and user, and whether its layout has been painted
  const [view, setView] = useState<{ key: string; ready: boolean }>({ key: '', ready: false });
  const drawnShape = useRef('');
  const latest = useRef({ onSelect, palette });
  useEffect(() => {
    latest.current = { onSelect, palette };
  });

  useEffect(() => {
    let instance: Core | undefined;
    let cancelled = false;
    void import('cytoscape').then(({ default: cytoscape }) => {
      if (cancelled || !host.current) return;
      instance = cytoscape({
        container: host.current,
        style: graphStylesheet(latest.current.palette),
        minZoom: 0.05,
        maxZoom: 4,
        boxSelectionEnabled: false,
        selectionType: 'single',
        // a thousand notebooks: pan and zoom a picture of the graph, not the graph
        textureOnViewport: true,
      });
      instance.on('tap', 'node, edge', (event) => latest.current.onSelect({ kind: event.target.isNode() ? 'node' : 'edge', id: event.target.id(), reveal: false }));
      instance.on('tap', (event) => {
        if (event.target === instance) latest.current.onSelect(null);
      });
      setCy(instance);
    });
    return () => {
      cancelled = true;
      instance?.destroy();
    };
  }, []);

  useEffect(() => {
    cy?.style(graphStylesheet(palette));
  }, [cy, palette]);

  const key = `${graph.window}|${graph.user ?? ''}`;
  useEffect(() => {
    if (!cy) return;
    const elements = graphElements(graph);
    const shape = shapeOf(graph);
    if (shape === drawnShape.current) {
      // a refresh with new figures only: no new layout, nothing moves under the admin's pointer
      cy.batch(() => {
        for (const element of elements) cy.getElementById(element.data.id!).data(element.data).classes(element.classes ?? '');
      });
      setView((view) => (view.key === key ? view : { key, ready: true }));
      return;
    }
    drawnShape.current = shape;
    setView({ key, ready: false });
    cy.batch(() => {
      cy.elements().remove();
      cy.add(elements);
    });
    const layout = cy.layout(graphLayout(graph));
    layout.one('layoutstop', () => {
      if (cy.zoom() > MAX_FIT_ZOOM) {
        cy.zoom(MAX_FIT_ZOOM);
        cy.center();
      }
      // interactive once the canvas has painted the laid-out graph
      requestAnimationFrame(() => requestAnimationFrame(() => setView({ key, ready: true })));
    });
    layout.run();
  }, [cy, graph, key]);

  useEffect(() => {
    if (!cy || !view.ready) return;
    cy.elements(':selected').unselect();
    const element = selection ? cy.getElementById(selection.id) : undefined;
    if (!element || element.empty()) return;
    element.select();
    if (selection?.reveal) cy.animate({ center: { eles: element }, zoom: Math.max(cy.zoom(), 1) }, { duration: 200 });
  }, [cy, selection, view.ready]);

  return (
    <div
      data-testid="traffic-graph"
      data-state={view.ready && view.key === key ? 'ready' : 'drawing'}
      data-graph={view.key}
      className="h-[26rem] overflow-hidden rounded border border-slate-200 sm:h-[34rem] dark:border-slate-800"
    >
      <div ref={host} role="img" aria-label={`Traffic graph: ${graph.nodes.length} nodes and ${graph.edges.length} edges; the summary below lists them`} className="h-full w-full" />
    </div>
  );
}

function Figure({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <>
      <dt className="text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="break-words">{children}</dd>
    </>
  );
}

function DetailsPanel({ graph, selection, onSelect }: { graph: Graph; selection: Selection | null; onSelect: (selection: Selection) => void }) {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const node = selection?.kind === 'node' ? nodes.get(selection.id) : undefined;
  const edge = selection?.kind === 'edge' ? graph.edges.find((e) => e.id === selection.id) : undefined;
  return (
    <aside aria-labelledby="graph-details" className="min-w-0 space-y-3 rounded border border-slate-200 p-4 dark:border-slate-800">
      <h2 id="graph-details" className="text-lg font-medium">
        {node ? nodeHeading(node) : edge ? `${nodes.get(edge.source)?.label} → ${nodes.get(edge.target)?.label}` : 'Details'}
      </h2>
      {node && <NodeDetails graph={graph} node={node} nodes={nodes} onSelect={onSelect} />}
      {edge && <EdgeDetails graph={graph} edge={edge} />}
      {!node && !edge && <p className={muted}>Select a node or an edge on the graph, or in the lists below, to see its figures.</p>}
    </aside>
  );
}

function NodeDetails({ graph, node, nodes, onSelect }: { graph: Graph; node: GraphNode; nodes: Map<string, GraphNode>; onSelect: (selection: Selection) => void }) {
  if (node.kind === 'idle') {
    return (
      <p className="text-sm">
        {node.count} notebook{node.count === 1 ? '' : 's'} {graph.user ? `of ${graph.user} ` : ''}had no traffic in the last {graph.window}.{' '}
        <Link className="underline" href="/pods">
          See the notebook pods
        </Link>
      </p>
    );
  }
  const { incoming, outgoing } = edgesOf(graph, node.id);
  const edgeList = (edges: GraphEdge[], end: 'source' | 'target', label: string) =>
    edges.length > 0 && (
      <div>
        <h3 className="text-sm font-medium">{label}</h3>
        <ul className="mt-1 space-y-1 text-sm">
          {edges.slice(0, 10).map((e) => (
            <li key={e.id}>
              <button type="button" className={linkButton} onClick={() => onSelect({ kind: 'edge', id: e.id, reveal: true })}>
                {nodes.get(e[end])?.label}
              </button>{' '}
              <span className={muted}>{e.requestsPerSecond > 0 ? rateText(e.requestsPerSecond) : bytesText(e.tcp.sentBytes + e.tcp.receivedBytes)}</span>
            </li>
          ))}
          {edges.length > 10 && <li className={muted}>and {edges.length - 10} more</li>}
        </ul>
      </div>
    );
  return (
    <>
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1 text-sm">
        {node.kind === 'notebook' && (
          <>
            <Figure label="User">
              {node.user !== undefined ? (
                <Link className="underline" href={`/users/${encodeURIComponent(node.user)}`}>
                  {node.user}
                </Link>
              ) : (
                '—'
              )}
            </Figure>
            <Figure label="Server">{node.server ? node.server : 'default'}</Figure>
            <Figure label="Pod">
              <Link className="font-mono underline" href={`/pods?q=${encodeURIComponent(node.pod ?? '')}`}>
                {node.pod}
              </Link>{' '}
              <span className={muted}>{node.status}</span>
            </Figure>
          </>
        )}
        {node.kind !== 'notebook' && <Figure label="Kind">{KIND_TITLES[node.kind]}</Figure>}
        {node.namespace !== undefined && (
          <Figure label="Namespace">
            <span className="font-mono">{node.namespace}</span>
          </Figure>
        )}
        {node.workloads.length > 0 && node.kind !== 'notebook' && (
          <Figure label="Workloads">
            <span className="font-mono">{node.workloads.join(', ')}</span>
          </Figure>
        )}
        <Figure label="Requests in">{rateText(node.requestsIn)}</Figure>
        <Figure label="Requests out">{rateText(node.requestsOut)}</Figure>
      </dl>
      {edgeList(incoming, 'source', 'From')}
      {edgeList(outgoing, 'target', 'To')}
    </>
  );
}

function EdgeDetails({ graph, edge }: { graph: Graph; edge: GraphEdge }) {
  const findings = graph.findings.filter((f) => f.edge === edge.id);
  const classes = Object.entries(edge.responses).sort(([a], [b]) => (a < b ? -1 : 1));
  return (
    <>
      <dl className="grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-1 text-sm">
        <Figure label="Requests">{rateText(edge.requestsPerSecond)}</Figure>
        {classes.length > 0 && <Figure label="Responses">{classes.map(([c, rate]) => `${c} ${rateText(rate)}`).join(', ')}</Figure>}
        <Figure label="5xx ratio">{percentText(edge.errorRatio)}</Figure>
        {edge.unforwarded.perSecond > 0 && (
          <Figure label="Never reached">
            {rateText(edge.unforwarded.perSecond)} <span className="font-mono">{edge.unforwarded.flags.join(' ')}</span>
          </Figure>
        )}
        <Figure label="mTLS share">{edge.mtlsShare === null ? 'no report from the destination' : percentText(edge.mtlsShare)}</Figure>
        {edge.tcp.sentBytes + edge.tcp.receivedBytes > 0 && (
          <Figure label={`TCP in ${graph.window}`}>
            {bytesText(edge.tcp.sentBytes)} sent, {bytesText(edge.tcp.receivedBytes)} received
          </Figure>
        )}
      </dl>
      {findings.length > 0 && (
        <ul className="space-y-1 text-sm" aria-label="Findings on this edge">
          {findings.map((f) => (
            <li key={f.kind}>
              <FindingBadge kind={f.kind} /> {f.message}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

const FINDING_TONES = { plaintext: ['warn', 'not mTLS'], 'notebook-to-notebook': ['bad', 'notebook to notebook'], failing: ['bad', 'failing'] } as const;

function FindingBadge({ kind }: { kind: keyof typeof FINDING_TONES }) {
  const [tone, text] = FINDING_TONES[kind];
  return <Badge tone={tone}>{text}</Badge>;
}

function Legend({ palette }: { palette: Palette }) {
  return (
    <ul aria-label="Legend" className="flex flex-wrap gap-x-4 gap-y-1 text-sm">
      {NODE_LEGEND.map(({ kind, text }) => (
        <li key={kind} className="flex items-center gap-1.5">
          <span aria-hidden className="inline-block size-3 rounded-full" style={{ backgroundColor: palette[kind] }} />
          {text}
        </li>
      ))}
      {FINDING_LEGEND.map(({ kind, text, dashed }) => (
        <li key={kind} className="flex items-center gap-1.5">
          <span aria-hidden className="inline-block w-6 border-t-[3px]" style={{ borderColor: palette[kind], borderTopStyle: dashed ? 'dashed' : 'solid' }} />
          {text}
        </li>
      ))}
    </ul>
  );
}

function Summary({ graph, onSelect }: { graph: Graph; onSelect: (selection: Selection) => void }) {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const findings = edgeFindings(graph);
  const nodeButton = (id: string) => (
    <button type="button" className={linkButton} onClick={() => onSelect({ kind: 'node', id, reveal: true })}>
      {nodes.get(id)?.label ?? id}
    </button>
  );
  return (
    <section aria-labelledby="graph-summary" className="space-y-4">
      <h2 id="graph-summary" className="text-lg font-medium">
        Summary
      </h2>
      <p data-testid="graph-counts" className="text-sm">
        {graph.nodes.length} nodes, {graph.edges.length} edges, {graph.idle.count} idle notebook{graph.idle.count === 1 ? '' : 's'} in the last {graph.window}
        {graph.user ? ` for ${graph.user}` : ''}. Updated {new Date(graph.time * 1000).toLocaleTimeString()}, every {GRAPH_REFRESH_MS / 1000} s.
      </p>
      <div>
        <h3 className="font-medium">Findings</h3>
        {graph.findings.length === 0 ? (
          <p className={muted}>No plaintext traffic, no notebook talking to another, no failing edge.</p>
        ) : (
          <ul aria-label="Findings" className="mt-1 space-y-1 text-sm">
            {graph.findings.map((f) => (
              <li key={`${f.kind} ${f.edge}`}>
                <FindingBadge kind={f.kind} /> {f.message}{' '}
                <button type="button" className={linkButton} onClick={() => onSelect({ kind: 'edge', id: f.edge, reveal: true })}>
                  show
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      {graph.edges.length > 0 && (
        <div className="overflow-x-auto">
          <table aria-label="Top edges by request rate" className="w-full text-left text-sm">
            <caption className="mb-1 text-left font-medium">
              Top edges by request rate{graph.edges.length > TOP_EDGES ? ` (${TOP_EDGES} of ${graph.edges.length})` : ''}
            </caption>
            <thead className="border-b border-slate-200 dark:border-slate-800">
              <tr>
                {['From', 'To', 'Requests', '5xx', 'mTLS', 'TCP bytes', ''].map((h) => (
                  <th key={h} scope="col" className="py-2 pr-3 font-medium">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {topEdges(graph, TOP_EDGES).map((e) => (
                <tr key={e.id} data-findings={(findings.get(e.id) ?? []).join(' ') || undefined} className="border-b border-slate-100 dark:border-slate-900">
                  <td className="py-1 pr-3">{nodeButton(e.source)}</td>
                  <td className="py-1 pr-3">{nodeButton(e.target)}</td>
                  <td className="py-1 pr-3 whitespace-nowrap">{rateText(e.requestsPerSecond)}</td>
                  <td className="py-1 pr-3">{percentText(e.errorRatio)}</td>
                  <td className="py-1 pr-3">{percentText(e.mtlsShare)}</td>
                  <td className="py-1 pr-3 whitespace-nowrap">{e.tcp.sentBytes + e.tcp.receivedBytes > 0 ? bytesText(e.tcp.sentBytes + e.tcp.receivedBytes) : '—'}</td>
                  <td className="py-1 pr-3">
                    <button type="button" className={linkButton} aria-label={`Details of ${nodes.get(e.source)?.label} → ${nodes.get(e.target)?.label}`} onClick={() => onSelect({ kind: 'edge', id: e.id, reveal: true })}>
                      details
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
