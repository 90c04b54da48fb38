import { describe, expect, it } from 'vitest';
import { collectRounds, comparisonRows, sectionResults, verdict } from './compare';
import { formatTable } from './stats';

describe('verdict', () => {
  it('is within noise when the rounds of the two checkouts overlap', () => {
    expect(verdict([10, 12], [11, 13])).toBe('within noise');
    expect(verdict([10, 12], [12, 14])).toBe('within noise');
    expect(verdict([10, 12], [9, 14])).toBe('within noise');
  });

  it('says which way a figure moved when every current round is beyond every baseline round', () => {
    expect(verdict([10, 12], [12.5, 13])).toBe('higher, outside noise');
    expect(verdict([10, 12], [8, 9.9])).toBe('lower, outside noise');
  });

  it('needs at least two rounds on each side', () => {
    expect(verdict([10], [30, 31])).toBe('too few rounds (1/2)');
    expect(verdict([10, 11, 12], [11, 12, 13], 3)).toBe('within noise');
    expect(verdict([10, 11], [11, 12], 3)).toBe('too few rounds (2/2)');
  });
});

describe('collectRounds', () => {
  it('groups the rounds by figure, in first-seen order, and drops values that are not numbers', () => {
    const a = (value: number) => ({ name: 'a', value });
    const b = (value: number) => ({ name: 'b', value });
    expect(collectRounds([[a(1), b(5)], [a(2), b(Number.NaN)]], [[b(6), a(3)], [a(4), { name: 'new', value: 7 }]])).toEqual([
      { name: 'a', baseline: [1, 2], current: [3, 4] },
      { name: 'b', baseline: [5], current: [6] },
      { name: 'new', baseline: [], current: [7] },
    ]);
  });
});

describe('comparisonRows', () => {
  it('prints medians, their ratio, the ratio range over the rounds and the verdict', () => {
    const rows = comparisonRows([
      { name: 'POST p50 ms', baseline: [10, 12], current: [11, 13] },
      { name: 'RSS MB', baseline: [100, 102, 104], current: [120, 130, 125] },
      { name: 'new figure', baseline: [], current: [5, 6] },
    ]);
    expect(formatTable(rows)).toBe(
      [
        'figure       baseline median  current median  current/baseline  ratio range  verdict',
        '-----------  ---------------  --------------  ----------------  -----------  ---------------------',
        'POST p50 ms               11              12              1.09  0.92-1.30    within noise',
        'RSS MB                   102             125              1.23  1.15-1.30    higher, outside noise',
        'new figure               NaN            5.50               NaN               too few rounds (0/2)',
      ].join('\n'),
    );
  });
});

