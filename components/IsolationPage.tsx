'use client';

import { useId, useState } from 'react';
import type { deleteException, isolateApply, isolatePlanAnswer, isolationAnswer, putException } from '@/lib/mesh/isolation-api';
import { ObjectChange } from './ChangeFlow';
import { PlanVerdicts } from './MeshActionCard';
import {
  accessTone,
  allowedText,
  decidedBy,
  EMPTY_EXCEPTION,
  exceptionInto,
  exceptionRequest,
  exceptionWho,
  fieldMessage,
  flowAmounts,
  flowEnd,
  groupCaptions,
  identitySource,
  ISOLATION_WINDOWS,
  listSome,
  objectHref,
  orderGroups,
  otherFlows,
  policyAnchor,
  policyLabel,
  problemField,
  ROLE_TITLES,
  SCOPES,
  sentence,
  verdictChecks,
  type ExceptionDraft,
  type ExceptionField,
} from './isolation-format';
import { mutateApi, useApi } from './live';
import { PROMETHEUS_REFRESH_MS, refreshIntervalOf } from './live-keys';
import { Badge, EmptyState, ErrorState, inputClass } from './ui';

/**
 * Notebook isolation: the verdict, who may reach each workload and which policy decided, the identities the
 * policies name, the traffic of the window, "Isolate notebooks" (preview, then apply) and the admin's exceptions.
 */

type Isolation = Awaited<ReturnType<typeof isolationAnswer>>;
type IsolatePlan = Awaited<ReturnType<typeof isolatePlanAnswer>>;
type IsolateResult = Awaited<ReturnType<typeof isolateApply>>;
type ExceptionAnswer = Awaited<ReturnType<typeof putException>>;
type RemoveAnswer = Awaited<ReturnType<typeof deleteException>>;
type Flow = Extract<Isolation['telemetry'], { state: 'ok' }>['flows'][number];
type PolicyRef = { kind: string; namespace: string; name: string };
type Known = { notebookPods: ReadonlySet<string>; policies: ReadonlySet<string> };

