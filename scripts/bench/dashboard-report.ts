/** The dashboard bench's figures: its tables against the targets, and their print-out. */
import type { heapMb, RssSampler } from './process-memory';
import { formatTable, percentile, type Row } from './stats';
import type { PageKind, RunResult } from './dashboard-visit';

// The goals.
const TARGET_INTERACTIVE_MS = 1500;
const TARGET_RSS_MB = 250;
// issue 16: holding the scene costs at most this much over the same server idle
const TARGET_RSS_OVER_IDLE = 1.3;

export type Series = { page: PageKind; who: 'hubmesh' | 'anchor'; runs: RunResult[]; cold: RunResult | undefined };
export type ApiSeries = { endpoint: string; who: 'hubmesh' | 'anchor'; latencies: number[]; bytes: number };
type Target = { goal: string; measured: string; pass: boolean };
export type Heaps = Record<'held' | 'setup' | 'end', Partial<Record<'hubmesh' | 'anchor', Awaited<ReturnType<typeof heapMb>>>>>;

const fmtHeap = (h: { used: number; total: number } | undefined) => (h ? `${h.used.toFixed(0)}/${h.total.toFixed(0)}` : '');
const minMax = (x: number[]) => (Math.min(...x) === Math.max(...x) ? String(x[0]) : `${Math.min(...x)}-${Math.max(...x)}`);
const mean = (x: number[]) => (x.length ? x.reduce((a, b) => a + b, 0) / x.length : Number.NaN);

/** A series' count, percentiles, max and mean, as the JSON results keep them. */
export const summary = (x: number[]) => ({ n: x.length, p50: percentile(x, 50), p95: percentile(x, 95), p99: percentile(x, 99), max: percentile(x, 100), mean: mean(x) });

export type Measured = {
  nRoutes: number;
  nPods: number;
  series: Series[];
  apiSeries: ApiSeries[];
  afterChange: ApiSeries[];
  samplers: { hubmesh?: RssSampler; anchor?: RssSampler };
  heaps: Heaps;
};