describe('sectionResults', () => {
  it('reads hubmesh rows of the proxy API section, not its anchors', () => {
    const results = {
      rows: [
        { routes: 1000, c: 10, op: 'POST', who: 'hubmesh', 'p50 ms': 8.5, 'ratio p50': 1.1 },
        { routes: 1000, c: 10, op: 'POST', who: 'client-node CustomObjectsApi (create)', 'p50 ms': 7.7, 'ratio p50': 1 },
        { routes: 1000, c: 1, op: 'GET', who: 'hubmesh', 'p50 ms': 3, 'ratio p50': 1.5 },
        { routes: 1000, c: 1, op: 'POST unchanged', who: 'CHP 5.3.0', 'p50 ms': 0.3, 'ratio p50': 1 },
        { routes: 1000, c: 1, op: 'POST unchanged', who: 'hubmesh (no write expected)', 'p50 ms': 10, 'ratio p50': 33 },
      ],
    };
    expect(sectionResults.proxy.figures(results)).toEqual([
      { name: '1000 routes, POST c=10: p50 ms', value: 8.5 },
      { name: '1000 routes, POST c=10: ratio p50', value: 1.1 },
      { name: '1000 routes, GET c=1: p50 ms', value: 3 },
      { name: '1000 routes, GET c=1: ratio p50', value: 1.5 },
      { name: '1000 routes, POST unchanged c=1: p50 ms', value: 10 },
      { name: '1000 routes, POST unchanged c=1: ratio p50', value: 33 },
    ]);
  });

  it('reads the dashboard pages, console API and RSS of hubmesh, not of the empty-table anchor', () => {
    const results = {
      pageRows: [
        { page: '/routes', measure: 'interactive', who: 'hubmesh (5000 rows)', 'p50 ms': 900, 'ratio p50': 2 },
        { page: '/routes', measure: 'interactive', who: 'anchor (empty table)', 'p50 ms': 450, 'ratio p50': 1 },
      ],
      api: [
        { endpoint: '/api/v1/routes', who: 'hubmesh', p50: 40 },
        { endpoint: '/api/v1/routes', who: 'anchor', p50: 4 },
      ],
      rss: { hubmesh: { max: 210 }, anchor: { max: 150 } },
    };
    expect(sectionResults.dashboard.figures(results)).toEqual([
      { name: '/routes interactive: p50 ms', value: 900 },
      { name: '/routes interactive: ratio p50', value: 2 },
      { name: '/api/v1/routes: p50 ms', value: 40 },
      { name: 'server RSS: max MB', value: 210 },
    ]);
  });

  it('reads the memory of each hubmesh mode, not configurable-http-proxy, and keeps a missing value as NaN', () => {
    const results = {
      results: [
        { who: 'configurable-http-proxy 5.3.0', fillS: 9, heapUsedMb: 50, rssMb: 90, getMs: 30 },
        { who: 'hubmesh, local mode', fillS: 12, heapUsedMb: 160, rssMb: 240, getMs: 80, restartReadyS: 2.5, restartGetS: 3, heapAfterRestartMb: undefined },
      ],
    };
    const figures = sectionResults.memory.figures(results);
    expect(figures.map((f) => f.name)).toEqual([
      'hubmesh, local mode: fillS',
      'hubmesh, local mode: heapUsedMb',
      'hubmesh, local mode: rssMb',
      'hubmesh, local mode: getMs',
      'hubmesh, local mode: restartReadyS',
      'hubmesh, local mode: restartGetS',
      'hubmesh, local mode: heapAfterRestartMb',
    ]);
    expect(figures.map((f) => f.value)).toEqual([12, 160, 240, 80, 2.5, 3, Number.NaN]);
  });

  it('reads the in-process sections without their anchors, and the image medians', () => {
    const kube = { writes: [{ measure: 'create: client-node CustomObjectsApi (anchor)', 'p50 ms': 5, 'ratio p50': 1 }, { measure: 'create: hubmesh ResourceStore', 'p50 ms': 6, 'ratio p50': 1.2 }], reads: [] };
    expect(sectionResults.kube.figures(kube)).toEqual([
      { name: 'create: hubmesh ResourceStore: p50 ms', value: 6 },
      { name: 'create: hubmesh ResourceStore: ratio p50', value: 1.2 },
    ]);
    const json = { rows: [{ measure: 'hub body: JSON.parse (anchor)', 'p50 µs': 0.5, 'ratio p50': 1 }, { measure: 'hub body: parseJson', 'p50 µs': 1, 'ratio p50': 2 }] };
    expect(sectionResults.json.figures(json).map((f) => f.name)).toEqual(['hub body: parseJson: p50 µs', 'hub body: parseJson: ratio p50']);
    const circuit = {
      rows: [
        { routes: 10000, measure: 'rate-limit EnvoyFilter render (anchor)', 'p50 ms': 20, 'ratio p50': 1 },
        { routes: 10000, measure: 'circuit-breaker plan', 'p50 ms': 25, 'ratio p50': 1.25 },
      ],
    };
    expect(sectionResults.circuit.figures(circuit)).toEqual([
      { name: '10000 routes, circuit-breaker plan: p50 ms', value: 25 },
      { name: '10000 routes, circuit-breaker plan: ratio p50', value: 1.25 },
    ]);
    const image = { image: [{ readyMs: 3000, rssMb: 160, stopMs: 40 }, { readyMs: 2000, rssMb: 150, stopMs: 60 }], checkout: [{ readyMs: 3500, rssMb: 170, stopMs: 50 }] };
    expect(sectionResults.image.figures(image)).toEqual([
      { name: 'image: readyMs (median of its runs)', value: 2500 },
      { name: 'image: rssMb (median of its runs)', value: 155 },
      { name: 'image: stopMs (median of its runs)', value: 50 },
      { name: 'checkout: readyMs (median of its runs)', value: 3500 },
      { name: 'checkout: rssMb (median of its runs)', value: 170 },
      { name: 'checkout: stopMs (median of its runs)', value: 50 },
    ]);
  });
});
