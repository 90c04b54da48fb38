'use client';

import Link from 'next/link';
import type { Initial } from './live';
import { Badge, EmptyState, Results, SearchField } from './ui';
import { useTable } from './useTableState';
import type { Page, UserRow } from '@/lib/dashboard/view';

export function UsersTable({ initial }: { initial: Initial<Page<UserRow>> | undefined }) {
  const { set, search, setSearch, data, error } = useTable<'user', Page<UserRow>>('users', 'user', initial);
  return (
    <>
      <SearchField value={search} onChange={setSearch} placeholder="user or pod" />
      <Results
        page={data}
        error={error}
        onPage={(page) => set({ page })}
        empty={
          <EmptyState title="No users with servers">Users appear when they have a route or a notebook pod.</EmptyState>
        }
      >
        <table className="w-full min-w-[720px] text-left text-sm">
          <caption className="sr-only">Users</caption>
          <thead className="text-slate-600 dark:text-slate-400">
            <tr>
              <th scope="col" className="py-2 pr-3 font-medium">User</th>
              <th scope="col" className="py-2 pr-3 font-medium">Server</th>
              <th scope="col" className="py-2 pr-3 font-medium">Route</th>
              <th scope="col" className="py-2 pr-3 font-medium">Pod</th>
              <th scope="col" className="py-2 font-medium">State</th>
            </tr>
          </thead>
          <tbody>
            {data?.items.flatMap((u) =>
              u.servers.map((s, i) => (
                <tr key={`${u.user}/${s.serverName}`} className="border-t border-slate-200 align-top dark:border-slate-800">
                  {i === 0 && (
                    <th scope="row" rowSpan={u.servers.length} className="py-1.5 pr-3 text-left font-medium break-all">
                      {u.user}
                    </th>
                  )}
                  <td className="py-1.5 pr-3">{s.serverName || 'default'}</td>
                  <td className="py-1.5 pr-3 font-mono break-all">
                    {s.route ? <Link className="text-sky-700 hover:underline dark:text-sky-300" href={`/routes?q=${encodeURIComponent(s.route)}`}>{s.route}</Link> : <Badge tone="warn">no route</Badge>}
                  </td>
                  <td className="py-1.5 pr-3 font-mono break-all">
                    {s.pod ? <Link className="text-sky-700 hover:underline dark:text-sky-300" href={`/pods?q=${encodeURIComponent(s.pod)}`}>{s.pod}</Link> : <Badge tone="muted">no pod</Badge>}
                  </td>
                  <td className="py-1.5">
                    {s.podStatus ?? '—'} {s.warnings > 0 && <Badge tone="warn">{s.warnings} warning{s.warnings > 1 ? 's' : ''}</Badge>}
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      </Results>
    </>
  );
}
