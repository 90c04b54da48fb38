'use client';

import Link from 'next/link';
import { RoutePanel } from './RoutePanel';
import { useApi, type Initial } from './live';
import { TablePage, type Column } from './TablePage';
import { TrafficPanel } from './TrafficPanel';
import { SparklineCell, SparklinesProvider } from './TrafficSparklines';
import { useUrlParams } from './useTableState';
import { Age, Badge, Drawer, EmptyState, ErrorState, inputClass } from './ui';
import type { routeDetailAnswer, routesAnswer } from '@/lib/dashboard/api';
import type { RouteRow } from '@/lib/dashboard/view';
import type { RouteKindName } from '@/lib/routes/route-objects';

type RoutesAnswer = ReturnType<typeof routesAnswer>;
type Detail = ReturnType<typeof routeDetailAnswer>;
type Sort = 'path' | 'user' | 'target' | 'status' | 'lastActivity' | 'age';

function StatusCell({ row }: { row: RouteRow }) {
  return (
    <div className="flex flex-wrap gap-1">
      {row.status === 'ok' ? (
        <Badge tone="ok">ok</Badge>
      ) : (
        <Badge tone="bad" title={row.problems.join('; ')}>
          {row.problems[0] ?? 'degraded'}
        </Badge>
      )}
      {row.kind === 'HTTPRoute' && <GatewayConditionBadges row={row} />}
    </div>
  );
}

type RouteCondition = NonNullable<RouteRow['conditions']>[number];
/** The conditions an HTTPRoute's readiness is judged by; the others (a controller's own) are listed in the drawer. */
const JUDGED = ['Accepted', 'ResolvedRefs'];
const conditionWords = (c: RouteCondition) => `${c.gateway}: ${c.type} ${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message}` : ''}`;

/** An HTTPRoute's Accepted and ResolvedRefs per Gateway, as its controller reported them. */
function GatewayConditionBadges({ row }: { row: RouteRow }) {
  const judged = (row.conditions ?? []).filter((c) => JUDGED.includes(c.type));
  if (!judged.length) return <Badge tone="muted">no Gateway status yet</Badge>;
  return (
    <>
      {judged.map((c) => (
        <Badge key={`${c.gateway}/${c.type}`} tone={c.status === 'True' ? 'ok' : 'bad'} title={conditionWords(c)}>
          {c.type} {c.status}
        </Badge>
      ))}
    </>
  );
}

/** Every condition of an HTTPRoute, per Gateway, with its reason and message. */
function GatewayConditions({ conditions }: { conditions: RouteRow['conditions'] }) {
  return (
    <section aria-labelledby="route-gateway-conditions" className="space-y-1">
      <h3 id="route-gateway-conditions" className="font-medium">
        Gateway conditions
      </h3>
      {conditions?.length ? (
        <table className="w-full text-left text-xs">
          <thead>
            <tr className="text-slate-600 dark:text-slate-400">
              <th className="pr-2 font-normal">Gateway</th>
              <th className="pr-2 font-normal">Condition</th>
              <th className="pr-2 font-normal">Status</th>
              <th className="font-normal">Reason and message</th>
            </tr>
          </thead>
          <tbody>
            {conditions.map((c) => (
              <tr key={`${c.gateway}/${c.type}`} className="align-top">
                <td className="pr-2 font-mono break-all">{c.gateway}</td>
                <td className="pr-2">{c.type}</td>
                <td className="pr-2">
                  <Badge tone={c.status === 'True' ? 'ok' : JUDGED.includes(c.type) ? 'bad' : 'muted'}>{c.status}</Badge>
                </td>
                <td className="break-words">
                  {c.reason ?? '—'}
                  {c.message ? `: ${c.message}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="text-slate-600 dark:text-slate-400">No Gateway has reported on this HTTPRoute yet: its controller (istiod) writes Accepted and ResolvedRefs once it sees the route.</p>
      )}
    </section>
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
            <dt className="text-slate-600 dark:text-slate-400">{data.kind}</dt>
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
          {data.kind === 'HTTPRoute' && <GatewayConditions conditions={data.row.conditions} />}
          {data.row.user !== undefined && (
            <Link prefetch={false} className="text-sky-700 hover:underline dark:text-sky-300" href={`/users/${encodeURIComponent(data.row.user)}${data.row.serverName ? `?server=${encodeURIComponent(data.row.serverName)}` : ''}`}>
              Troubleshoot {data.row.user}&apos;s {data.row.serverName ? `server ${data.row.serverName}` : 'server'}
            </Link>
          )}
          <section aria-labelledby="route-traffic" className="space-y-2">
            <h3 id="route-traffic" className="font-medium">
              Traffic
            </h3>
            <TrafficPanel url={`/api/v1/routes/${encodeURIComponent(data.row.virtualService)}/traffic`} subject={data.row.path} />
          </section>
          <section>
            <h3 className="font-medium">Route data (as the hub sent it)</h3>
            <pre className="mt-1 overflow-x-auto rounded bg-slate-100 p-3 text-xs dark:bg-slate-800">{JSON.stringify(data.data, null, 2)}</pre>
          </section>
          <RoutePanel name={data.row.virtualService} />
          <section>
            <h3 className="font-medium">{data.kind}</h3>
            <pre aria-label={`${data.kind} YAML`} className="mt-1 overflow-x-auto rounded bg-slate-100 p-3 text-xs dark:bg-slate-800">
              {data.yaml}
            </pre>
          </section>
        </div>
      )}
    </Drawer>
  );
}

