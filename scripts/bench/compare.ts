/**
 * A bench section's headline figures, read from the JSON it writes, and their comparison between two
 * checkouts over alternating rounds (BENCH_BASELINE, baseline.ts). Pure: no I/O.
 */
import { median, type Row } from './stats';

/** One headline figure of one run of a section. */
export type Figure = { name: string; value: number };

/** An object of a section's JSON results. */
type JsonObject = Record<string, unknown>;

const list = (value: unknown): JsonObject[] => (Array.isArray(value) ? (value as JsonObject[]) : []);
const numberOf = (value: unknown) => (typeof value === 'number' ? value : Number.NaN);

/** `columns` of each row, each named after its row's label. */
function rowFigures(rows: JsonObject[], label: (row: JsonObject) => string, columns: string[]): Figure[] {
  return rows.flatMap((row) => columns.map((column) => ({ name: `${label(row)}: ${column}`, value: numberOf(row[column]) })));
}

const notAnchor = (row: JsonObject) => !String(row.measure).endsWith('(anchor)');

/**
 * Each section's results file (under bench-results/) and its headline figures: hubmesh's own rows, both
 * their raw value and their ratio to the anchor measured in the same run. Anchors are left out.
 */
export const sectionResults = {
  kube: {
    file: 'kube-layer.json',
    figures: (r: JsonObject) => rowFigures([...list(r.writes), ...list(r.reads)].filter(notAnchor), (row) => String(row.measure), ['p50 ms', 'ratio p50']),
  },
  proxy: {
    file: 'proxy-api.json',
    figures: (r: JsonObject) =>
      rowFigures(
        list(r.rows).filter((row) => String(row.who).startsWith('hubmesh')),
        (row) => `${row.routes} routes, ${row.op} c=${row.c}`,
        ['p50 ms', 'ratio p50'],
      ),
  },
  dashboard: {
    file: 'dashboard.json',
    figures: (r: JsonObject) => [
      ...rowFigures(
        list(r.pageRows).filter((row) => String(row.who).startsWith('hubmesh')),
        (row) => `${row.page} ${row.measure}`,
        ['p50 ms', 'ratio p50'],
      ),
      ...list(r.api)
        .filter((series) => series.who === 'hubmesh')
        .map((series) => ({ name: `${series.endpoint}: p50 ms`, value: numberOf(series.p50) })),
      { name: 'server RSS: max MB', value: numberOf((r.rss as Record<string, JsonObject> | undefined)?.hubmesh?.max) },
    ],
  },
  memory: {
    file: 'memory.json',
    figures: (r: JsonObject) =>
      rowFigures(
        list(r.results).filter((result) => String(result.who).startsWith('hubmesh')),
        (result) => String(result.who),
        ['fillS', 'heapUsedMb', 'rssMb', 'getMs', 'restartReadyS', 'restartGetS', 'heapAfterRestartMb'],
      ),
  },
  json: {
    file: 'json-parse.json',
    figures: (r: JsonObject) => rowFigures(list(r.rows).filter(notAnchor), (row) => String(row.measure), ['p50 µs', 'ratio p50']),
  },
  circuit: {
    file: 'circuit-breakers.json',
    figures: (r: JsonObject) => rowFigures(list(r.rows).filter(notAnchor), (row) => `${row.routes} routes, ${row.measure}`, ['p50 ms', 'ratio p50']),
  },
  isolation: {
    file: 'isolation.json',
    figures: (r: JsonObject) => rowFigures(list(r.rows).filter(notAnchor), (row) => `${row.pods} pods, ${row.measure}`, ['p50 ms', 'ratio p50']),
  },
  traffic: {
    file: 'traffic.json',
    figures: (r: JsonObject) => rowFigures(list(r.rows).filter(notAnchor), (row) => `${row.notebooks} notebooks, ${row.measure}`, ['p50 ms', 'ratio p50', 'samples']),
  },
  routeapi: {
    file: 'route-api.json',
    figures: (r: JsonObject) => rowFigures(list(r.rows).filter(notAnchor), (row) => String(row.measure), ['p50 ms', 'ratio p50']),
  },
  image: {
    file: 'image.json',
    figures: (r: JsonObject) =>
      (['image', 'checkout'] as const).flatMap((who) =>
        (['readyMs', 'rssMb', 'stopMs'] as const).map((metric) => ({ name: `${who}: ${metric} (median of its runs)`, value: median(list(r[who]).map((run) => numberOf(run[metric]))) })),
      ),
  },
} satisfies Record<string, { file: string; figures: (results: JsonObject) => Figure[] }>;

export type SectionName = keyof typeof sectionResults;

/** A figure's values over the rounds of each checkout (non-numbers left out). */
export type Comparison = { name: string; baseline: number[]; current: number[] };

/** Groups each round's figures by name, in the order they first appear. */
export function collectRounds(baseline: Figure[][], current: Figure[][]): Comparison[] {
  const byName = new Map<string, Comparison>();
  const add = (rounds: Figure[][], side: 'baseline' | 'current') => {
    for (const figure of rounds.flat()) {
      const comparison = byName.get(figure.name) ?? { name: figure.name, baseline: [], current: [] };
      byName.set(figure.name, comparison);
      if (Number.isFinite(figure.value)) comparison[side].push(figure.value);
    }
  };
  add(baseline, 'baseline');
  add(current, 'current');
  return [...byName.values()];
}

/**
 * Within noise when the current rounds' range overlaps the baseline rounds' range, i.e. the ratio's
 * interval from min/max of the rounds (min current / max baseline .. max current / min baseline)
 * holds 1.0. Needs `minRounds` values on each side.
 */
export function verdict(baseline: number[], current: number[], minRounds = 2): string {
  if (baseline.length < minRounds || current.length < minRounds) return `too few rounds (${baseline.length}/${current.length})`;
  if (Math.min(...current) > Math.max(...baseline)) return 'higher, outside noise';
  if (Math.max(...current) < Math.min(...baseline)) return 'lower, outside noise';
  return 'within noise';
}

const ratioRange = ({ baseline, current }: Comparison) =>
  baseline.length && current.length ? `${(Math.min(...current) / Math.max(...baseline)).toFixed(2)}-${(Math.max(...current) / Math.min(...baseline)).toFixed(2)}` : '';

/** The comparison's table: medians, their ratio, the ratio's range over the rounds, and the verdict. */
export function comparisonRows(comparisons: Comparison[]): Row[] {
  return comparisons.map((c) => ({
    figure: c.name,
    'baseline median': median(c.baseline),
    'current median': median(c.current),
    'current/baseline': median(c.current) / median(c.baseline),
    'ratio range': ratioRange(c),
    verdict: verdict(c.baseline, c.current),
  }));
}