/** The report's tables and the targets' verdicts, from whatever was measured (also after a failure). */
export function dashboardTables({ nRoutes, nPods, series, apiSeries, afterChange, samplers, heaps }: Measured) {
  const targets: Target[] = [];
  const p = (x: number[], q: number) => percentile(x, q);
  const pageRows: Row[] = [];
  const measures = [
    ['first data', (r: RunResult) => r.firstData],
    ['hydrated', (r: RunResult) => r.hydrated],
    ['click handled', (r: RunResult) => r.inputAt],
    ['interactive', (r: RunResult) => r.interactive],
    ['re-sorted', (r: RunResult) => r.settled],
    ['search', (r: RunResult) => r.search],
  ] as const;
  for (const kind of ['routes', 'pods'] as const) {
    const subject = series.find((s) => s.page === kind && s.who === 'hubmesh');
    const base = series.find((s) => s.page === kind && s.who === 'anchor');
    for (const [what, get] of measures) {
      for (const s of [subject, base]) {
        if (!s || !s.runs.length) continue;
        const x = s.runs.map(get);
        const anchorX = base?.runs.map(get) ?? [];
        let target = '';
        let result = '';
        if (kind === 'routes' && what === 'interactive' && s.who === 'hubmesh') {
          const pass = p(x, 95) < TARGET_INTERACTIVE_MS;
          target = `p95 < ${TARGET_INTERACTIVE_MS} ms`;
          result = pass ? 'PASS' : 'FAIL';
          targets.push({ goal: `routes page interactive < ${TARGET_INTERACTIVE_MS} ms (${nRoutes} routes, ${nPods} pods): sort clicked, aria-sort flipped; p95 of ${x.length}`, measured: `p50 ${p(x, 50).toFixed(0)} ms, p95 ${p(x, 95).toFixed(0)} ms (empty-table anchor p50 ${p(anchorX, 50).toFixed(0)}, p95 ${p(anchorX, 95).toFixed(0)})`, pass });
        }
        if (kind === 'routes' && what === 're-sorted' && s.who === 'hubmesh') {
          const pass = p(x, 95) < TARGET_INTERACTIVE_MS;
          target = `p95 < ${TARGET_INTERACTIVE_MS} ms (strict)`;
          result = pass ? 'PASS' : 'FAIL';
          targets.push({ goal: `strict reading: ... and the re-sorted rows on screen; p95 of ${x.length}`, measured: `p50 ${p(x, 50).toFixed(0)} ms, p95 ${p(x, 95).toFixed(0)} ms (anchor's filter answered: p50 ${p(anchorX, 50).toFixed(0)}, p95 ${p(anchorX, 95).toFixed(0)})`, pass });
        }
        pageRows.push({
          page: `/${kind}`,
          measure: what,
          who: s.who === 'hubmesh' ? `hubmesh (${kind === 'routes' ? nRoutes : nPods} rows)` : 'anchor (empty table)',
          n: x.length,
          'p50 ms': p(x, 50),
          'p95 ms': p(x, 95),
          'max ms': p(x, 100),
          'cold ms': s.cold ? get(s.cold) : Number.NaN,
          'ratio p50': s.who === 'hubmesh' ? p(x, 50) / p(anchorX, 50) : 1,
          target,
          result,
        });
      }
    }
  }
  const browserRows: Row[] = series
    .filter((s) => s.runs.length)
    .map((s) => ({
      page: `/${s.page}`,
      who: s.who,
      'doc p50 ms': p(s.runs.map((r) => r.docMs), 50),
      'DCL p50 ms': p(s.runs.map((r) => r.dclMs), 50),
      'api sent p50 ms': p(s.runs.map((r) => r.firstApiStart), 50),
      'api took p50 ms': p(s.runs.map((r) => r.firstApiMs), 50),
      'api calls at load': minMax(s.runs.map((r) => r.apiCallsAtLoad)),
      'api KB': (s.runs[0]!.firstApiBytes || 0) / 1024,
      'FCP p50 ms': p(s.runs.map((r) => r.fcp), 50),
      'blocking p50 ms': p(s.runs.map((r) => r.blockingMs), 50),
      'longest task p50 ms': p(s.runs.map((r) => r.longestTaskMs), 50),
      'JS heap MB': p(s.runs.map((r) => r.jsHeapMb), 50),
      'rows in DOM': s.runs[0]!.domRows,
    }));
  const interactionRows: Row[] = series
    .filter((s) => s.runs.length)
    .map((s) => ({
      page: `/${s.page}`,
      who: s.who,
      interaction: s.who === 'hubmesh' ? `sort ${s.page === 'routes' ? 'Route' : 'Pod'}` : s.page === 'routes' ? 'Status filter' : 'Warnings filter',
      'interaction p50 ms': p(s.runs.map((r) => r.interactionMs), 50),
      'its RSC/API requests': `${minMax(s.runs.map((r) => r.interactionRsc))}/${minMax(s.runs.map((r) => r.interactionApi))}`,
    }));
  const apiRows: Row[] = [...apiSeries, ...afterChange]
    .filter((s) => s.latencies.length)
    .map((s) => {
      const a = [...apiSeries, ...afterChange].find((x) => x.endpoint === s.endpoint && x.who === 'anchor');
      return {
        endpoint: s.endpoint,
        who: s.who,
        n: s.latencies.length,
        'p50 ms': p(s.latencies, 50),
        'p99 ms': p(s.latencies, 99),
        'mean ms': mean(s.latencies),
        KB: s.bytes / 1024,
        'ratio p50': s.who === 'hubmesh' && a ? p(s.latencies, 50) / p(a.latencies, 50) : 1,
      };
    });
  const rssRows: Row[] = [];
  for (const who of ['hubmesh', 'anchor'] as const) {
    const s = samplers[who];
    if (!s) continue;
    const max = s.max();
    rssRows.push({
      server: who === 'hubmesh' ? `hubmesh (${nRoutes} routes, ${nPods} pods)` : `anchor (0 routes, ${nPods} pods cached)`,
      pid: s.pid,
      samples: s.samples.length,
      'start MB': s.samples[0]?.mb ?? Number.NaN,
      'max setup MB': s.max('setup'),
      'held MB (median)': s.median('held'),
      'held heap used/total MB': fmtHeap(heaps.held[who]),
      'after the overview MB': s.last('catch-up'),
      'max measure MB': s.max('measure'),
      'final MB': s.last(),
      'max MB': max,
      'VmHWM MB': s.lastHwm,
      'heap used/total MB, setup end': fmtHeap(heaps.setup[who]),
      'at the end': fmtHeap(heaps.end[who]),
      target: who === 'hubmesh' ? `< ${TARGET_RSS_MB} MB` : '',
      result: who === 'hubmesh' ? (max < TARGET_RSS_MB ? 'PASS' : 'FAIL') : '',
    });
    if (who === 'hubmesh') {
      targets.push({ goal: `server RSS < ${TARGET_RSS_MB} MB (${nRoutes} routes, ${nPods} pods), max of 250 ms samples`, measured: `max ${max.toFixed(0)} MB, final ${s.last().toFixed(0)} MB, VmHWM ${s.lastHwm.toFixed(0)} MB (anchor max ${samplers.anchor?.max().toFixed(0) ?? '?'} MB)`, pass: max < TARGET_RSS_MB });
      // idle: the first sample, the server ready and nothing in its caches yet; held: the median of the samples
      // taken while its watch caches hold every route and pod and nothing has built the console's joined view
      // (the first overview request does; the RSS after it is shown beside)
      const idle = s.samples[0]?.mb ?? Number.NaN;
      const held = s.median('held');
      const viewed = s.last('catch-up');
      targets.push({
        goal: `server RSS holding ${nRoutes} routes and ${nPods} pods ≤ ${TARGET_RSS_OVER_IDLE}× the same server idle`,
        measured: `${held.toFixed(0)} MB held / ${idle.toFixed(0)} MB idle = ${(held / idle).toFixed(2)}× (with the console's joined view built: ${viewed.toFixed(0)} MB = ${(viewed / idle).toFixed(2)}×)`,
        pass: held / idle <= TARGET_RSS_OVER_IDLE,
      });
    }
  }

  return { targets, pageRows, browserRows, interactionRows, apiRows, rssRows };
}

