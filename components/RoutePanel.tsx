'use client';

import { useState } from 'react';
import type { serviceChoices } from '@/lib/kube/services';
import type { Overlays, SelectiveRule } from '@/lib/routes/overlays';
import type { changeOverlays, overlaysAnswer } from '@/lib/routes/overlays-api';
import type { routeResilienceMetrics } from '@/lib/routes/route-metrics-api';
import { ObjectChange, PreviewApplyButtons, ProblemAlert, useChange } from './ChangeFlow';
import { useApi } from './live';
import { FaultField, RateLimitField, RetriesField, TimeoutField, type FaultDraft } from './ResilienceFields';
import { Badge, ErrorState, Facts, inputClass } from './ui';

type ServiceChoice = ReturnType<typeof serviceChoices>[number];
type OverlaysAnswer = ReturnType<typeof overlaysAnswer>;
type MetricsAnswer = Awaited<ReturnType<typeof routeResilienceMetrics>>;
type ChangeAnswer = Awaited<ReturnType<typeof changeOverlays>>;
type MatchKind = 'header-exact' | 'header-regex' | 'cookie';
/** The overlays as the editor holds them: a new fault has a ttl, which the API turns into its expiry. */
type Draft = Omit<Overlays, 'fault'> & { fault?: FaultDraft };

const kindOf = (m: SelectiveRule['match']): MatchKind => ('cookie' in m ? 'cookie' : 'regex' in m ? 'header-regex' : 'header-exact');
const keyOf = (m: SelectiveRule['match']) => ('cookie' in m ? m.cookie : m.header);
const valueOf = (m: SelectiveRule['match']) => ('cookie' in m ? m.value : 'regex' in m ? m.regex : m.exact);
function matchOf(kind: MatchKind, key: string, value: string): SelectiveRule['match'] {
  if (kind === 'cookie') return { cookie: key, value };
  return kind === 'header-regex' ? { header: key, regex: value } : { header: key, exact: value };
}

