'use client';

import { useMemo, useState } from 'react';
import type { FlagRow, TrafficFigures, TrafficPoint } from '@/lib/traffic/figures';
import type { NotConfigured, RouteTraffic, UserTraffic } from '@/lib/traffic/figures-api';
import { alignedData, timeChart, type Line } from './charts/options';
import { UPlot } from './charts/UPlot';
import { bytes, percent, perSecond, milliseconds, TRAFFIC_WINDOWS, type TrafficWindow } from './traffic-format';
import { useApi } from './live';
import { Badge, ErrorState, Facts, inputClass } from './ui';

type Answer = RouteTraffic | UserTraffic | NotConfigured;

const CHARTS: Array<{ title: string; format: (value: number) => string; lines: Array<Line<TrafficPoint>> }> = [
  {
    title: 'Requests per second',
    format: perSecond,
    lines: [{ label: 'requests/s', color: '#0284c7', value: (p) => p.requestsPerSecond }],
  },
  {
    title: 'Errors',
    format: percent,
    lines: [
      { label: '5xx', color: '#e11d48', value: (p) => (p.errorRatio5xx === null ? null : p.errorRatio5xx * 100) },
      { label: '4xx', color: '#d97706', value: (p) => (p.errorRatio4xx === null ? null : p.errorRatio4xx * 100) },
    ],
  },
  {
    title: 'Latency',
    format: milliseconds,
    lines: [
      { label: 'p50', color: '#0284c7', value: (p) => p.p50Ms },
      { label: 'p95', color: '#7c3aed', value: (p) => p.p95Ms },
    ],
  },
  {
    title: 'Bytes per second',
    format: bytes,
    lines: [
      { label: 'in', color: '#059669', value: (p) => p.bytesInPerSecond },
      { label: 'out', color: '#0284c7', value: (p) => p.bytesOutPerSecond },
    ],
  },
];

function Chart({ chart, points, subject }: { chart: (typeof CHARTS)[number]; points: TrafficPoint[]; subject: string }) {
  const options = useMemo(() => timeChart({ height: 140, lines: chart.lines, format: chart.format }), [chart]);
  const data = useMemo(() => alignedData(points, chart.lines), [points, chart]);
  return (
    <figure className="min-w-0 text-slate-500 dark:text-slate-400">
      <figcaption className="text-sm font-medium text-slate-900 dark:text-slate-100">{chart.title}</figcaption>
      <UPlot options={options} data={data} label={`${chart.title} of ${subject}`} />
    </figure>
  );
}

/** The window's figures in words: what a support ticket would quote. */
function Figures({ figures, window, time, websocketsNote }: { figures: TrafficFigures; window: string; time: number; websocketsNote: string | undefined }) {
  const rows: Array<[string, React.ReactNode]> = [
    ['Requests', `${perSecond(figures.requestsPerSecond)}/s on average`],
    ['5xx', figures.errorRatio5xx === null ? '—' : percent(figures.errorRatio5xx * 100)],
    ['4xx', figures.errorRatio4xx === null ? '—' : percent(figures.errorRatio4xx * 100)],
    ['Latency p50 / p95', `${figures.latencyMs.p50 === null ? '—' : milliseconds(figures.latencyMs.p50)} / ${figures.latencyMs.p95 === null ? '—' : milliseconds(figures.latencyMs.p95)}`],
    ['Bytes in / out', `${bytes(figures.bytes.in)} / ${bytes(figures.bytes.out)}`],
    ['Websockets open', figures.websockets === null ? (websocketsNote ?? 'not exported') : String(figures.websockets)],
  ];
  return <Facts rows={rows} aria-label={`Traffic over the last ${window}`} data-time={time} />;
}

function Flags({ rows }: { rows: FlagRow[] }) {
  if (rows.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">No response carried an Envoy failure flag.</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full min-w-[520px] text-left text-sm">
        <caption className="sr-only">Responses with Envoy failure flags</caption>
        <thead className="text-slate-600 dark:text-slate-400">
          <tr>
            <th scope="col" className="py-1 pr-3 font-medium">Flags</th>
            <th scope="col" className="py-1 pr-3 font-medium">Code</th>
            <th scope="col" className="py-1 pr-3 font-medium">Requests</th>
            <th scope="col" className="py-1 pr-3 font-medium">What happened</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={`${row.service}|${row.reporter}|${row.responseCode}|${row.flags}`} className="border-t border-slate-200 align-top dark:border-slate-800">
              <td className="py-1.5 pr-3 font-mono">
                <Badge tone={row.responseCode.startsWith('5') ? 'bad' : 'warn'}>{row.flags}</Badge>
              </td>
              <td className="py-1.5 pr-3">{row.responseCode}</td>
              <td className="py-1.5 pr-3">{Math.round(row.count).toLocaleString('en')}</td>
              <td className="py-1.5">
                <ul className="space-y-1">
                  {row.explanations.map((flag) => (
                    <li key={flag.code}>
                      <span className="font-mono">{flag.code}</span>: {flag.meaning} <span className="text-slate-600 dark:text-slate-400">{flag.hint}</span>
                    </li>
                  ))}
                </ul>
                <span className="text-xs text-slate-500">reported by the {row.reporter === 'source' ? "caller's proxy (the gateway for browsers)" : "notebook's sidecar"}</span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * A route's or a user's traffic from Istio's telemetry over a chosen window: the figures, four charts
 * (requests, errors, latency, bytes) and the responses Envoy flagged, each flag in plain words.
 */
export function TrafficPanel({ url, subject }: { url: string; subject: string }) {
  const [window, setWindow] = useState<TrafficWindow>('1h');
  const { data, error } = useApi<Answer>(`${url}${url.includes('?') ? '&' : '?'}window=${window}`);
  return (
    <div className="space-y-4">
      <label className="flex w-fit flex-col text-sm">
        Window
        <select className={inputClass} value={window} onChange={(e) => setWindow(e.target.value as TrafficWindow)}>
          {TRAFFIC_WINDOWS.map((w) => (
            <option key={w} value={w}>
              last {w}
            </option>
          ))}
        </select>
      </label>
      {error ? (
        <ErrorState error={error} />
      ) : !data ? (
        <p className="text-sm">Loading…</p>
      ) : !data.configured ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">Set HUBMESH_PROMETHEUS_URL to Istio&apos;s Prometheus to see requests, errors, latency and bytes here.</p>
      ) : (
        <>
          <Figures figures={data.figures} window={data.window} time={data.time} websocketsNote={data.websocketsNote} />
          <div className="grid gap-4 md:grid-cols-2">
            {CHARTS.map((chart) => (
              <Chart key={chart.title} chart={chart} points={data.series.points} subject={subject} />
            ))}
          </div>
          <section aria-label="Flagged responses" className="space-y-2">
            <h4 className="text-sm font-medium">Responses Envoy flagged</h4>
            <Flags rows={data.flags} />
          </section>
        </>
      )}
    </div>
  );
}
