'use client';

import Link from 'next/link';
import { Suspense, useEffect, useState } from 'react';
import { useApi } from '@/components/live';
import { Badge, EmptyState, ErrorState, inputClass, Pager } from '@/components/ui';
import { useQueryState } from '@/components/useQueryState';
import type { Page, UserRow } from '@/lib/dashboard/view';

function UsersTable() {
  const { params, set } = useQueryState();
  const [search, setSearch] = useState(params.get('q') ?? '');
  useEffect(() => {
    const t = setTimeout(() => {
      if (search !== (params.get('q') ?? '')) set({ q: search });
    }, 250);
    return () => clearTimeout(t);
  }, [search, params, set]);
  const { data, error } = useApi<Page<UserRow>>(`/api/v1/users?${params.toString()}`);
  return (
    <>
      <label className="flex flex-col text-sm">
        Search
        <input type="search" className={`${inputClass} w-72`} placeholder="user or pod" value={search} onChange={(e) => setSearch(e.target.value)} />
      </label>
      {error && <ErrorState error={error} />}
      {data && data.total === 0 ? (
        <div className="mt-4">
          <EmptyState title="No users with servers">Users appear when they have a route or a notebook pod.</EmptyState>
        </div>
      ) : (
        <div className="mt-4 overflow-x-auto">
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
        </div>
      )}
      {data && data.total > 0 && <Pager page={data.page} pageSize={data.pageSize} total={data.total} onPage={(page) => set({ page })} />}
    </>
  );
}

export default function UsersPage() {
  return (
    <div>
      <h1 className="mb-4 text-2xl font-semibold tracking-tight">Users</h1>
      <Suspense>
        <UsersTable />
      </Suspense>
    </div>
  );
}