/** A refusal as the API words it: the message, and the code and field a form can act on. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const response = init ? await mutateApi(url, init) : await fetch(url, { credentials: 'same-origin' });
  const body = (await response.json().catch(() => ({}))) as { error?: string; code?: string; field?: string };
  if (!response.ok) throw new Refusal(response.status, body.error ?? `HTTP ${response.status}`, body.code, body.field);
  return body as T;
}

const auditText = (audit: { recorded: true; event: string } | { recorded: false; error: string }) =>
  audit.recorded ? `Recorded as Event ${audit.event}.` : `The audit Event could not be recorded: ${audit.error}`;

const button = 'rounded border px-3 py-1 text-sm disabled:opacity-40 dark:border-slate-700';
const primary = 'rounded bg-slate-900 px-3 py-1 text-sm text-white disabled:opacity-40 dark:bg-slate-100 dark:text-slate-900';
const muted = 'text-sm text-slate-600 dark:text-slate-400';

function Alert({ children }: { children: React.ReactNode }) {
  return (
    <p role="alert" className="text-sm text-rose-700 dark:text-rose-300">
      {children}
    </p>
  );
}

function Done({ children }: { children: React.ReactNode }) {
  return (
    <p role="status" className="text-sm text-emerald-700 dark:text-emerald-300">
      {children}
    </p>
  );
}

function ObjectLink({ o, known }: { o: PolicyRef; known: Known }) {
  const text = `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
  const href = objectHref(o, known);
  // a plain anchor: the pods page is a navigation, a policy is further down this page
  return href ? (
    <a className="font-mono underline" href={href}>
      {text}
    </a>
  ) : (
    <span className="font-mono">{text}</span>
  );
}

function ObjectLinks({ objects, known }: { objects: PolicyRef[]; known: Known }) {
  if (objects.length === 0) return null;
  return (
    <span className="ml-1">
      (
      {objects.map((o, j) => (
        <span key={`${o.kind}/${o.namespace}/${o.name}`}>
          {j > 0 && ', '}
          <ObjectLink o={o} known={known} />
        </span>
      ))}
      )
    </span>
  );
}

function PolicyLinks({ policies, namespace, known }: { policies: PolicyRef[]; namespace: string; known: Known }) {
  return policies.map((p, i) => {
    const href = objectHref(p, known);
    return (
      <span key={`${p.namespace}/${p.name}`}>
        {i > 0 && ', '}
        {href ? (
          <a className="font-mono underline" href={href}>
            {policyLabel(p, namespace)}
          </a>
        ) : (
          <span className="font-mono">{policyLabel(p, namespace)}</span>
        )}
      </span>
    );
  });
}

export function IsolationPage() {
  const [span, setSpan] = useState('1h');
  const url = `/api/v1/mesh/isolation?window=${span}`;
  // the traffic is Prometheus's: polled, whether or not the live stream says anything changed
  const { data, error, mutate } = useApi<Isolation>(url, { refreshInterval: refreshIntervalOf(url) ?? PROMETHEUS_REFRESH_MS });
  if (error?.status === 409) {
    return <EmptyState title="Notebook isolation is not available here">{sentence(error.message)}</EmptyState>;
  }
  if (error && !data) return <ErrorState error={error} />;
  if (!data) return <p>Loading…</p>;
  const reload = () => void mutate();
  const known: Known = {
    notebookPods: new Set([...data.identities.notebooks.flatMap((i) => i.pods), ...data.groups.filter((g) => g.target === 'notebook').flatMap((g) => g.pods)]),
    policies: new Set(data.policies.map((p) => `${p.namespace}/${p.name}`)),
  };
  return (
    <div className="space-y-8">
      <div className="flex flex-wrap items-end gap-4">
        <p className="text-sm">
          Namespace <span className="font-mono">{data.namespace}</span> · mTLS {data.strict ? 'STRICT' : 'not STRICT'} · Prometheus {data.prometheus.configured ? 'configured' : 'not configured'}
        </p>
        <label className="flex flex-col text-sm">
          Window
          <select className={inputClass} value={span} onChange={(e) => setSpan(e.target.value)}>
            {ISOLATION_WINDOWS.map((w) => (
              <option key={w}>{w}</option>
            ))}
          </select>
        </label>
      </div>
      {error && <ErrorState error={error} />}
      <Verdict data={data} known={known} />
      <AccessTables data={data} known={known} />
      <Identities data={data} />
      <Traffic data={data} />
      <IsolateCard window={data.window} reload={reload} />
      <Exceptions data={data} reload={reload} />
      <Policies data={data} />
    </div>
  );
}

// ---- the verdict ----

function Verdict({ data, known }: { data: Isolation; known: Known }) {
  const v = data.verdict;
  return (
    <section aria-labelledby="isolation-verdict" className={`space-y-3 rounded border p-4 ${v.isolated ? 'border-emerald-300 dark:border-emerald-800' : 'border-rose-300 dark:border-rose-800'}`}>
      <h2 id="isolation-verdict" className="text-lg font-medium">
        Isolation verdict
      </h2>
      <p data-testid="isolation-state" className="text-base">
        {v.isolated ? <Badge tone="ok">Isolated</Badge> : <Badge tone="bad">Not isolated</Badge>} Notebooks in <span className="font-mono">{data.namespace}</span>{' '}
        {v.isolated
          ? 'accept only their intended sources, no notebook was seen talking to another, and every pod enforces the policies.'
          : 'are not shown to be isolated: see why below.'}
      </p>
      <ul className="flex flex-wrap gap-2 text-sm" aria-label="Checks">
        {verdictChecks(v.checks).map((c) => (
          <li key={c.name}>
            {c.label}: <Badge tone={c.tone}>{c.text}</Badge>
          </li>
        ))}
      </ul>
      {v.reasons.length > 0 && (
        <ol className="list-decimal space-y-1 pl-5 text-sm" aria-label="Why not isolated">
          {v.reasons.map((r, i) => (
            <li key={i}>
              {sentence(r.message)}
              <ObjectLinks objects={r.objects} known={known} />
            </li>
          ))}
        </ol>
      )}
      {v.warnings.length > 0 && (
        <div className="rounded border border-amber-300 bg-amber-50 p-3 text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
          <h3 className="text-sm font-medium">Warnings</h3>
          <ul className="list-disc space-y-1 pl-5 text-sm" aria-label="Warnings">
            {v.warnings.map((w, i) => (
              <li key={i}>
                {sentence(w.message)}
                <ObjectLinks objects={w.objects} known={known} />
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

// ---- who may reach what ----

const rowClass = { bad: 'bg-rose-50 dark:bg-rose-950', warn: 'bg-amber-50 dark:bg-amber-950' } as const;

function DecidedByCell({ access, namespace, known }: { access: Isolation['groups'][number]['access'][number]; namespace: string; known: Known }) {
  const d = decidedBy(access);
  return (
    <>
      {d.before}
      <PolicyLinks policies={d.policies} namespace={namespace} known={known} />
      {d.after}
      {d.notes.map((note) => (
        <span key={note} className="block text-xs text-slate-600 dark:text-slate-400">
          {note}
        </span>
      ))}
    </>
  );
}

function AccessTable({ group, caption, data, known }: { group: Isolation['groups'][number]; caption: string; data: Isolation; known: Known }) {
  const probes = new Map(data.probes.map((p) => [p.id, p]));
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="py-1 text-left font-medium">{caption}</caption>
        <thead className="text-slate-600 dark:text-slate-400">
          <tr>
            <th scope="col" className="py-1 pr-3 font-medium">Source</th>
            <th scope="col" className="py-1 pr-3 font-medium">Intended</th>
            <th scope="col" className="py-1 pr-3 font-medium">Allowed</th>
            <th scope="col" className="py-1 pr-3 font-medium">Decided by</th>
          </tr>
        </thead>
        <tbody>
          {group.access.map((a) => {
            const tone = accessTone(a);
            return (
              <tr key={a.probe} data-tone={tone} className={`border-t border-slate-200 dark:border-slate-800 ${tone ? rowClass[tone] : ''}`}>
                <th scope="row" className="py-1 pr-3 font-normal">
                  {probes.get(a.probe)?.label ?? a.probe}
                </th>
                <td className="py-1 pr-3">{a.intended ? 'yes' : 'no'}</td>
                <td className="py-1 pr-3">
                  <Badge tone={tone ?? (a.allowed === true ? 'ok' : 'muted')}>{allowedText(a.allowed)}</Badge>
                </td>
                <td className="py-1 pr-3">
                  <DecidedByCell access={a} namespace={data.namespace} known={known} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className={`mt-1 ${muted}`}>
        {group.pods.length === 1 ? 'Pod' : `${group.pods.length} pods`} {listSome(group.pods)} ·{' '}
        {group.policies.length ? (
          <>
            policies that apply: <PolicyLinks policies={group.policies} namespace={data.namespace} known={known} />
          </>
        ) : (
          'no AuthorizationPolicy applies'
        )}
      </p>
      {group.users.length > 3 && (
        <details className={muted}>
          <summary className="cursor-pointer">All {group.users.length} users</summary>
          {group.users.join(', ')}
        </details>
      )}
    </div>
  );
}

function AccessTables({ data, known }: { data: Isolation; known: Known }) {
  const groups = orderGroups(data.groups);
  const captions = groupCaptions(groups);
  return (
    <section aria-labelledby="isolation-access" className="space-y-4">
      <h2 id="isolation-access" className="text-lg font-medium">
        Who may reach what
      </h2>
      <p className={muted}>
        Each source is asked with the requests its intended callers send. Red: reachable but not intended. Amber: intended but denied (or undecided).
      </p>
      {groups.length === 0 ? (
        <EmptyState title="No notebook, hub or hubmesh pod runs">There is nothing to reach yet.</EmptyState>
      ) : (
        groups.map((group, i) => <AccessTable key={`${group.target}-${group.pods.join(',')}`} group={group} caption={captions[i]!} data={data} known={known} />)
      )}
    </section>
  );
}

// ---- identities ----

function Identities({ data }: { data: Isolation }) {
  const roles = ['gateway', 'hub', 'hubmesh', 'notebooks'] as const;
  return (
    <section aria-labelledby="isolation-identities" className="space-y-3">
      <h2 id="isolation-identities" className="text-lg font-medium">
        Identities
      </h2>
      <p className={muted}>The SPIFFE principals the policies name, read from the service accounts of the running pods.</p>
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
        {roles.map((role) => (
          <div key={role} className="contents">
            <dt className="font-medium">{ROLE_TITLES[role]}</dt>
            <dd>
              {data.identities[role].length === 0 ? (
                <span className="text-amber-800 dark:text-amber-200">{role === 'gateway' ? `None found: looked for ${data.gatewayLookup}.` : 'None found: no such pod runs.'}</span>
              ) : (
                <ul aria-label={`${ROLE_TITLES[role]} identities`}>
                  {data.identities[role].map((identity) => (
                    <li key={identity.principal}>
                      <span className="font-mono">{identity.principal}</span> <span className="text-slate-600 dark:text-slate-400">{identitySource(identity)}</span>
                    </li>
                  ))}
                </ul>
              )}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

// ---- traffic ----

function NotebookFlows({ flows, window }: { flows: Flow[]; window: string }) {
  if (flows.length === 0) return <p className="text-sm text-emerald-700 dark:text-emerald-300">No notebook sent anything to another notebook in the last {window}.</p>;
  return (
    <table className="w-full text-left text-sm">
      <caption className="py-1 text-left font-medium text-rose-800 dark:text-rose-200">Notebook-to-notebook traffic</caption>
      <thead className="text-slate-600 dark:text-slate-400">
        <tr>
          <th scope="col" className="py-1 pr-3 font-medium">From</th>
          <th scope="col" className="py-1 pr-3 font-medium">To</th>
          <th scope="col" className="py-1 pr-3 font-medium">Requests</th>
          <th scope="col" className="py-1 pr-3 font-medium">403s</th>
          <th scope="col" className="py-1 pr-3 font-medium">TCP connections</th>
        </tr>
      </thead>
      <tbody>
        {flows.map((f, i) => (
          <tr key={i} className={`border-t border-slate-200 dark:border-slate-800 ${rowClass.bad}`}>
            <td className="py-1 pr-3">{flowEnd(f.source)}</td>
            <td className="py-1 pr-3">{flowEnd(f.destination)}</td>
            <td className="py-1 pr-3 tabular-nums">{Math.round(f.requests)}</td>
            <td className="py-1 pr-3 tabular-nums">{Math.round(f.denied)}</td>
            <td className="py-1 pr-3 tabular-nums">{Math.round(f.connections)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Traffic({ data }: { data: Isolation }) {
  const t = data.telemetry;
  return (
    <section aria-labelledby="isolation-traffic" className="space-y-3">
      <h2 id="isolation-traffic" className="text-lg font-medium">
        Traffic in the last {data.window}
      </h2>
      {t.state === 'unconfigured' ? (
        <EmptyState title="No Prometheus configured">Set HUBMESH_PROMETHEUS_URL to Istio&apos;s Prometheus to see who really talked to the notebooks. Who may reach what above does not depend on it.</EmptyState>
      ) : t.state === 'unavailable' ? (
        <p role="alert" className="rounded border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900 dark:border-amber-800 dark:bg-amber-950 dark:text-amber-100">
          Prometheus is down or refusing queries: {t.message}. Who may reach what above does not depend on it.
        </p>
      ) : (
        <>
          <NotebookFlows flows={t.notebookToNotebook} window={data.window} />
          <OtherFlows flows={otherFlows(t.flows, t.notebookToNotebook)} window={data.window} />
        </>
      )}
    </section>
  );
}

function OtherFlows({ flows, window }: { flows: Flow[]; window: string }) {
  return (
    <div>
      <h3 className="text-sm font-medium">Other traffic</h3>
      {flows.length === 0 ? (
        <p className={muted}>Nothing else reached the namespace&apos;s workloads in the last {window}.</p>
      ) : (
        <ul className="text-sm" aria-label="Other traffic">
          {flows.map((f, i) => (
            <li key={i}>
              {flowEnd(f.source)} <span className="text-slate-600 dark:text-slate-400">{f.source.principal ? `as ${f.source.principal}` : 'in plaintext'}</span> → {flowEnd(f.destination)}: {flowAmounts(f)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

// ---- isolate notebooks ----

function PlanItem({ plan }: { plan: IsolatePlan['plans'][number] }) {
  return (
    <li className="space-y-2 rounded border border-slate-200 p-3 dark:border-slate-800">
      <PlanVerdicts plan={plan} />
      <ObjectChange diff={plan.diff} preview={plan.preview} summary={`YAML of ${plan.object.name}`} previewLabel={`YAML preview of ${plan.object.name}`} />
    </li>
  );
}

function WouldDeny({ plan }: { plan: IsolatePlan }) {
  return (
    <div>
      <h3 className="text-sm font-medium">What would be denied that is allowed today</h3>
      {plan.wouldDeny.length === 0 ? (
        <p className={muted}>Nothing: every source allowed today stays allowed.</p>
      ) : (
        <ul className="list-disc pl-5 text-sm" aria-label="What would be denied that is allowed today">
          {plan.wouldDeny.map((d, i) => (
            <li key={i}>{sentence(d.message)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function BlockedSources({ plan }: { plan: IsolatePlan }) {
  const title = `Sources seen in the last ${plan.window} that would be blocked`;
  const t = plan.telemetry;
  return (
    <div>
      <h3 className="text-sm font-medium">{title}</h3>
      {t.state === 'unconfigured' ? (
        <p className="text-sm text-amber-800 dark:text-amber-200">Cannot tell: no Prometheus is configured (HUBMESH_PROMETHEUS_URL).</p>
      ) : t.state === 'unavailable' ? (
        <p className="text-sm text-amber-800 dark:text-amber-200">Cannot tell: Prometheus cannot be asked: {t.message}</p>
      ) : plan.blockedSources.length === 0 ? (
        <p className={muted}>None: nothing seen in the last {plan.window} would be cut off.</p>
      ) : (
        <ul className="list-disc pl-5 text-sm" aria-label={title}>
          {plan.blockedSources.map(({ flow, allowedBefore }, i) => (
            <li key={i}>
              {flowEnd(flow.source)} <span className="text-slate-600 dark:text-slate-400">{flow.source.principal ? `as ${flow.source.principal}` : 'in plaintext'}</span> → {flowEnd(flow.destination)}: {flowAmounts(flow)}
              {allowedBefore === false ? ' (already denied today)' : allowedBefore === 'unknown' ? ' (maybe allowed today)' : ''}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function IsolateCard({ window, reload }: { window: string; reload: () => void }) {
  const [plan, setPlan] = useState<IsolatePlan>();
  const [takeover, setTakeover] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const [done, setDone] = useState<string>();
  const preview = async () => {
    setBusy(true);
    setProblem(undefined);
    setDone(undefined);
    setTakeover(false);
    try {
      setPlan(await call<IsolatePlan>(`/api/v1/mesh/isolation/isolate?window=${encodeURIComponent(window)}`));
    } catch (error) {
      setPlan(undefined);
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const apply = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const { results } = await call<IsolateResult>('/api/v1/mesh/isolation/isolate', { method: 'POST', body: JSON.stringify({ confirmTakeover: takeover }) });
      setDone(`Applied ${results.map((r) => `${r.object.metadata.namespace}/${r.object.metadata.name}`).join(', ')}. ${results.map((r) => auditText(r.audit)).join(' ')}`);
      setPlan(undefined);
      reload();
    } catch (error) {
      // a refused takeover keeps the plan, so the confirmation can be given and applied again
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="isolation-isolate" className="space-y-3 rounded border border-slate-200 p-4 dark:border-slate-800">
      <h2 id="isolation-isolate" className="text-lg font-medium">
        Isolate notebooks
      </h2>
      <p className={muted}>
        Ensures three ALLOW AuthorizationPolicies: notebooks accept only the gateway and the hub; the hub accepts the gateway, the notebooks and hubmesh; hubmesh&apos;s proxy API accepts only the hub,
        and its console only the gateway. Everything else is denied, except your exceptions. Each policy is dry-run by the apiserver first, applied with server-side apply and audited.
      </p>
      <button type="button" className={button} onClick={preview} disabled={busy}>
        Preview isolation
      </button>
      {problem && <Alert>{problem}</Alert>}
      {done && <Done>{done}</Done>}
      {plan && (
        <div className="space-y-4">
          <ul className="space-y-3" aria-label="Policies to apply">
            {plan.plans.map((p) => (
              <PlanItem key={`${p.object.namespace}/${p.object.name}`} plan={p} />
            ))}
          </ul>
          <WouldDeny plan={plan} />
          <BlockedSources plan={plan} />
          {plan.needsConfirmation && (
            <label className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={takeover} onChange={(e) => setTakeover(e.target.checked)} />
              Take over the policies another manager owns
            </label>
          )}
          <button type="button" className={primary} disabled={busy || plan.plans.some((p) => !p.dryRun.accepted)} onClick={apply}>
            Apply isolation
          </button>
        </div>
      )}
    </section>
  );
}

// ---- exceptions ----

function RemoveException({ name, onRemoved }: { name: string; onRemoved: (message: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string>();
  const remove = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const { audit } = await call<RemoveAnswer>(`/api/v1/mesh/isolation/exceptions/${encodeURIComponent(name)}`, { method: 'DELETE' });
      onRemoved(`Removed exception ${name}. ${auditText(audit)}`);
    } catch (error) {
      setProblem((error as Error).message);
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="flex flex-wrap items-center gap-2">
      {confirming ? (
        <>
          <button type="button" className={`${button} border-rose-400 text-rose-700 dark:text-rose-300`} aria-label={`Confirm removal of exception ${name}`} disabled={busy} onClick={remove}>
            Confirm removal
          </button>
          <button type="button" className={button} disabled={busy} onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button type="button" className={button} aria-label={`Remove exception ${name}`} onClick={() => setConfirming(true)}>
          Remove
        </button>
      )}
      {problem && <Alert>{problem}</Alert>}
    </div>
  );
}

function Exceptions({ data, reload }: { data: Isolation; reload: () => void }) {
  const [removed, setRemoved] = useState<string>();
  const onRemoved = (message: string) => {
    setRemoved(message);
    reload();
  };
  return (
    <section aria-labelledby="isolation-exceptions" className="space-y-3">
      <h2 id="isolation-exceptions" className="text-lg font-medium">
        Exceptions
      </h2>
      <p className={muted}>Identities you let in beyond the intended ones, each as an ALLOW policy of its own, e.g. a course&apos;s grading service into the student notebooks.</p>
      {removed && <Done>{removed}</Done>}
      {data.exceptions.length === 0 ? (
        <p className="text-sm">No exceptions: only the intended sources are let in.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Isolation exceptions</caption>
            <thead className="text-slate-600 dark:text-slate-400">
              <tr>
                <th scope="col" className="py-1 pr-3 font-medium">Name</th>
                <th scope="col" className="py-1 pr-3 font-medium">Who</th>
                <th scope="col" className="py-1 pr-3 font-medium">Into</th>
                <th scope="col" className="py-1 pr-3 font-medium">Reason</th>
                <th scope="col" className="py-1 pr-3 font-medium">Policy</th>
                <th scope="col" className="py-1 pr-3 font-medium">
                  <span className="sr-only">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.exceptions.map((e) => (
                <tr key={e.name} className="border-t border-slate-200 align-top dark:border-slate-800">
                  <th scope="row" className="py-1 pr-3 font-mono font-normal">
                    {e.name}
                  </th>
                  <td className="py-1 pr-3 font-mono">{exceptionWho(e)}</td>
                  <td className="py-1 pr-3">{exceptionInto(e)}</td>
                  <td className="py-1 pr-3">{e.reason}</td>
                  <td className="py-1 pr-3">
                    <a className="font-mono underline" href={`#${policyAnchor(e.policy)}`}>
                      {policyLabel(e.policy, data.namespace)}
                    </a>
                  </td>
                  <td className="py-1 pr-3">
                    <RemoveException name={e.name} onRemoved={onRemoved} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ExceptionForm reload={reload} />
    </section>
  );
}

type Problem = { message: string; field: ExceptionField | undefined };

function Field({ label, field, problem, children }: { label: string; field: ExceptionField; problem: Problem | undefined; children: (props: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => React.ReactNode }) {
  const id = useId();
  const mine = problem?.field === field ? problem : undefined;
  return (
    <div className="flex flex-col text-sm">
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(mine ? { 'aria-invalid': true, 'aria-describedby': `${id}-error` } : {}) })}
      {mine && (
        <p id={`${id}-error`} role="alert" className="text-xs text-rose-700 dark:text-rose-300">
          {mine.message}
        </p>
      )}
    </div>
  );
}

const SERVER_FIELDS: Record<ExceptionField, string> = { name: 'name', namespace: 'source.namespace', serviceAccount: 'source.serviceAccount', scope: 'target', user: 'user', reason: 'reason' };

function ExceptionForm({ reload }: { reload: () => void }) {
  const [draft, setDraft] = useState<ExceptionDraft>(EMPTY_EXCEPTION);
  const [answer, setAnswer] = useState<ExceptionAnswer>();
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState<string>();
  const [busy, setBusy] = useState(false);
  const edit = (change: Partial<ExceptionDraft>) => {
    setDraft({ ...draft, ...change });
    setAnswer(undefined);
    setDone(undefined);
  };
  const send = async (dryRun: boolean) => {
    setProblem(undefined);
    setDone(undefined);
    if (!draft.name.trim()) {
      setProblem({ message: 'give the exception a name: lower-case letters, digits and -', field: 'name' });
      return;
    }
    setBusy(true);
    const { url, body } = exceptionRequest(draft);
    try {
      const result = await call<ExceptionAnswer>(url, { method: 'PUT', body: JSON.stringify({ ...body, dryRun }) });
      if (result.result) {
        setDone(`Added exception ${draft.name.trim()}. ${auditText(result.result.audit)}`);
        setAnswer(undefined);
        setDraft(EMPTY_EXCEPTION);
        reload();
      } else {
        setAnswer(result);
      }
    } catch (error) {
      const refusal = error instanceof Refusal ? error : new Refusal(0, (error as Error).message);
      const field = problemField(refusal);
      setAnswer(undefined);
      setProblem({ message: field ? fieldMessage(refusal.message, refusal.field ?? SERVER_FIELDS[field]) : refusal.message, field });
    } finally {
      setBusy(false);
    }
  };
  const plan = answer?.plan;
  return (
    <form
      aria-labelledby="isolation-add-exception"
      className="max-w-3xl space-y-3 rounded border border-slate-200 p-4 dark:border-slate-800"
      onSubmit={(e) => {
        e.preventDefault();
        void send(true);
      }}
    >
      <h3 id="isolation-add-exception" className="font-medium">
        Add an exception
      </h3>
      <div className="grid gap-3 sm:grid-cols-3">
        <Field label="Name" field="name" problem={problem}>
          {(props) => <input {...props} className={inputClass} value={draft.name} placeholder="grader" onChange={(e) => edit({ name: e.target.value })} />}
        </Field>
        <Field label="Source namespace" field="namespace" problem={problem}>
          {(props) => <input {...props} className={inputClass} value={draft.namespace} onChange={(e) => edit({ namespace: e.target.value })} />}
        </Field>
        <Field label="Service account" field="serviceAccount" problem={problem}>
          {(props) => <input {...props} className={inputClass} value={draft.serviceAccount} onChange={(e) => edit({ serviceAccount: e.target.value })} />}
        </Field>
        <Field label="Target" field="scope" problem={problem}>
          {(props) => (
            <select {...props} className={inputClass} value={draft.scope} onChange={(e) => edit({ scope: e.target.value as ExceptionDraft['scope'] })}>
              {SCOPES.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {draft.scope === 'user' && (
          <Field label="User" field="user" problem={problem}>
            {(props) => <input {...props} className={inputClass} value={draft.user} onChange={(e) => edit({ user: e.target.value })} />}
          </Field>
        )}
      </div>
      <Field label="Reason" field="reason" problem={problem}>
        {(props) => <input {...props} className={inputClass} value={draft.reason} placeholder="nbgrader collects the assignments" onChange={(e) => edit({ reason: e.target.value })} />}
      </Field>
      <div className="flex gap-2">
        <button type="submit" className={button} disabled={busy}>
          Preview exception
        </button>
        <button type="button" className={primary} disabled={busy || !plan?.dryRun.accepted} onClick={() => void send(false)}>
          Add exception
        </button>
      </div>
      {problem && !problem.field && <Alert>{problem.message}</Alert>}
      {done && <Done>{done}</Done>}
      {plan && answer?.preview !== undefined && (
        <div className="space-y-2">
          <p className="text-sm">
            {plan.summary}{' '}
            {plan.dryRun.accepted ? <Badge tone="ok">dry run accepted</Badge> : null} {plan.dryRun.accepted ? 'Nothing is stored until you add it.' : null}
          </p>
          {!plan.dryRun.accepted && (
            <Alert>
              The apiserver&apos;s dry run refused it ({plan.dryRun.status} {plan.dryRun.reason}): {plan.dryRun.message}
            </Alert>
          )}
          {plan.ownership.verdict === 'takeover' && <p className="text-sm text-amber-800 dark:text-amber-200">{plan.ownership.reason}</p>}
          <ObjectChange diff={plan.diff} preview={answer.preview} summary="AuthorizationPolicy YAML" previewLabel="Exception YAML preview" />
        </div>
      )}
    </form>
  );
}

// ---- the policies ----

function Policies({ data }: { data: Isolation }) {
  return (
    <section aria-labelledby="isolation-policies" className="space-y-2">
      <h2 id="isolation-policies" className="text-lg font-medium">
        AuthorizationPolicies
      </h2>
      {data.policies.length === 0 ? (
        <p className="text-sm">None: with no ALLOW policy, every source may reach every workload.</p>
      ) : (
        <ul className="text-sm" aria-label="AuthorizationPolicies">
          {data.policies.map((p) => (
            <li key={`${p.namespace}/${p.name}`} id={policyAnchor(p)} className="scroll-mt-4 target:bg-amber-50 dark:target:bg-amber-950">
              <span className="font-mono">
                {p.namespace}/{p.name}
              </span>{' '}
              <Badge tone={p.action === 'DENY' ? 'warn' : 'muted'}>{p.action}</Badge>{' '}
              <span className="text-slate-600 dark:text-slate-400">{p.managed ? `hubmesh isolation: ${p.managed}` : 'not hubmesh’s'}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
