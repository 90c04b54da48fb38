'use client';

import Link from 'next/link';
import type { Initial } from './live';
import { TablePage, type Column } from './TablePage';
import { SparklineCell, SparklinesProvider } from './TrafficSparklines';
import { Badge, EmptyState } from './ui';
import type { usersAnswer } from '@/lib/dashboard/api';
import type { UserRow } from '@/lib/dashboard/view';

type UsersAnswer = ReturnType<typeof usersAnswer>;
/** One table row per server; the user's header cell spans their servers' rows. */
type ServerRow = { user: string; server: UserRow['servers'][number]; first: boolean; servers: number };

const serverRows = (users: UserRow[]): ServerRow[] => users.flatMap((u) => u.servers.map((server, i) => ({ user: u.user, server, first: i === 0, servers: u.servers.length })));

const columns: Array<Column<ServerRow, 'user'>> = [
  {
    header: 'User',
    cell: (r) =>
      r.first && (
        <th scope="row" rowSpan={r.servers} className="py-1.5 pr-3 text-left font-medium break-all">
          <Link prefetch={false} className="text-sky-700 hover:underline dark:text-sky-300" href={`/users/${encodeURIComponent(r.user)}`}>
            {r.user}
          </Link>
        </th>
      ),
  },
  {
    header: 'Traffic (1h)',
    cell: (r) =>
      r.first && (
        <td rowSpan={r.servers} className="py-1.5 pr-3">
          <SparklineCell name={r.user} subject={r.user} />
        </td>
      ),
  },
  { header: 'Server', cell: ({ server: s }) => <td className="py-1.5 pr-3">{s.serverName || 'default'}</td> },
  {
    header: 'Route',
    cell: ({ server: s }) => (
      <td className="py-1.5 pr-3 font-mono break-all">
        {s.route ? <Link className="text-sky-700 hover:underline dark:text-sky-300" href={`/routes?q=${encodeURIComponent(s.route)}`}>{s.route}</Link> : <Badge tone="warn">no route</Badge>}
      </td>
    ),
  },
  {
    header: 'Pod',
    cell: ({ server: s }) => (
      <td className="py-1.5 pr-3 font-mono break-all">
        {s.pod ? <Link className="text-sky-700 hover:underline dark:text-sky-300" href={`/pods?q=${encodeURIComponent(s.pod)}`}>{s.pod}</Link> : <Badge tone="muted">no pod</Badge>}
      </td>
    ),
  },
  {
    header: 'State',
    cell: ({ server: s }) => (
      <td className="py-1.5">
        {s.podStatus ?? '—'} {s.warnings > 0 && <Badge tone="warn">{s.warnings} warning{s.warnings > 1 ? 's' : ''}</Badge>}
      </td>
    ),
  },
];

export function UsersTable({ initial }: { initial: Initial<UsersAnswer> | undefined }) {
  return (
    <TablePage
      kind="users"
      defaultSort="user"
      initial={initial}
      searchPlaceholder="user or pod"
      empty={() => <EmptyState title="No users with servers">Users appear when they have a route or a notebook pod.</EmptyState>}
      caption="Users"
      minWidthClass="min-w-[720px]"
      columns={columns}
      rowsOf={(data) => serverRows(data.items)}
      rowKey={(r) => `${r.user}/${r.server.serverName}`}
      around={(rows, table) => (
        <SparklinesProvider kind="users" names={rows.map((r) => r.user)}>
          {table}
        </SparklinesProvider>
      )}
    />
  );
}
