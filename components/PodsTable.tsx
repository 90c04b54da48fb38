'use client';

import Link from 'next/link';
import type { Initial } from './live';
import { Age, Badge, EmptyState, inputClass, Results, SearchField, SortHeader } from './ui';
import { useTable } from './useTableState';
import type { Page, PodRow } from '@/lib/dashboard/view';

type PodsAnswer = Page<PodRow> & { expectedSidecarVersion?: string; selector: string };
type Sort = 'name' | 'user' | 'status' | 'restarts' | 'age';

const yesNo = (v: boolean, good = true) => <Badge tone={v === good ? 'ok' : 'bad'}>{v ? 'yes' : 'no'}</Badge>;

export function PodsTable({ initial }: { initial: Initial<PodsAnswer> | undefined }) {
  const { params, set, search, setSearch, sortState, onSort, data, error } = useTable<Sort, PodsAnswer>('pods', 'name', initial);
  return (
    <>
      <div className="flex flex-wrap items-end gap-3">
        <SearchField value={search} onChange={setSearch} placeholder="pod, user, node, status" />
        <label className="flex flex-col text-sm">
          Warnings
          <select className={inputClass} value={params.get('warning') ?? ''} onChange={(e) => set({ warning: e.target.value })}>
            <option value="">all pods</option>
            <option value="any">with any warning</option>
            <option value="none">without warnings</option>
            <option value="no-sidecar">no sidecar</option>
            <option value="sidecar-not-ready">sidecar not ready</option>
            <option value="sidecar-version-skew">sidecar version differs</option>
            <option value="pod-without-route">pod without route</option>
          </select>
        </label>
        {data && (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Selector <code>{data.selector}</code> · expected sidecar <code>{data.expectedSidecarVersion ?? '—'}</code>
          </p>
        )}
      </div>
      <Results
        page={data}
        error={error}
        onPage={(page) => set({ page })}
        empty={
          <EmptyState title={params.size ? 'No pod matches these filters' : 'No notebook pods'}>
            {params.size ? 'Clear the search or filters.' : `Pods labelled ${data?.selector} appear here when users start servers.`}
          </EmptyState>
        }
      >
        <table className="w-full min-w-[1100px] text-left text-sm">
          <caption className="sr-only">Notebook pods</caption>
          <thead className="text-slate-600 dark:text-slate-400">
            <tr>
              <SortHeader label="Pod" column="name" state={sortState} onSort={onSort} />
              <SortHeader label="User" column="user" state={sortState} onSort={onSort} />
              <th scope="col" className="py-2 pr-3 font-medium">Phase</th>
              <SortHeader label="Status" column="status" state={sortState} onSort={onSort} />
              <th scope="col" className="py-2 pr-3 font-medium">Ready</th>
              <th scope="col" className="py-2 pr-3 font-medium">Sidecar</th>
              <th scope="col" className="py-2 pr-3 font-medium">Sidecar ready</th>
              <th scope="col" className="py-2 pr-3 font-medium">Sidecar version</th>
              <SortHeader label="Restarts" column="restarts" state={sortState} onSort={onSort} />
              <th scope="col" className="py-2 pr-3 font-medium">Node</th>
              <SortHeader label="Age" column="age" state={sortState} onSort={onSort} />
              <th scope="col" className="py-2 pr-3 font-medium">Route</th>
              <th scope="col" className="py-2 font-medium">Warnings</th>
            </tr>
          </thead>
          <tbody>
            {data?.items.map((p) => (
              <tr key={p.name} data-testid={`pod-${p.name}`} className="border-t border-slate-200 align-top dark:border-slate-800">
                <td className="py-1.5 pr-3 font-mono break-all">{p.name}</td>
                <td className="py-1.5 pr-3 break-all">{p.user ?? '—'}</td>
                <td className="py-1.5 pr-3">{p.phase}</td>
                <td className="py-1.5 pr-3">{p.status}</td>
                <td className="py-1.5 pr-3 tabular-nums">
                  {p.readyContainers}/{p.totalContainers}
                </td>
                <td className="py-1.5 pr-3">
                  {yesNo(p.sidecar.injected)}
                  {p.sidecar.native && <span className="ml-1 text-xs text-slate-500">native</span>}
                </td>
                <td className="py-1.5 pr-3">{p.sidecar.injected ? yesNo(p.sidecar.ready) : '—'}</td>
                <td className="py-1.5 pr-3 font-mono">{p.sidecar.version ?? '—'}</td>
                <td className="py-1.5 pr-3 tabular-nums">{p.restarts}</td>
                <td className="py-1.5 pr-3 font-mono">{p.node ?? '—'}</td>
                <td className="py-1.5 pr-3" title={p.createdAt}>
                  <Age iso={p.createdAt} />
                </td>
                <td className="py-1.5 pr-3 font-mono break-all">
                  {p.route ? <Link className="text-sky-700 hover:underline dark:text-sky-300" href={`/routes?q=${encodeURIComponent(p.route)}`}>{p.route}</Link> : '—'}
                </td>
                <td className="py-1.5">
                  <ul className="space-y-1">
                    {p.warnings.map((w) => (
                      <li key={w.code}>
                        <Badge tone="warn" title={w.message}>
                          {w.code}
                        </Badge>
                        <span className="sr-only">: {w.message}</span>
                      </li>
                    ))}
                  </ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Results>
    </>
  );
}
