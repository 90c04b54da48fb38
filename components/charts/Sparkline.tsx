'use client';

import { useMemo } from 'react';
import { sparkline } from './options';
import { UPlot } from './UPlot';

export type SparkPoint = { time: number; value: number | null };

/** A small line of recent values beside a figure; `label` names what it shows and its latest value for assistive technology. */
export function Sparkline({ points, label, color = '#0284c7' }: { points: readonly SparkPoint[]; label: string; color?: string }) {
  const options = useMemo(() => sparkline({ height: 22, color }), [color]);
  const data = useMemo(() => [points.map((p) => p.time), points.map((p) => p.value)] as [number[], Array<number | null>], [points]);
  if (points.length < 2) return <span className="text-xs text-slate-500">—</span>;
  return <UPlot options={options} data={data} label={label} className="h-[22px] w-24" />;
}
