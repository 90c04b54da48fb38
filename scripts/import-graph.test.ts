import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph, upwardImports, type ImportGraph, type LayerRule } from './import-graph';

const root = path.resolve(import.meta.dirname, '..');

/** Modules that import no other module of lib/: anything may use them without making a loop. */
const LEAVES = ['lib/api-error.ts', 'lib/config-error.ts', 'lib/json.ts', 'lib/kube/labels.ts', 'lib/auth/secrets.ts'];

const EDGE = ['lib/http/', 'lib/runtime.ts', 'lib/current-runtime.ts', 'lib/startup.ts'];
const DOMAIN = ['lib/activity/', 'lib/auth/', 'lib/dashboard/', 'lib/mesh/', 'lib/routes/', 'lib/traffic/', 'lib/diagnose/'];

/**
 * lib/'s layers, bottom up: the leaves, and search-params.ts on them; kube/ (Kubernetes I/O) and telemetry/
 * (Prometheus I/O, PromQL literals, Envoy's response flags); changes/ (the change pipeline, on kube/); auth/ and
 * routes/; mesh/, activity/ and dashboard/ above them; traffic/ (figures and the graph) on mesh/; diagnose/ on
 * traffic/ and mesh/; http/, runtime.ts, current-runtime.ts and startup.ts at the edge, which only app/,
 * proxy.ts and server/ import.
 */
const RULES: LayerRule[] = [
  ...LEAVES.map((leaf) => ({ from: leaf, mayNotImport: ['lib/'] })),
  { from: 'lib/search-params.ts', mayNotImport: [...DOMAIN, ...EDGE, 'lib/kube/', 'lib/changes/'] },
  { from: 'lib/kube/', mayNotImport: [...DOMAIN, 'lib/changes/', ...EDGE] },
  { from: 'lib/telemetry/', mayNotImport: [...DOMAIN, 'lib/kube/', 'lib/changes/', ...EDGE] },
  { from: 'lib/changes/', mayNotImport: [...DOMAIN, ...EDGE] },
  { from: 'lib/auth/', mayNotImport: ['lib/activity/', 'lib/dashboard/', 'lib/mesh/', 'lib/routes/', 'lib/traffic/', 'lib/diagnose/', ...EDGE] },
  { from: 'lib/routes/', mayNotImport: ['lib/activity/', 'lib/dashboard/', 'lib/mesh/', 'lib/traffic/', 'lib/diagnose/', ...EDGE] },
  { from: 'lib/mesh/', mayNotImport: ['lib/activity/', 'lib/dashboard/', 'lib/traffic/', 'lib/diagnose/', ...EDGE] },
  { from: 'lib/activity/', mayNotImport: ['lib/dashboard/', 'lib/mesh/', 'lib/traffic/', 'lib/diagnose/', ...EDGE] },
  { from: 'lib/dashboard/', mayNotImport: ['lib/activity/', 'lib/traffic/', 'lib/diagnose/', ...EDGE] },
  { from: 'lib/traffic/', mayNotImport: ['lib/activity/', 'lib/dashboard/', 'lib/diagnose/', ...EDGE] },
  { from: 'lib/diagnose/', mayNotImport: ['lib/activity/', 'lib/dashboard/', ...EDGE] },
];

describe('lib/ import graph', () => {
  const graph = importGraph(root, ['lib']);

  it('reads the imports of every module, type-only ones included', () => {
    expect(graph.get('lib/kube/events.ts')).toContain('lib/kube/labels.ts');
    expect(graph.get('lib/kube/cache-view.ts')).toEqual(['lib/kube/informer.ts', 'lib/kube/types.ts']);
  });

  it('has no import loop', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('has no module importing a layer above its own', () => {
    expect(upwardImports(graph, RULES)).toEqual([]);
  });
});

describe("Next's routes, pages and proxy", () => {
  // Next bundles each route on its own: an import of the composition root (lib/runtime.ts, which only
  // lib/startup.ts needs) puts all of lib/ into every route's chunk. They read lib/current-runtime.ts.
  const graph = importGraph(root, ['app', 'proxy.ts']);

  it('import the runtime from lib/current-runtime.ts, never the composition root', () => {
    expect(graph.get('app/api/v1/routes/route.ts')).toContain('lib/current-runtime.ts');
    expect(upwardImports(graph, [{ from: 'app/', mayNotImport: ['lib/runtime.ts'] }, { from: 'proxy.ts', mayNotImport: ['lib/runtime.ts'] }])).toEqual([]);
  });
});

describe('importCycles', () => {
  const graphOf = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

  it('finds each loop once, however long, and a module importing itself', () => {
    const graph = graphOf({ 'a.ts': ['b.ts'], 'b.ts': ['c.ts', 'd.ts'], 'c.ts': ['a.ts'], 'd.ts': [], 'e.ts': ['e.ts'], 'f.ts': ['d.ts'] });
    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['e.ts']]);
  });

  it('finds none in a graph where modules share imports without a loop', () => {
    expect(importCycles(graphOf({ 'a.ts': ['b.ts', 'c.ts'], 'b.ts': ['c.ts'], 'c.ts': [] }))).toEqual([]);
  });
});

describe('upwardImports', () => {
  it('names each import a rule forbids, and only those', () => {
    const graph: ImportGraph = new Map([
      ['lib/kube/events.ts', ['lib/routes/virtualservice.ts', 'lib/kube/types.ts']],
      ['lib/routes/service.ts', ['lib/kube/events.ts']],
    ]);
    expect(upwardImports(graph, [{ from: 'lib/kube/', mayNotImport: ['lib/routes/'] }])).toEqual(['lib/kube/events.ts -> lib/routes/virtualservice.ts']);
  });
});
