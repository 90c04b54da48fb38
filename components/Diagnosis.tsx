'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useState } from 'react';
import type { DiagnoseAnswer } from '@/lib/diagnose/api';
import type { ProbeResult } from '@/lib/diagnose/probe';
import { diagnoseUrl, objectHref, probeSentence, probeUrl, serverLabel, serverPageUrl, STATUS_LOOK, VERDICT_LOOK } from './diagnosis-format';
import { mutateApi, useApi } from './live';
import { PROMETHEUS_REFRESH_MS } from './live-keys';
import { Badge, ErrorState, inputClass } from './ui';

type Hop = DiagnoseAnswer['hops'][number];
type Evidence = Hop['evidence'][number];

const button = 'rounded border px-3 py-1 text-sm disabled:opacity-40 dark:border-slate-700';
const muted = 'text-sm text-slate-600 dark:text-slate-400';
const STATUS_BORDER = { pass: 'border-l-emerald-500', fail: 'border-l-rose-500', warn: 'border-l-amber-500', unknown: 'border-l-slate-400' } as const;

function EvidenceValue({ e }: { e: Evidence }) {
  const href = e.ref && objectHref(e.ref);
  if (!href) return <>{e.value}</>;
  // the object's name as a link; the words around it stay text
  const name = e.ref!.name;
  const at = e.value.indexOf(name);
  if (at < 0) return <Link className="text-sky-700 underline dark:text-sky-300" href={href}>{e.value}</Link>;
  return (
    <>
      {e.value.slice(0, at)}
      <Link className="text-sky-700 underline dark:text-sky-300" href={href}>
        {name}
      </Link>
      {e.value.slice(at + name.length)}
    </>
  );
}

function HopItem({ hop, index }: { hop: Hop; index: number }) {
  const look = STATUS_LOOK[hop.status];
  return (
    <li className={`rounded border border-l-4 border-slate-200 p-3 dark:border-slate-800 ${STATUS_BORDER[hop.status]}`} data-hop={hop.id} data-status={hop.status}>
      <div className="flex flex-wrap items-baseline gap-x-2 gap-y-1">
        <Badge tone={look.tone}>
          <span aria-hidden="true">{look.icon}</span> {look.word}
        </Badge>
        <h3 className="font-medium">
          {index + 1}. {hop.title}
        </h3>
      </div>
      <p className="mt-2 text-sm break-words">{hop.summary}</p>
      {hop.evidence.length > 0 && (
        <dl className="mt-2 grid grid-cols-1 gap-x-4 text-sm sm:grid-cols-[minmax(8rem,14rem)_1fr]">
          {hop.evidence.map((e, i) => (
            <div key={i} className="contents">
              <dt className="mt-1 text-slate-600 dark:text-slate-400">{e.label}</dt>
              <dd className="font-mono text-xs wrap-anywhere sm:mt-1 sm:text-sm">
                <EvidenceValue e={e} />
              </dd>
            </div>
          ))}
        </dl>
      )}
      {hop.fix && (
        <p className="mt-2 rounded bg-slate-50 p-2 text-sm break-words dark:bg-slate-800/60">
          <span className="font-medium">Fix: </span>
          {hop.fix}
        </p>
      )}
    </li>
  );
}

/** "Copy report": the clipboard when the browser allows it, else the report in a read-only box to copy by hand. */
function useCopyReport(report: string | undefined) {
  const [state, setState] = useState<'idle' | 'copied' | 'refused'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(report ?? '');
      setState('copied');
    } catch {
      setState('refused');
    }
  };
  return { state, copy };
}

type ProbeOutcome = { result?: ProbeResult; error?: string };

