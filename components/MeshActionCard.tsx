'use client';

import { useState } from 'react';
import type { ApplyResult, Plan } from '@/lib/mesh/actions';
import type { MeshActionTarget } from '@/lib/mesh/api';
import { Diff } from './Diff';
import { mutateApi } from './live';
import { Badge } from './ui';


export const ACTIONS: Array<{ target: MeshActionTarget; title: string; what: string }> = [
  { target: 'peer-authentication', title: 'Enforce STRICT mTLS', what: 'a namespace-wide PeerAuthentication named default with mtls.mode STRICT' },
  { target: 'injection', title: 'Enable sidecar injection', what: "the namespace's istio-injection (or istio.io/rev) label" },
  { target: 'ambient', title: 'Enroll the namespace in ambient', what: "the namespace's istio.io/dataplane-mode=ambient label: ztunnel gives its pods mTLS without sidecars" },
  { target: 'gateway', title: 'Ensure the hub Gateway', what: 'the Istio Gateway the routes bind to, for the hub hosts' },
];

async function readJson<T>(response: Response): Promise<T> {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body as { error?: string }).error ?? `HTTP ${response.status}`);
  return body as T;
}

/** What a mesh action's plan says before it is applied: what it does, whose object it is, the apiserver's dry run, a takeover or conflict. */
export function PlanVerdicts({ plan }: { plan: Plan }) {
  return (
    <>
      <p className="text-sm">
        {plan.summary}{' '}
        <Badge tone={plan.ownership.verdict === 'takeover' ? 'warn' : 'ok'}>{plan.ownership.verdict === 'create' ? 'new object' : plan.ownership.verdict === 'update' ? "hubmesh's object" : 'not hubmesh’s'}</Badge>
      </p>
      {plan.dryRun.accepted ? (
        <p className="text-sm">
          <Badge tone="ok">dry run accepted</Badge> The apiserver validated it and stored nothing.
        </p>
      ) : (
        <p role="alert" className="text-sm text-rose-700 dark:text-rose-300">
          The apiserver&apos;s dry run refused {plan.object.name} ({plan.dryRun.status} {plan.dryRun.reason}): {plan.dryRun.message}
        </p>
      )}
      {plan.warnings.map((warning) => (
        <p key={warning} role="note" className="text-sm text-amber-800 dark:text-amber-200">
          <Badge tone="warn">warning</Badge> {warning}
        </p>
      ))}
      {plan.ownership.verdict === 'takeover' && <p className="text-sm text-amber-800 dark:text-amber-200">{plan.ownership.reason}</p>}
      {plan.conflict && <p className="text-sm text-amber-800 dark:text-amber-200">Conflict with another field manager: {plan.conflict}</p>}
    </>
  );
}

/** One admin action: preview (YAML, diff, the apiserver's dry run, ownership) first, then apply. */
export function MeshActionCard({ target, title, what }: { target: MeshActionTarget; title: string; what: string }) {
  const [plan, setPlan] = useState<Plan>();
  const [takeover, setTakeover] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const url = `/api/v1/mesh/actions/${target}`;
  const preview = async () => {
    setBusy(true);
    setMessage(undefined);
    setTakeover(false);
    try {
      setPlan(await readJson<Plan>(await fetch(url, { credentials: 'same-origin' })));
    } catch (error) {
      setMessage({ tone: 'bad', text: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    setBusy(true);
    try {
      const result = await readJson<ApplyResult>(await mutateApi(url, { method: 'POST', body: JSON.stringify({ confirmTakeover: takeover }) }));
      setMessage({ tone: 'ok', text: `Applied. ${result.audit.recorded ? `Recorded as Event ${result.audit.event}.` : `The audit Event could not be recorded: ${result.audit.error}`}` });
      setPlan(undefined);
    } catch (error) {
      setMessage({ tone: 'bad', text: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const headingId = `action-${target}`;
  return (
    <section aria-labelledby={headingId} className="rounded border border-slate-200 p-4 dark:border-slate-800">
      <h3 id={headingId} className="font-medium">
        {title}
      </h3>
      <p className="text-sm text-slate-600 dark:text-slate-400">Ensures {what}.</p>
      <button type="button" className="mt-2 rounded border px-3 py-1 text-sm dark:border-slate-700" onClick={preview} disabled={busy}>
        Preview
      </button>
      {message && (
        <p role={message.tone === 'bad' ? 'alert' : 'status'} className={`mt-2 text-sm ${message.tone === 'bad' ? 'text-rose-700 dark:text-rose-300' : 'text-emerald-700 dark:text-emerald-300'}`}>
          {message.text}
        </p>
      )}
      {plan && (
        <div className="mt-3 space-y-3">
          <PlanVerdicts plan={plan} />
          <details open>
            <summary className="cursor-pointer text-sm font-medium">Diff (current → after apply)</summary>
            <Diff hunks={plan.diff} />
          </details>
          <details>
            <summary className="cursor-pointer text-sm font-medium">YAML applied</summary>
            <pre aria-label="YAML preview" className="overflow-x-auto rounded bg-slate-100 p-3 text-xs dark:bg-slate-800">
              {plan.preview}
            </pre>
          </details>
          {plan.needsConfirmation && (
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={takeover} onChange={(e) => setTakeover(e.target.checked)} />
              Take over the fields another manager owns
            </label>
          )}
          <button
            type="button"
            className="rounded bg-slate-900 px-3 py-1 text-sm text-white disabled:opacity-40 dark:bg-slate-100 dark:text-slate-900"
            disabled={busy || !plan.dryRun.accepted || (plan.needsConfirmation && !takeover)}
            onClick={apply}
          >
            Apply
          </button>
        </div>
      )}
    </section>
  );
}
