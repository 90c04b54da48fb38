'use client';

import Link from 'next/link';
import type { Initial } from './live';
import { TablePage, type Column } from './TablePage';
import { Age, Badge, EmptyState, inputClass } from './ui';
import type { podsAnswer } from '@/lib/dashboard/api';
import type { PodRow } from '@/lib/dashboard/view';
import { POD_WARNING_CODES, type PodWarningCode } from '@/lib/mesh/types';

type PodsAnswer = ReturnType<typeof podsAnswer>;
type Sort = 'name' | 'user' | 'status' | 'restarts' | 'age';

/** The pod's data plane: its sidecar (ready, version), ambient's ztunnel (redirected, waypoint), or none. */
function DataplaneCell({ pod }: { pod: PodRow }) {
  const { sidecar, ambient } = pod;
  if (pod.dataplane === 'sidecar') {
    return (
      <td className="py-1.5 pr-3">
        <Badge tone={sidecar.ready ? 'ok' : 'bad'}>sidecar</Badge>
        {!sidecar.ready && <span className="ml-1 text-xs text-rose-700 dark:text-rose-300">not ready</span>}
        <span className="ml-1 font-mono text-xs text-slate-500">
          {sidecar.version ?? 'untagged'}
          {sidecar.native && ' · native'}
        </span>
      </td>
    );
  }
  if (pod.dataplane === 'ambient') {
    const waypoint = ambient.waypoint;
    return (
      <td className="py-1.5 pr-3">
        <Badge tone={ambient.redirected ? 'ok' : 'bad'}>ambient (ztunnel)</Badge>
        {!ambient.redirected && <span className="ml-1 text-xs text-rose-700 dark:text-rose-300">not redirected</span>}
        {waypoint && (
          <span className="block text-xs text-slate-500">
            waypoint <span className="font-mono">{waypoint.namespace === pod.namespace ? waypoint.name : `${waypoint.namespace}/${waypoint.name}`}</span>
            {!waypoint.found ? ' (not found)' : !waypoint.ready ? ' (not ready)' : ''}
          </span>
        )}
      </td>
    );
  }
  const optedOut = [ambient.optedOut && 'opted out of ambient', sidecar.optedOut && 'opted out of injection'].filter(Boolean).join(', ');
  return (
    <td className="py-1.5 pr-3">
      <Badge tone="bad">none</Badge>
      {optedOut && <span className="block text-xs text-slate-500">{optedOut}</span>}
    </td>
  );
}

/** The warning codes in words, as the filter and the badges show them. */
const WARNING_LABELS: Record<PodWarningCode, string> = {
  'no-sidecar': 'no sidecar',
  'not-enrolled': 'not enrolled',
  'sidecar-not-ready': 'sidecar not ready',
  'ztunnel-not-redirecting': 'ztunnel not redirecting',
  'waypoint-missing': 'no waypoint, but an L7 policy needs one',
  'sidecar-version-skew': 'sidecar version differs',
  'pod-without-route': 'pod without route',
};

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
  { header: 'Data plane', cell: (p) => <DataplaneCell pod={p} /> },
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
                {WARNING_LABELS[w.code]}
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
              {POD_WARNING_CODES.map((code) => (
                <option key={code} value={code}>
                  {WARNING_LABELS[code]}
                </option>
              ))}
            </select>
          </label>
          <label className="flex flex-col text-sm">
            Data plane
            <select className={inputClass} value={params.get('dataplane') ?? ''} onChange={(e) => set({ dataplane: e.target.value })}>
              <option value="">any</option>
              <option value="sidecar">sidecar</option>
              <option value="ambient">ambient (ztunnel)</option>
              <option value="none">none</option>
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
