'use client';

import { useState } from 'react';
import { CanaryPanel } from './CanaryPanel';
import { useApi, type Initial } from './live';
import { Age, Badge, Drawer, EmptyState, ErrorState, inputClass, Results, SearchField, SortHeader } from './ui';
import { useTable } from './useTableState';
import type { Page, RouteRow } from '@/lib/dashboard/view';

type RoutesAnswer = Page<RouteRow> & { synced: boolean };
type Detail = { row: RouteRow; data: Record<string, unknown> | null; yaml: string };
type Sort = 'path' | 'user' | 'target' | 'status' | 'lastActivity' | 'age';

function StatusCell({ row }: { row: RouteRow }) {
  return row.status === 'ok' ? (
    <Badge tone="ok">ok</Badge>
  ) : (
    <Badge tone="bad" title={row.problems.join('; ')}>
      {row.problems[0] ?? 'degraded'}
    </Badge>
  );
}

function RouteDrawer({ name, onClose }: { name: string | undefined; onClose: () => void }) {
  const { data, error } = useApi<Detail>(name ? `/api/v1/routes/${encodeURIComponent(name)}` : null);
  return (
    <Drawer open={name !== undefined} title={data?.row.path ?? name ?? ''} onClose={onClose}>
      {error && <ErrorState error={error} />}
      {data && (
        <div className="space-y-4 text-sm">
          <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1">
            <dt className="text-slate-600 dark:text-slate-400">VirtualService</dt>
            <dd className="font-mono break-all">{data.row.virtualService}</dd>
            <dt className="text-slate-600 dark:text-slate-400">Destination</dt>
            <dd className="font-mono break-all">{data.row.destination}</dd>
            <dt className="text-slate-600 dark:text-slate-400">Service</dt>
            <dd>{data.row.serviceExists === undefined ? 'outside this namespace' : data.row.serviceExists ? 'exists' : 'missing'}</dd>
            <dt className="text-slate-600 dark:text-slate-400">Pods</dt>
            <dd className="font-mono break-all">{data.row.pods.join(', ') || '—'}</dd>
            <dt className="text-slate-600 dark:text-slate-400">Status</dt>
            <dd>{data.row.problems.length ? data.row.problems.join('; ') : 'ok'}</dd>
          </dl>
          <section>
            <h3 className="font-medium">Route data (as the hub sent it)</h3>
            <pre className="mt-1 overflow-x-auto rounded bg-slate-100 p-3 text-xs dark:bg-slate-800">{JSON.stringify(data.data, null, 2)}</pre>
          </section>
          <CanaryPanel name={data.row.virtualService} />
          <section>
            <h3 className="font-medium">VirtualService</h3>
            <pre aria-label="VirtualService YAML" className="mt-1 overflow-x-auto rounded bg-slate-100 p-3 text-xs dark:bg-slate-800">
              {data.yaml}
            </pre>
          </section>
        </div>
      )}
    </Drawer>
  );
}

export function RoutesTable({ initial }: { initial: Initial<RoutesAnswer> | undefined }) {
  const { params, set, search, setSearch, sortState, onSort, data, error } = useTable<Sort, RoutesAnswer>('routes', 'path', initial);
  const [open, setOpen] = useState<string | undefined>();
  return (
    <>
      <div className="flex flex-wrap items-end gap-3">
        <SearchField value={search} onChange={setSearch} placeholder="route, user, target, VirtualService" />
        <label className="flex flex-col text-sm">
          Status
          <select className={inputClass} value={params.get('status') ?? ''} onChange={(e) => set({ status: e.target.value })}>
            <option value="">all</option>
            <option value="ok">ok</option>
            <option value="degraded">degraded</option>
          </select>
        </label>
        <label className="flex flex-col text-sm">
          User
          <input className={`${inputClass} w-40`} value={params.get('user') ?? ''} onChange={(e) => set({ user: e.target.value })} />
        </label>
      </div>
      <Results
        page={data}
        error={error}
        onPage={(page) => set({ page })}
        empty={
          <EmptyState title={params.size ? 'No route matches these filters' : 'No routes yet'}>
            {params.size
              ? 'Clear the search or filters.'
              : 'Routes appear when JupyterHub adds them: set c.ConfigurableHTTPProxy.should_start = False and api_url to hubmesh, then start the hub.'}
          </EmptyState>
        }
      >
        <table className="w-full min-w-[960px] text-left text-sm">
          <caption className="sr-only">Routes</caption>
          <thead className="text-slate-600 dark:text-slate-400">
            <tr>
              <SortHeader label="Route" column="path" state={sortState} onSort={onSort} />
              <SortHeader label="User" column="user" state={sortState} onSort={onSort} />
              <th scope="col" className="py-2 pr-3 font-medium">Server</th>
              <SortHeader label="Target" column="target" state={sortState} onSort={onSort} />
              <th scope="col" className="py-2 pr-3 font-medium">Destination</th>
              <th scope="col" className="py-2 pr-3 font-medium">VirtualService</th>
              <SortHeader label="Status" column="status" state={sortState} onSort={onSort} />
              <SortHeader label="Last activity" column="lastActivity" state={sortState} onSort={onSort} />
              <SortHeader label="Age" column="age" state={sortState} onSort={onSort} />
            </tr>
          </thead>
          <tbody>
            {data?.items.map((r) => (
              <tr key={r.virtualService} className="border-t border-slate-200 align-top dark:border-slate-800">
                <td className="py-1.5 pr-3">
                  <button type="button" className="text-left font-mono break-all text-sky-700 hover:underline dark:text-sky-300" onClick={() => setOpen(r.virtualService)}>
                    {r.path}
                  </button>
                </td>
                <td className="py-1.5 pr-3 break-all">{r.user ?? '—'}</td>
                <td className="py-1.5 pr-3">{r.serverName === undefined ? '—' : r.serverName || 'default'}</td>
                <td className="py-1.5 pr-3 font-mono break-all">{r.target}</td>
                <td className="py-1.5 pr-3 font-mono break-all">{r.destination}</td>
                <td className="py-1.5 pr-3 font-mono break-all">{r.virtualService}</td>
                <td className="py-1.5 pr-3">
                  <StatusCell row={r} />
                </td>
                <td className="py-1.5 pr-3 whitespace-nowrap" title={r.lastActivity}>
                  <Age iso={r.lastActivity} /> ago
                </td>
                <td className="py-1.5 pr-3" title={r.createdAt}>
                  <Age iso={r.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Results>
      <RouteDrawer name={open} onClose={() => setOpen(undefined)} />
    </>
  );
}