/** "Probe now": one request through the gateway, and what it saw. */
function useProbe(user: string, server: string) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ProbeOutcome>();
  const probe = async () => {
    setBusy(true);
    try {
      const response = await mutateApi(probeUrl(user, server), { method: 'POST' });
      const body = (await response.json().catch(() => ({}))) as ProbeResult & { error?: string };
      // a 503 is a result too: the gateway could not be reached
      setOutcome(response.ok || response.status === 503 ? { result: body } : { error: body.error ?? `HTTP ${response.status}` });
    } catch (error) {
      setOutcome({ error: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return { busy, outcome, probe };
}

function ProbeOutput({ outcome }: { outcome: ProbeOutcome }) {
  return (
    <div role="status" aria-label="Probe result" className="text-sm">
      {outcome.result ? (
        <>
          <Badge tone={outcome.result.matches ? 'ok' : 'bad'}>{outcome.result.matches ? '✓ Served by the route' : '✗ Not served by the route'}</Badge> {probeSentence(outcome.result)}
          <div className={`${muted} wrap-anywhere`}>
            GET {outcome.result.url}
            {outcome.result.host ? ` (Host: ${outcome.result.host})` : ''} at {outcome.result.at}
          </div>
        </>
      ) : (
        <span className="text-rose-700 dark:text-rose-300">Probe refused: {outcome.error}</span>
      )}
    </div>
  );
}

/**
 * "Why can't <user> reach their server?": the verdict, the hops a request takes, each with its status (icon and
 * word), what was found, the evidence and the fix; the server picker, "Probe now" and "Copy report".
 */
export function Diagnosis({ user, server }: { user: string; server: string }) {
  const router = useRouter();
  const { data, error, isValidating, mutate } = useApi<DiagnoseAnswer>(diagnoseUrl(user, server), { refreshInterval: PROMETHEUS_REFRESH_MS });
  const probe = useProbe(user, server);
  const copy = useCopyReport(data?.report);
  if (error && !data) return <ErrorState error={error} />;
  if (!data) return <p>Checking…</p>;
  const verdict = VERDICT_LOOK[data.verdict];
  return (
    <section aria-labelledby="diagnosis" className="space-y-4">
      <div className="flex flex-wrap items-end gap-3">
        <h2 id="diagnosis" className="text-lg font-medium">
          Why can&apos;t {data.user} reach {data.server ? `server ${data.server}` : 'their default server'}?
        </h2>
        {data.servers.length > 1 && (
          <label className="flex flex-col text-sm">
            Server
            <select className={inputClass} value={server} onChange={(e) => router.push(serverPageUrl(user, e.target.value))}>
              {data.servers.map((s) => (
                <option key={s} value={s}>
                  {serverLabel(s)}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div role="status" aria-label="Verdict" className="flex flex-wrap items-center gap-2 text-sm">
        <Badge tone={verdict.tone}>{verdict.word}</Badge>
        <span>{verdict.text}.</span>
        <span className={muted}>
          {data.path && (
            <>
              Path <span className="font-mono wrap-anywhere">{data.path}</span> ·{' '}
            </>
          )}
          checked {new Date(data.checkedAt).toLocaleTimeString()}
        </span>
      </div>
      <div className="flex flex-wrap items-center gap-2">
        <button type="button" className={button} disabled={isValidating} onClick={() => void mutate()}>
          Check again
        </button>
        <button type="button" className={button} disabled={probe.busy} onClick={() => void probe.probe()}>
          {probe.busy ? 'Probing…' : 'Probe now'}
        </button>
        <button type="button" className={button} onClick={() => void copy.copy()}>
          Copy report
        </button>
        <span role="status" className="text-sm text-emerald-700 dark:text-emerald-300">
          {copy.state === 'copied' ? 'Copied' : ''}
        </span>
      </div>
      {probe.outcome && <ProbeOutput outcome={probe.outcome} />}
      {copy.state === 'refused' && (
        <label className="flex flex-col gap-1 text-sm">
          The browser refused the clipboard: select the report and copy it.
          <textarea readOnly className={`${inputClass} h-48 font-mono text-xs`} value={data.report} onFocus={(e) => e.currentTarget.select()} />
        </label>
      )}
      {error && <ErrorState error={error} />}
      <ol className="space-y-3" aria-label="Hops">
        {data.hops.map((hop, i) => (
          <HopItem key={hop.id} hop={hop} index={i} />
        ))}
      </ol>
    </section>
  );
}
