'use client';

import Link from 'next/link';
import type { Initial } from './live';
import { TablePage, type Column } from './TablePage';
import { Age, Badge, EmptyState, inputClass } from './ui';
import type { podsAnswer } from '@/lib/dashboard/api';
import type { PodRow } from '@/lib/dashboard/view';

type PodsAnswer = ReturnType<typeof podsAnswer>;
type Sort = 'name' | 'user' | 'status' | 'restarts' | 'age';

const yesNo = (v: boolean, good = true) => <Badge tone={v === good ? 'ok' : 'bad'}>{v ? 'yes' : 'no'}</Badge>;

const columns: Array<Column<PodRow, Sort>> = [
  { header: 'Pod', sort: 'name', cell: (p) => <td className="py-1.5 pr-3 font-mono break-all">{p.name}</td> },
  { header: 'User', sort: 'user', cell: (p) => <td className="py-1.5 pr-3 break-all">{p.user ?? '—'}</td> },
  { header: 'Phase', cell: (p) => <td className="py-1.5 pr-3">{p.phase}</td> },
  { header: 'Status', sort: 'status', cell: (p) => <td className="py-1.5 pr-3">{p.status}</td> },
  {
    header: 'Ready',
    cell: (p) => (
      <td className="py-1.5 pr-3 tabular-nums">
        {p.readyContainers}/{p.totalContainers}
      </td>
    ),
  },
  {
    header: 'Sidecar',
    cell: (p) => (
      <td className="py-1.5 pr-3">
        {yesNo(p.sidecar.injected)}
        {p.sidecar.native && <span className="ml-1 text-xs text-slate-500">native</span>}
      </td>
    ),
  },
  { header: 'Sidecar ready', cell: (p) => <td className="py-1.5 pr-3">{p.sidecar.injected ? yesNo(p.sidecar.ready) : '—'}</td> },
  { header: 'Sidecar version', cell: (p) => <td className="py-1.5 pr-3 font-mono">{p.sidecar.version ?? '—'}</td> },
  { header: 'Restarts', sort: 'restarts', cell: (p) => <td className="py-1.5 pr-3 tabular-nums">{p.restarts}</td> },
  { header: 'Node', cell: (p) => <td className="py-1.5 pr-3 font-mono">{p.node ?? '—'}</td> },
  {
    header: 'Age',
    sort: 'age',
    cell: (p) => (
      <td className="py-1.5 pr-3" title={p.createdAt}>
        <Age iso={p.createdAt} />
      </td>
    ),
  },
  {
    header: 'Route',
    cell: (p) => (
      <td className="py-1.5 pr-3 font-mono break-all">
        {p.route ? <Link className="text-sky-700 hover:underline dark:text-sky-300" href={`/routes?q=${encodeURIComponent(p.route)}`}>{p.route}</Link> : '—'}
      </td>
    ),
  },
  {
    header: 'Warnings',
    cell: (p) => (
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
    ),
  },
];

export function PodsTable({ initial }: { initial: Initial<PodsAnswer> | undefined }) {
  return (
    <TablePage
      kind="pods"
      defaultSort="name"
      initial={initial}
      searchPlaceholder="pod, user, node, status"
      filters={({ params, set, data }) => (
        <>
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
        </>
      )}
      empty={({ filtered, data }) => (
        <EmptyState title={filtered ? 'No pod matches these filters' : 'No notebook pods'}>
          {filtered ? 'Clear the search or filters.' : `Pods labelled ${data?.selector} appear here when users start servers.`}
        </EmptyState>
      )}
      caption="Notebook pods"
      minWidthClass="min-w-[1100px]"
      columns={columns}
      rowsOf={(data) => data.items}
      rowKey={(p) => p.name}
      rowTestId={(p) => `pod-${p.name}`}
    />
  );
}