/**
 * The route column opens the route's drawer, named in the URL (`?route=<object name>`): a link, so that a
 * click before the page has hydrated, or in a new tab, still opens it. `kind` names the column of the routes' objects.
 */
function columns(kind: RouteKindName, drawer: { href: (virtualService: string) => string; open: (virtualService: string) => void }): Array<Column<RouteRow, Sort>> {
  return [
    {
      header: 'Route',
      sort: 'path',
      cell: (r) => (
        <td className="py-1.5 pr-3">
          <Link
            href={drawer.href(r.virtualService)}
            scroll={false}
            prefetch={false}
            className="text-left font-mono break-all text-sky-700 hover:underline dark:text-sky-300"
            onClick={(e) => {
              e.preventDefault();
              drawer.open(r.virtualService);
            }}
          >
            {r.path}
          </Link>
        </td>
      ),
    },
    { header: 'User', sort: 'user', cell: (r) => <td className="py-1.5 pr-3 break-all">{r.user ?? '—'}</td> },
    {
      header: 'Traffic (1h)',
      cell: (r) => (
        <td className="py-1.5 pr-3">
          <SparklineCell name={r.virtualService} subject={r.path} />
        </td>
      ),
    },
    { header: 'Server', cell: (r) => <td className="py-1.5 pr-3">{r.serverName === undefined ? '—' : r.serverName || 'default'}</td> },
    { header: 'Target', sort: 'target', cell: (r) => <td className="py-1.5 pr-3 font-mono break-all">{r.target}</td> },
    { header: 'Destination', cell: (r) => <td className="py-1.5 pr-3 font-mono break-all">{r.destination}</td> },
    { header: kind, cell: (r) => <td className="py-1.5 pr-3 font-mono break-all">{r.virtualService}</td> },
    {
      header: 'Status',
      sort: 'status',
      cell: (r) => (
        <td className="py-1.5 pr-3">
          <StatusCell row={r} />
        </td>
      ),
    },
    {
      header: 'Last activity',
      sort: 'lastActivity',
      cell: (r) => (
        <td className="py-1.5 pr-3 whitespace-nowrap" title={r.lastActivity}>
          <Age iso={r.lastActivity} /> ago
        </td>
      ),
    },
    {
      header: 'Age',
      sort: 'age',
      cell: (r) => (
        <td className="py-1.5 pr-3" title={r.createdAt}>
          <Age iso={r.createdAt} />
        </td>
      ),
    },
  ];
}

/** `kind`: what this hubmesh stores routes as (HUBMESH_ROUTE_API), from the server. */
export function RoutesTable({ initial, kind }: { initial: Initial<RoutesAnswer> | undefined; kind: RouteKindName }) {
  const { params, set, hrefWith } = useUrlParams();
  const open = params.get('route') ?? undefined;
  return (
    <>
      <TablePage
        kind="routes"
        defaultSort="path"
        initial={initial}
        searchPlaceholder={`route, user, target, ${kind}`}
        filters={({ params, set }) => (
          <>
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
          </>
        )}
        empty={({ filtered }) => (
          <EmptyState title={filtered ? 'No route matches these filters' : 'No routes yet'}>
            {filtered
              ? 'Clear the search or filters.'
              : 'Routes appear when JupyterHub adds them: set c.ConfigurableHTTPProxy.should_start = False and api_url to hubmesh, then start the hub.'}
          </EmptyState>
        )}
        caption="Routes"
        minWidthClass="min-w-[960px]"
        columns={columns(kind, { href: (route) => hrefWith({ route }), open: (route) => set({ route }) })}
        rowsOf={(data) => data.items}
        rowKey={(r) => r.virtualService}
        around={(rows, table) => (
          <SparklinesProvider kind="routes" names={rows.map((r) => r.virtualService)}>
            {table}
          </SparklinesProvider>
        )}
      />
      <RouteDrawer name={open} onClose={() => set({ route: undefined })} />
    </>
  );
}