export function printDashboardTables(
  { targets, pageRows, browserRows, interactionRows, apiRows, rssRows }: ReturnType<typeof dashboardTables>,
  phases: Array<{ phase: string; seconds: number; detail?: string }>,
): void {
  if (pageRows.length) {
    console.log('pages, ms from navigation start in the page (search: from typing), a fresh context per run\n');
    console.log(formatTable(pageRows));
    console.log('');
    console.log('the load in the browser (p50 over the runs; ms from navigation start; blocking = sum of long tasks over 50 ms until re-sorted)\n');
    console.log(formatTable(browserRows));
    console.log('');
    console.log('the interaction (from the click/change handled until its data is on screen) and the requests it made\n');
    console.log(formatTable(interactionRows));
    console.log('');
  }
  if (apiRows.length) {
    console.log('the console API, sequential, with the session cookie\n');
    console.log(formatTable(apiRows));
    console.log('');
  }
  if (rssRows.length) {
    console.log('server RSS (VmRSS every 250 ms; setup = pods created and Running, routes POSTed; held = the watch caches hold them all, nothing asked for 3 s; the overview = the first request that builds the joined view; measure = pages and API)\n');
    console.log(formatTable(rssRows));
    console.log('');
  }
  if (targets.length) {
    console.log("the issue's targets (goals, not tests)\n");
    console.log(formatTable(targets.map((t) => ({ goal: t.goal, measured: t.measured, result: t.pass ? 'PASS' : 'FAIL' }))));
    console.log('');
  }
  console.log(formatTable(phases.map((x) => ({ phase: x.phase, seconds: x.seconds, detail: x.detail ?? '' }))));
}
