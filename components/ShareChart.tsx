'use client';

import { useMemo } from 'react';
import type { SharePoint } from '@/lib/mesh/traffic';
import { alignedData, timeChart, type Line } from './charts/options';
import { shareSummary } from './charts/share-summary';
import { UPlot } from './charts/UPlot';

const percent = (value: number) => `${Math.round(value)}%`;

/** The mutual_tls share over time: gaps stay gaps, a window without requests is a dot on the 100% line, 100% is the goal line. */
export function ShareChart({ points, label }: { points: SharePoint[]; label: string }) {
  const summary = shareSummary(points);
  const lines = useMemo<Array<Line<SharePoint>>>(
    () => [
      { label: 'mutual TLS share', color: summary.belowGoal ? '#e11d48' : '#059669', value: (p) => (p.share === null ? null : p.share * 100) },
      { label: 'goal', color: '#94a3b8', dash: [4, 4], value: () => 100 },
      { label: 'no requests', color: '#94a3b8', pointsOnly: true, value: (p) => (p.share === null && p.requestsPerSecond === 0 ? 100 : null) },
    ],
    [summary.belowGoal],
  );
  const options = useMemo(() => timeChart({ height: 160, lines, format: percent, range: [0, 105] }), [lines]);
  const data = useMemo(() => alignedData(points, lines), [points, lines]);
  if (points.length < 2) return <p className="text-sm text-slate-600 dark:text-slate-400">Not enough history yet.</p>;
  return (
    <figure className="max-w-2xl text-slate-500 dark:text-slate-400">
      <UPlot options={options} data={data} label={`${label}: ${summary.text}`} />
      <figcaption className="text-xs text-slate-600 dark:text-slate-400">{summary.text}; gaps where Prometheus has no data, dots where there were no requests.</figcaption>
    </figure>
  );
}
