'use client';

import type { SharePoint } from '@/lib/mesh/traffic';

const W = 640;
const H = 140;
const PAD = 28;

/** The mutual_tls share over time as an SVG line: gaps stay gaps, a window without requests is marked, 100% is the goal line. */
export function ShareChart({ points, label }: { points: SharePoint[]; label: string }) {
  if (points.length < 2) return <p className="text-sm text-slate-600 dark:text-slate-400">Not enough history yet.</p>;
  const t0 = points[0]!.time;
  const t1 = points.at(-1)!.time;
  const x = (t: number) => PAD + ((t - t0) / Math.max(1, t1 - t0)) * (W - 2 * PAD);
  const y = (share: number) => H - PAD / 2 - share * (H - PAD);
  const segments: string[] = [];
  let current = '';
  for (const p of points) {
    if (p.share === null) {
      if (current) segments.push(current);
      current = '';
      continue;
    }
    current += `${current ? 'L' : 'M'}${x(p.time).toFixed(1)},${y(p.share).toFixed(1)}`;
  }
  if (current) segments.push(current);
  const lowest = Math.min(...points.flatMap((p) => (p.share === null ? [] : [p.share])));
  const summary = Number.isFinite(lowest) ? `lowest ${(lowest * 100).toFixed(1)}%` : 'no requests in this span';
  const time = (t: number) => new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <figure>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${label}: ${summary}`} className="w-full max-w-2xl text-slate-400">
        <line x1={PAD} x2={W - PAD} y1={y(1)} y2={y(1)} stroke="currentColor" strokeDasharray="4 4" />
        <line x1={PAD} x2={W - PAD} y1={y(0)} y2={y(0)} stroke="currentColor" />
        <text x={2} y={y(1) + 4} className="fill-current text-[10px]">100%</text>
        <text x={8} y={y(0) + 4} className="fill-current text-[10px]">0%</text>
        <text x={PAD} y={H - 1} className="fill-current text-[10px]">{time(t0)}</text>
        <text x={W - PAD} y={H - 1} textAnchor="end" className="fill-current text-[10px]">{time(t1)}</text>
        {points
          .filter((p) => p.share === null && p.requestsPerSecond === 0)
          .map((p) => (
            <circle key={p.time} cx={x(p.time)} cy={y(1)} r={1.5} className="fill-slate-400" />
          ))}
        {segments.map((d, i) => (
          <path key={i} d={d} fill="none" strokeWidth={2} className={lowest < 1 ? 'stroke-rose-600' : 'stroke-emerald-600'} />
        ))}
      </svg>
      <figcaption className="text-xs text-slate-600 dark:text-slate-400">{summary}; gaps where Prometheus has no data, dots where there were no requests.</figcaption>
    </figure>
  );
}
