'use client';

import Link from 'next/link';
import { useState } from 'react';
import type { historyAnswer, meshStatusAnswer } from '@/lib/mesh/api';
import type { ObjectRef as MtlsRef } from '@/lib/mesh/mtls';
import { formatShare } from '@/lib/mesh/share';
import { useApi } from './live';
import { ACTIONS, MeshActionCard } from './MeshActionCard';
import { ShareChart } from './ShareChart';
import { Badge, EmptyState, ErrorState, inputClass } from './ui';

type MeshStatus = Awaited<ReturnType<typeof meshStatusAnswer>>;
type History = Awaited<ReturnType<typeof historyAnswer>>;

const WINDOWS = ['1m', '5m', '15m', '1h'];
const pct = (share: number | null) => (share === null ? 'no traffic' : formatShare(share));

/** Where an object can be seen in the console, if anywhere. */
function objectHref(o: { kind: string; name: string }): string | undefined {
  if (o.kind === 'Pod') return `/pods?q=${encodeURIComponent(o.name)}`;
  if (o.kind === 'Service') return `/routes?q=${encodeURIComponent(o.name)}`;
  return undefined;
}

function ObjectLink({ o }: { o: { kind: string; namespace?: string; name: string } }) {
  const text = `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
  const href = objectHref(o);
  return href ? (
    <Link className="font-mono underline" href={href}>
      {text}
    </Link>
  ) : (
    <span className="font-mono">{text}</span>
  );
}

function ConfigStatus({ title, result, summary }: { title: string; result: MeshStatus['config']['namespace']; summary: string }) {
  const tone = result.status === 'MTLS_ENABLED' ? 'ok' : result.status === 'MTLS_PARTIALLY_ENABLED' ? 'warn' : 'bad';
  const client = result.client.source === 'destination-rule' ? `DestinationRule ${result.client.rule.namespace}/${result.client.rule.name}: ${result.client.tlsMode}` : result.client.source === 'auto-mtls' ? 'auto-mTLS' : 'none (auto-mTLS off)';
  return (
    <div className="rounded border border-slate-200 p-4 dark:border-slate-800">
      <h3 className="font-medium">{title}</h3>
      <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-slate-600 dark:text-slate-400">Status</dt>
        <dd>
          <Badge tone={tone}>{result.status.replace('MTLS_', '').replace('_', ' ').toLowerCase()}</Badge>
        </dd>
        <dt className="text-slate-600 dark:text-slate-400">Servers accept</dt>
        <dd>{summary}</dd>
        <dt className="text-slate-600 dark:text-slate-400">Clients send</dt>
        <dd>
          {client} {result.client.mtls ? <Badge tone="ok">mTLS</Badge> : <Badge tone="bad">plaintext</Badge>}
        </dd>
        <dt className="text-slate-600 dark:text-slate-400">Decided by</dt>
        <dd>{result.decidedBy.length ? result.decidedBy.map((r: MtlsRef) => <div key={`${r.kind}/${r.namespace}/${r.name}`}><ObjectLink o={r} /></div>) : 'defaults (nothing set)'}</dd>
      </dl>
      {result.overrides.length > 0 && (
        <ul className="mt-2 list-disc pl-5 text-sm" aria-label={`${title}: overrides`}>
          {result.overrides.map((o, i) => (
            <li key={i}>
              <ObjectLink o={o.policy} /> makes {o.scope === 'port' ? `port ${o.port} of ` : ''}
              {o.selector ? `workloads ${Object.entries(o.selector).map(([k, v]) => `${k}=${v}`).join(',')}` : 'the namespace'} {o.mode} ({o.effect} {o.parentMode})
            </li>
          ))}
        </ul>
      )}
      {result.conflicts.length > 0 && (
        <ul className="mt-2 list-disc pl-5 text-sm text-amber-800 dark:text-amber-200" aria-label={`${title}: conflicts`}>
          {result.conflicts.map((c, i) => (
            <li key={i}>{c.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function Telemetry({ status, window }: { status: MeshStatus; window: string }) {
  const t = status.telemetry;
  const history = useApi<History>(t.state === 'ok' ? `/api/v1/mesh/history?window=${window}&span=1h` : null);
  if (t.state === 'unconfigured') return <EmptyState title="No Prometheus configured">Set HUBMESH_PROMETHEUS_URL to Istio&apos;s Prometheus to see which traffic really is mutual TLS. The configuration above still applies.</EmptyState>;
  if (t.state === 'unavailable')
    return (
      <p role="alert" className="rounded border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
        Prometheus is down or refusing queries: {t.message}. The configuration status above does not depend on it.
      </p>
    );
  const services = t.services.filter((s) => s.namespace === status.namespace);
  return (
    <div className="space-y-4">
      <p className="text-sm">
        Requests: <strong>{pct(t.traffic?.requests.share ?? null)}</strong> mutual TLS · TCP bytes: <strong>{pct(t.traffic?.tcpBytes.share ?? null)}</strong> mutual TLS, over the last {t.window} (reported by the
        receiving side: sidecars, or under ambient the destination&apos;s ztunnel for TCP and the waypoint for requests).
      </p>
      {history.error ? <ErrorState error={history.error} /> : history.data && <ShareChart points={history.data.points} label={`mutual TLS share of requests to ${status.namespace}, last hour`} />}
      {services.length > 0 && (
        <table className="w-full text-left text-sm">
          <caption className="sr-only">Traffic per destination service</caption>
          <thead className="text-slate-600 dark:text-slate-400">
            <tr>
              <th scope="col" className="py-1 pr-3 font-medium">Service</th>
              <th scope="col" className="py-1 pr-3 font-medium">Requests/s</th>
              <th scope="col" className="py-1 pr-3 font-medium">Requests mTLS</th>
              <th scope="col" className="py-1 pr-3 font-medium">TCP bytes mTLS</th>
            </tr>
          </thead>
          <tbody>
            {services.map((s) => (
              <tr key={s.service} className="border-t border-slate-200 dark:border-slate-800">
                <td className="py-1 pr-3 font-mono">{s.service}</td>
                <td className="py-1 pr-3 tabular-nums">{s.requests.total.toFixed(2)}</td>
                <td className="py-1 pr-3">
                  <Badge tone={s.verdict === 'mtls' ? 'ok' : s.verdict === 'no-traffic' ? 'muted' : 'bad'}>{pct(s.requests.share)}</Badge>
                </td>
                <td className="py-1 pr-3">{pct(s.tcpBytes.share)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {t.offendingPairs.length > 0 && (
        <div>
          <h4 className="text-sm font-medium">Traffic without mutual TLS</h4>
          <ul className="list-disc pl-5 text-sm" aria-label="Offending source to destination pairs">
            {t.offendingPairs.map((p, i) => (
              <li key={i}>
                <span className="font-mono">
                  {p.source.namespace}/{p.source.workload}
                </span>{' '}
                → <span className="font-mono">{p.destination.service}</span> ({p.policy}): {p.requestsPerSecond.toFixed(2)} req/s
                {p.tcpBytes > 0 ? `, ${Math.round(p.tcpBytes)} TCP bytes` : ''}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

export function MeshSecurity() {
  const [rateWindow, setRateWindow] = useState('5m');
  const { data, error } = useApi<MeshStatus>(`/api/v1/mesh?window=${rateWindow}`);
  if (error) return <ErrorState error={error} />;
  if (!data) return <p>Loading…</p>;
  const v = data.verdict;
  return (
    <div className="space-y-8">
      <section aria-labelledby="verdict" className={`rounded border p-4 ${v.compliant ? 'border-emerald-300 dark:border-emerald-800' : 'border-rose-300 dark:border-rose-800'}`}>
        <h2 id="verdict" className="text-lg font-medium">
          Namespace <span className="font-mono">{data.namespace}</span>: {v.compliant ? <Badge tone="ok">compliant</Badge> : <Badge tone="bad">not compliant</Badge>}
        </h2>
        <ul className="mt-2 flex flex-wrap gap-2 text-sm" aria-label="Requirements">
          <li>{v.checks.strict ? <Badge tone="ok">STRICT by configuration</Badge> : <Badge tone="bad">not STRICT</Badge>}</li>
          <li>{v.checks.allTrafficMutual === undefined ? <Badge tone="warn">traffic unknown</Badge> : v.checks.allTrafficMutual ? <Badge tone="ok">all traffic mTLS</Badge> : <Badge tone="bad">plaintext traffic</Badge>}</li>
          <li>{v.checks.inMesh ? <Badge tone="ok">every required pod in the mesh (sidecar or ambient)</Badge> : <Badge tone="bad">pods outside the mesh</Badge>}</li>
        </ul>
        {v.reasons.length > 0 && (
          <ol className="mt-3 list-decimal space-y-1 pl-5 text-sm" aria-label="Why not compliant">
            {v.reasons.map((r, i) => (
              <li key={i}>
                {r.message}
                {r.objects.length > 0 && (
                  <span className="ml-1">
                    ({r.objects.map((o, j) => (
                      <span key={j}>
                        {j > 0 && ', '}
                        <ObjectLink o={o} />
                      </span>
                    ))}
                    )
                  </span>
                )}
              </li>
            ))}
          </ol>
        )}
      </section>

      <section aria-labelledby="config" className="space-y-3">
        <h2 id="config" className="text-lg font-medium">
          mTLS from configuration
        </h2>
        <div className="grid gap-4 md:grid-cols-2">
          <ConfigStatus title={`Namespace ${data.namespace}`} result={data.config.namespace} summary={data.config.summary.namespace} />
          <ConfigStatus title={`Mesh (${data.rootNamespace})`} result={data.config.mesh} summary={data.config.summary.mesh} />
        </div>
        <p className="text-sm">
          Sidecar injection for <span className="font-mono">{data.namespace}</span>:{' '}
          {data.injection.known ? data.injection.enabled ? <Badge tone="ok">on</Badge> : <Badge tone={data.ambient.enrolled ? 'muted' : 'bad'}>off</Badge> : <Badge tone="muted">unknown (namespace not visible)</Badge>}{' '}
          {Object.entries(data.injection.labels).map(([k, val]) => (
            <span key={k} className="ml-1 font-mono">
              {k}={val}
            </span>
          ))}
          {' · '}Ambient (ztunnel):{' '}
          {data.ambient.known ? data.ambient.enrolled ? <Badge tone="ok">enrolled</Badge> : <Badge tone="muted">not enrolled</Badge> : <Badge tone="muted">unknown</Badge>}
        </p>
        {data.pods.length > 0 && (
          <p className="text-sm" aria-label="Data plane of the required pods">
            Required pods:{' '}
            {(['sidecar', 'ambient', 'none'] as const)
              .map((plane) => [plane, data.pods.filter((p) => p.dataplane === plane).length] as const)
              .filter(([, count]) => count > 0)
              .map(([plane, count]) => `${count} ${plane === 'sidecar' ? 'with a sidecar' : plane === 'ambient' ? 'in ambient (ztunnel)' : 'outside the mesh'}`)
              .join(' · ')}
          </p>
        )}
      </section>

      <section aria-labelledby="runtime" className="space-y-3">
        <div className="flex flex-wrap items-end gap-4">
          <h2 id="runtime" className="text-lg font-medium">
            mTLS from traffic
          </h2>
          <label className="flex flex-col text-sm">
            Window
            <select className={inputClass} value={rateWindow} onChange={(e) => setRateWindow(e.target.value)}>
              {WINDOWS.map((w) => (
                <option key={w}>{w}</option>
              ))}
            </select>
          </label>
        </div>
        <Telemetry status={data} window={rateWindow} />
      </section>

      <section aria-labelledby="actions" className="space-y-3">
        <h2 id="actions" className="text-lg font-medium">
          Make it so
        </h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Each action previews its YAML and diff, is dry-run by the apiserver, then applied with server-side apply as hubmesh, and recorded in the <Link className="underline" href="/audit">audit list</Link>. Objects hubmesh does not own are never changed without your confirmation.
        </p>
        <div className="grid gap-4 lg:grid-cols-2 xl:grid-cols-4">
          {ACTIONS.map((a) => (
            <MeshActionCard key={a.target} {...a} />
          ))}
        </div>
      </section>

      <section aria-labelledby="alerts" className="space-y-2">
        <h2 id="alerts" className="text-lg font-medium">
          Alerts
        </h2>
        <p className="text-sm">
          Rules that fire on any request or TCP byte reaching <span className="font-mono">{data.namespace}</span> without mutual TLS, and on running pods without a sidecar (that one needs kube-state-metrics):{' '}
          <a className="underline" href={`/api/v1/mesh/alerts?format=prometheus-rule&window=${rateWindow}`}>
            PrometheusRule
          </a>{' '}
          ·{' '}
          <a className="underline" href={`/api/v1/mesh/alerts?format=rule-file&window=${rateWindow}`}>
            Prometheus rule file
          </a>
        </p>
      </section>
    </div>
  );
}