function ServiceSelect({ label, services, value, onChange }: { label: string; services: ServiceChoice[]; value: string; onChange: (v: string) => void }) {
  return (
    <label className="flex flex-col text-sm">
      {label}
      <select className={inputClass} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">choose a Service…</option>
        {services.map((s) => (
          <option key={s.name} value={s.name}>
            {s.name} ({s.ports.map((p) => p.port).join(', ') || 'no ports'})
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * A route's traffic and resilience settings: canary, selective rules, retries, timeout, fault injection and
 * rate limit. Edit, preview (diff, YAML, the apiserver's dry run, and the gateway's EnvoyFilter when a rate
 * limit changes), apply. Weights always add up to 100: the slider sets the canary's share and the route keeps the rest.
 */
export function RoutePanel({ name }: { name: string }) {
  const url = `/api/v1/routes/${encodeURIComponent(name)}/overlays`;
  const { data, error, mutate } = useApi<OverlaysAnswer>(url);
  if (error) return <ErrorState error={error} />;
  if (!data) return <p>Loading…</p>;
  // the draft starts from what is stored when the route is opened; after an apply the two agree again
  return (
    <>
      <ResilienceFigures name={name} />
      <OverlayEditor key={name} url={url} stored={data.overlays} answer={data} services={data.services} reload={() => void mutate()} />
    </>
  );
}

/** A destination's DestinationRule subset, which a backend without subsets refuses (choosing the Service again clears it). */
function SubsetNote({ destination, unavailable }: { destination: Overlays['rules'][number]['destination']; unavailable: string | undefined }) {
  if (destination.subset === undefined || !unavailable) return null;
  return (
    <p role="note" className="text-sm text-amber-800 sm:col-span-2 dark:text-amber-300">
      Subset {destination.subset} {unavailable}: choose the Service again to send to all of its pods.
    </p>
  );
}

const count = (n: number) => (n < 10 ? n.toFixed(1).replace(/\.0$/, '') : Math.round(n).toLocaleString('en'));

/** What the route's settings did in the last hour, from Prometheus (Istio's telemetry). */
function ResilienceFigures({ name }: { name: string }) {
  const { data, error } = useApi<MetricsAnswer>(`/api/v1/routes/${encodeURIComponent(name)}/metrics`);
  if (error) return <ErrorState error={error} />;
  if (!data) return null;
  if (!data.configured) return <p className="text-sm text-slate-600 dark:text-slate-400">Set HUBMESH_PROMETHEUS_URL to see retries, 429s and injected faults here.</p>;
  const rows: Array<[string, string]> = [
    ['Requests', count(data.requests)],
    ['Retries', data.retries === null ? 'not exported (add upstream_rq_retry to proxyStatsMatcher)' : count(data.retries)],
    ['Failed after every retry (URX)', count(data.retriesExhausted)],
    ['Rate limited (429, RL)', count(data.rateLimited)],
    ['Aborted by a fault (FI)', count(data.faultAborts)],
    ['Delayed by a fault (DI)', count(data.faultDelays)],
  ];
  return (
    <section aria-label="Resilience in the last hour" className="space-y-1">
      <h3 className="font-medium">In the last hour ({data.service})</h3>
      <Facts rows={rows} />
    </section>
  );
}

const EDITED = ['canary', 'rules', 'retries', 'timeout', 'fault', 'rateLimit'] as const;

/** The sections the draft changes from what is stored: each set to its new value, or null when turned off. */
function changedSections(stored: Overlays, draft: Draft): Record<string, unknown> {
  const changed: Record<string, unknown> = {};
  for (const key of EDITED) if (JSON.stringify(stored[key]) !== JSON.stringify(draft[key])) changed[key] = draft[key] ?? null;
  return changed;
}

function OverlayEditor({ url, stored, answer, services, reload }: { url: string; stored: Overlays; answer: OverlaysAnswer; services: ServiceChoice[]; reload: () => void }) {
  const [draft, setDraft] = useState<Draft>(stored);
  const [confirmUnscopedFault, setConfirmUnscopedFault] = useState(false);
  // an applied fault's ttl is an expiry now: what is stored is what the next change sends back
  const { result, problem, busy, send, forget } = useChange<ChangeAnswer>(url, 'PATCH', (applied) => {
    setDraft(applied.overlays);
    reload();
  });
  const edit = (next: Draft) => {
    setDraft(next);
    forget();
  };
  const canary = draft.canary;
  const { unavailable } = answer;
  // a dry run, or a change in local mode, is not audited
  const audit = result && 'audit' in result ? result.audit : undefined;
  const setRule = (i: number, rule: SelectiveRule) => edit({ ...draft, rules: draft.rules.map((r, j) => (j === i ? rule : r)) });
  return (
    <section aria-label="Traffic and resilience" className="space-y-4">
      <h3 className="font-medium">Traffic and resilience</h3>
      <fieldset className="space-y-2 rounded border border-slate-200 p-3 dark:border-slate-800">
        <legend className="px-1 text-sm font-medium">Weighted canary</legend>
        <label className="flex items-center gap-2 text-sm">
          <input
            type="checkbox"
            checked={canary !== undefined}
            onChange={(e) => edit({ ...draft, canary: e.target.checked ? { weights: { current: 90, canary: 10 }, destination: { service: '' } } : undefined })}
          />
          Canary on
        </label>
        {canary && (
          <>
            <ServiceSelect label="Canary Service" services={services} value={canary.destination.service} onChange={(service) => edit({ ...draft, canary: { ...canary, destination: { service } } })} />
            <SubsetNote destination={canary.destination} unavailable={unavailable.subset} />
            <label className="flex flex-col text-sm">
              Canary share: {canary.weights.canary}% (the route keeps {canary.weights.current}%)
              <input
                type="range"
                min={0}
                max={100}
                value={canary.weights.canary}
                onChange={(e) => edit({ ...draft, canary: { ...canary, weights: { canary: Number(e.target.value), current: 100 - Number(e.target.value) } } })}
              />
            </label>
          </>
        )}
      </fieldset>
      <fieldset className="space-y-2 rounded border border-slate-200 p-3 dark:border-slate-800">
        <legend className="px-1 text-sm font-medium">Selective rules (tried in order, before the route)</legend>
        {draft.rules.map((rule, i) => (
          <div key={i} className="grid gap-2 rounded bg-slate-50 p-2 sm:grid-cols-2 dark:bg-slate-800/50" aria-label={`Rule ${i + 1}`} role="group">
            <label className="flex flex-col text-sm">
              Name
              <input className={inputClass} value={rule.name} onChange={(e) => setRule(i, { ...rule, name: e.target.value })} />
            </label>
            <label className="flex flex-col text-sm">
              Match
              <select className={inputClass} value={kindOf(rule.match)} onChange={(e) => setRule(i, { ...rule, match: matchOf(e.target.value as MatchKind, keyOf(rule.match), valueOf(rule.match)) })}>
                <option value="header-exact">header equals</option>
                <option value="header-regex">header matches (RE2)</option>
                <option value="cookie">cookie equals</option>
              </select>
            </label>
            <label className="flex flex-col text-sm">
              {kindOf(rule.match) === 'cookie' ? 'Cookie' : 'Header'}
              <input className={inputClass} value={keyOf(rule.match)} onChange={(e) => setRule(i, { ...rule, match: matchOf(kindOf(rule.match), e.target.value, valueOf(rule.match)) })} />
            </label>
            <label className="flex flex-col text-sm">
              Value
              <input className={inputClass} value={valueOf(rule.match)} onChange={(e) => setRule(i, { ...rule, match: matchOf(kindOf(rule.match), keyOf(rule.match), e.target.value) })} />
            </label>
            <ServiceSelect label="To Service" services={services} value={rule.destination.service} onChange={(service) => setRule(i, { ...rule, destination: { service } })} />
            <SubsetNote destination={rule.destination} unavailable={unavailable.subset} />
            <button type="button" className="self-end rounded border px-2 py-1 text-sm dark:border-slate-700" onClick={() => edit({ ...draft, rules: draft.rules.filter((_, j) => j !== i) })}>
              Remove rule
            </button>
          </div>
        ))}
        <button
          type="button"
          className="rounded border px-2 py-1 text-sm dark:border-slate-700"
          onClick={() => edit({ ...draft, rules: [...draft.rules, { name: `rule-${draft.rules.length + 1}`, match: { header: 'x-canary', exact: 'yes' }, destination: { service: '' } }] })}
        >
          Add rule
        </button>
      </fieldset>
      <RetriesField value={draft.retries} inherited={answer.inherited.retries} unavailable={unavailable.retries} onChange={(retries) => edit({ ...draft, retries })} />
      <TimeoutField value={draft.timeout} websockets={answer.notebook || answer.path !== '/'} onChange={(timeout) => edit({ ...draft, timeout })} />
      <FaultField value={draft.fault} confirmed={confirmUnscopedFault} onConfirm={setConfirmUnscopedFault} unavailable={unavailable.fault} onChange={(fault) => edit({ ...draft, fault })} />
      <RateLimitField value={draft.rateLimit} inherited={answer.inherited.rateLimit} unavailable={unavailable.rateLimit} onChange={(rateLimit) => edit({ ...draft, rateLimit })} />
      {/* only what this editor changed: another admin's change of another section meanwhile stays */}
      <PreviewApplyButtons busy={busy} previewed={result?.dryRun === true} onSend={(dryRun) => void send({ overlays: changedSections(stored, draft), confirmUnscopedFault }, dryRun)} />
      <ProblemAlert problem={problem} />
      {result && (
        <div className="space-y-2" role="status">
          {result.dryRun ? (
            <p className="text-sm">
              <Badge tone="ok">dry run accepted</Badge> Nothing is stored until you apply.
            </p>
          ) : (
            <p className="text-sm">
              <Badge tone="ok">applied</Badge> {audit?.recorded ? `Recorded as Event ${audit.event}.` : audit ? `The audit Event could not be recorded: ${audit.error}` : ''}
            </p>
          )}
          {result.warnings.map((w) => (
            <p key={w.field} className="text-sm text-amber-800 dark:text-amber-300">
              <Badge tone="warn">warning</Badge> {w.field}: {w.message}
            </p>
          ))}
          <ObjectChange diff={result.diff} preview={result.preview} summary={`${answer.kind} after`} previewLabel="Overlay YAML preview" />
          {result.related.map((r) => (
            <div key={`${r.kind}/${r.namespace}/${r.name}`} className="space-y-2" aria-label={`${r.kind} ${r.namespace}/${r.name}`} role="group">
              <p className="text-sm font-medium">
                {r.kind} {r.namespace}/{r.name} (the gateway enforces the rate limits with it)
              </p>
              <ObjectChange diff={r.diff} preview={r.preview} summary={`${r.kind} after`} previewLabel={`${r.kind} YAML preview`} />
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
