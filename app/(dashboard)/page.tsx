'use client';

import Link from 'next/link';
import { useApi } from '@/components/live';
import { Age, Badge, EmptyState, ErrorState } from '@/components/ui';
import type { overviewAnswer } from '@/lib/dashboard/api';

type Overview = ReturnType<typeof overviewAnswer>;

function Stat({ label, value, href, tone }: { label: string; value: number | string; href?: string; tone?: 'bad' }) {
  const body = (
    <div className="rounded border border-slate-200 p-4 dark:border-slate-800">
      <div className="text-sm text-slate-600 dark:text-slate-400">{label}</div>
      <div className={`mt-1 text-2xl font-semibold tabular-nums ${tone === 'bad' ? 'text-rose-700 dark:text-rose-300' : ''}`}>{value}</div>
    </div>
  );
  return href ? <Link href={href}>{body}</Link> : body;
}

function ShortProxyTokenWarning({ length, minimum }: { length: number; minimum: number }) {
  return (
    <p role="alert" className="rounded border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
      <strong>The proxy API token is shorter than {minimum} characters</strong> (it has {length}), so it is easy to guess. hubmesh accepts it, as
      configurable-http-proxy does. Make a strong one with <code>openssl rand -hex 32</code>, set it as both hubmesh&apos;s <code>CONFIGPROXY_AUTH_TOKEN</code> and
      the hub&apos;s <code>ConfigurableHTTPProxy.auth_token</code> (z2jh: <code>proxy.secretToken</code>), and restart both.
    </p>
  );
}

export default function OverviewPage() {
  const { data, error } = useApi<Overview>('/api/v1/overview');
  if (error) return <ErrorState error={error} />;
  if (!data) return <p>Loading…</p>;
  const c = data.counts;
  return (
    <div className="space-y-8">
      <h1 className="text-2xl font-semibold tracking-tight">Overview</h1>
      {data.proxyToken.short && <ShortProxyTokenWarning length={data.proxyToken.length} minimum={data.proxyToken.minimum} />}
      <section aria-label="Counts" className="grid grid-cols-2 gap-3 md:grid-cols-3 lg:grid-cols-6">
        <Stat label="Routes" value={c.routes} href="/routes" />
        <Stat label="Degraded routes" value={c.degradedRoutes} href="/routes?status=degraded" tone={c.degradedRoutes ? 'bad' : undefined} />
        <Stat label="Users with servers" value={c.usersWithServers} href="/users" />
        <Stat label="Notebook pods" value={c.notebookPods} href="/pods" />
        <Stat label="Pods outside the mesh" value={c.podsOutsideMesh} href="/pods?warning=any" tone={c.podsOutsideMesh ? 'bad' : undefined} />
        <Stat label="Pods with warnings" value={c.podsWithWarnings} href="/pods?warning=any" tone={c.podsWithWarnings ? 'bad' : undefined} />
      </section>
      <section aria-labelledby="phases">
        <h2 id="phases" className="text-lg font-medium">Notebook pods by phase</h2>
        <p className="mt-2 flex flex-wrap gap-2">
          {Object.keys(c.podsByPhase).length === 0 ? (
            <span className="text-sm text-slate-600 dark:text-slate-400">No notebook pods.</span>
          ) : (
            Object.entries(c.podsByPhase).map(([phase, n]) => (
              <Badge key={phase} tone={phase === 'Running' ? 'ok' : phase === 'Pending' ? 'warn' : 'muted'}>
                {phase}: {n}
              </Badge>
            ))
          )}
        </p>
      </section>
      <section aria-labelledby="where" className="grid gap-6 md:grid-cols-2">
        <div>
          <h2 id="where" className="text-lg font-medium">Where</h2>
          <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <dt className="text-slate-600 dark:text-slate-400">Mode</dt>
            <dd>{data.mode}</dd>
            {data.mode === 'cluster' ? (
              <>
                <dt className="text-slate-600 dark:text-slate-400">API server</dt>
                <dd className="break-all font-mono">{data.cluster.server}</dd>
                <dt className="text-slate-600 dark:text-slate-400">Context</dt>
                <dd className="font-mono">{data.cluster.context}</dd>
              </>
            ) : (
              <>
                <dt className="text-slate-600 dark:text-slate-400">Store</dt>
                <dd className="break-all font-mono">{data.cluster.dataDir}</dd>
              </>
            )}
            <dt className="text-slate-600 dark:text-slate-400">Namespace</dt>
            <dd className="font-mono">{data.namespace}</dd>
            <dt className="text-slate-600 dark:text-slate-400">Gateway</dt>
            <dd className="font-mono">{data.gateway}</dd>
            <dt className="text-slate-600 dark:text-slate-400">Sidecar version</dt>
            <dd className="font-mono">{data.expectedSidecarVersion ?? '—'}</dd>
          </dl>
        </div>
        <div>
          <h2 className="text-lg font-medium">Watch caches</h2>
          <table className="mt-2 w-full text-left text-sm">
            <caption className="sr-only">Watch caches</caption>
            <thead className="text-slate-600 dark:text-slate-400">
              <tr>
                <th scope="col" className="py-1 pr-3 font-medium">Kind</th>
                <th scope="col" className="py-1 pr-3 font-medium">State</th>
                <th scope="col" className="py-1 pr-3 font-medium">Objects</th>
                <th scope="col" className="py-1 font-medium">Problem</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(data.caches).map(([kind, s]) => (
                <tr key={kind} className="border-t border-slate-200 dark:border-slate-800">
                  <td className="py-1 pr-3">{kind}</td>
                  <td className="py-1 pr-3">{s.synced ? <Badge tone="ok">synced</Badge> : <Badge tone="bad">not synced</Badge>}</td>
                  <td className="py-1 pr-3 tabular-nums">{s.objects}</td>
                  <td className="py-1 text-rose-700 dark:text-rose-300">
                    {s.lastErrorStatus === 403 ? `missing permission: hubmesh may not list/watch ${kind} (${s.lastError})` : (s.lastError ?? '')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section aria-labelledby="recent">
        <h2 id="recent" className="text-lg font-medium">Recent changes</h2>
        {data.recentChanges.length === 0 ? (
          <EmptyState title="No changes seen since hubmesh started">Routes appear here when JupyterHub adds or removes them, and pods when they start or stop.</EmptyState>
        ) : (
          <ol className="mt-2 divide-y divide-slate-200 text-sm dark:divide-slate-800">
            {data.recentChanges.slice(0, 15).map((ch, i) => (
              <li key={`${ch.at}-${i}`} className="flex gap-3 py-1">
                <span className="w-12 shrink-0 text-slate-500 tabular-nums"><Age iso={ch.at} /></span>
                <Badge tone={ch.type === 'DELETED' ? 'muted' : 'ok'}>{ch.type.toLowerCase()}</Badge>
                <span>{ch.kind}</span>
                <span className="break-all font-mono">{ch.name}</span>
              </li>
            ))}
          </ol>
        )}
      </section>
    </div>
  );
}
