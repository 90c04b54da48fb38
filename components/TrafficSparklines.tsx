'use client';

import { createContext, useContext, useMemo } from 'react';
import type { NotConfigured, Sparklines } from '@/lib/traffic/figures-api';
import { Sparkline } from './charts/Sparkline';
import { useApi } from './live';
import { percent, perSecond } from './traffic-format';

type Lookup = { state: 'loading' | 'unconfigured' | 'error' } | { state: 'ok'; byName: Map<string, Sparklines['sparklines'][number]> };

const SparklinesContext = createContext<Lookup>({ state: 'loading' });

const SPAN = '1h';

/** One request for the sparklines of a table page's routes or users; the cells below read them by name. */
export function SparklinesProvider({ kind, names, children }: { kind: 'routes' | 'users'; names: string[]; children: React.ReactNode }) {
  const unique = [...new Set(names)];
  const { data, error } = useApi<Sparklines | NotConfigured>(unique.length ? `/api/v1/traffic/sparklines?kind=${kind}&window=${SPAN}&names=${unique.map(encodeURIComponent).join(',')}` : null);
  const lookup = useMemo<Lookup>(() => {
    if (error) return { state: 'error' };
    if (!data) return { state: 'loading' };
    if (!data.configured) return { state: 'unconfigured' };
    return { state: 'ok', byName: new Map(data.sparklines.map((s) => [s.name, s])) };
  }, [data, error]);
  return <SparklinesContext.Provider value={lookup}>{children}</SparklinesContext.Provider>;
}

/** A row's requests over the last hour as a sparkline, with the rate and 5xx share beside it. */
export function SparklineCell({ name, subject }: { name: string; subject: string }) {
  const lookup = useContext(SparklinesContext);
  const line = lookup.state === 'ok' ? lookup.byName.get(name) : undefined;
  const points = useMemo(() => line?.points.map((p) => ({ time: p.time, value: p.requestsPerSecond })) ?? [], [line]);
  if (lookup.state === 'unconfigured') return <span className="text-xs text-slate-500" title="Set HUBMESH_PROMETHEUS_URL">no Prometheus</span>;
  if (lookup.state === 'error') return <span className="text-xs text-slate-500">unavailable</span>;
  if (!line) return <span className="text-xs text-slate-500">—</span>;
  const errors = line.errorRatio5xx === null ? '' : ` · ${percent(line.errorRatio5xx * 100)} 5xx`;
  const text = `${perSecond(line.requestsPerSecond)}/s${errors}`;
  return (
    <span className="flex items-center gap-2" data-testid={`sparkline-${name}`}>
      <Sparkline points={points} label={`requests to ${subject} over the last ${SPAN}: ${text}`} color={line.errorRatio5xx ? '#e11d48' : '#0284c7'} />
      <span className={`text-xs whitespace-nowrap ${line.errorRatio5xx ? 'text-rose-700 dark:text-rose-300' : 'text-slate-600 dark:text-slate-400'}`}>{text}</span>
    </span>
  );
}
