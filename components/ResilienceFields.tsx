'use client';

import type { CircuitBreaking } from '@/lib/routes/circuit-breaking';
import type { Fault, RateLimit, Retries } from '@/lib/routes/overlays';
import { FAULT_HEADER, STARTUP_RETRIES, STARTUP_RETRY_ON } from '@/lib/routes/overlay-sections/presets';
import { inputClass } from './ui';

/**
 * The resilience settings of a route (and of the notebook defaults) as form fields. Each says in plain words
 * what it does; a section the route leaves unset shows what it inherits, and "off" overrides that.
 */

const fieldset = 'space-y-2 rounded border border-slate-200 p-3 dark:border-slate-800';
const hint = 'text-xs text-slate-600 dark:text-slate-400';

/**
 * A setting the route backend cannot store (`reason`, from the API: "is not available with the httproute backend
 * ...: why"), shown instead of its fields. One stored before the backend changed is not in force, and can be removed.
 */
function NotAvailable({ name, legend, reason, stored, onRemove }: { name: string; legend: string; reason: string; stored: boolean; onRemove: () => void }) {
  return (
    <fieldset className={fieldset} aria-label={name} disabled={!stored}>
      <legend className="px-1 text-sm font-medium text-slate-500 dark:text-slate-400">{legend}</legend>
      <p className="text-sm" role="note">
        {name} {reason}.
      </p>
      {stored && (
        <p className="text-sm">
          A setting stored before is kept but not in force.{' '}
          <button type="button" className="underline" onClick={onRemove}>
            Remove it
          </button>
        </p>
      )}
    </fieldset>
  );
}

type Mode = 'unset' | 'off' | 'on';
const modeOf = <T,>(value: T | 'off' | undefined): Mode => (value === undefined ? 'unset' : value === 'off' ? 'off' : 'on');

function ModeSelect({ label, mode, onChange, unsetLabel }: { label: string; mode: Mode; onChange: (m: Mode) => void; unsetLabel: string }) {
  return (
    <label className="flex flex-col text-sm">
      {label}
      <select className={inputClass} value={mode} onChange={(e) => onChange(e.target.value as Mode)}>
        <option value="unset">{unsetLabel}</option>
        <option value="off">off</option>
        <option value="on">on</option>
      </select>
    </label>
  );
}

/** `unavailable`: why the route backend cannot store retries, when it cannot. */
export function RetriesField({ value, onChange, inherited, allowOff = true, unavailable }: { value: Retries | undefined; onChange: (v: Retries | undefined) => void; inherited?: Retries; allowOff?: boolean; unavailable?: string }) {
  if (unavailable) return <NotAvailable name="Retries" legend="Retries" reason={unavailable} stored={value !== undefined} onRemove={() => onChange(undefined)} />;
  const mode = modeOf(value);
  const policy = value !== undefined && value !== 'off' ? value : undefined;
  return (
    <fieldset className={fieldset} aria-label="Retries">
      <legend className="px-1 text-sm font-medium">Retries</legend>
      {allowOff ? (
        <ModeSelect label="Retries on this route" mode={mode} unsetLabel={inherited ? 'notebook defaults' : "Istio's default (2 attempts)"} onChange={(m) => onChange(m === 'unset' ? undefined : m === 'off' ? 'off' : { ...STARTUP_RETRIES })} />
      ) : (
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={policy !== undefined} onChange={(e) => onChange(e.target.checked ? { ...STARTUP_RETRIES } : undefined)} />
          Retries for every notebook
        </label>
      )}
      {policy && (
        <>
          <button type="button" className="rounded border px-2 py-1 text-xs dark:border-slate-700" onClick={() => onChange({ ...STARTUP_RETRIES })}>
            Use the start-up preset
          </button>
          <div className="grid gap-2 sm:grid-cols-3">
            <label className="flex flex-col text-sm">
              Attempts
              <input className={inputClass} type="number" min={1} max={10} value={policy.attempts} onChange={(e) => onChange({ ...policy, attempts: Number(e.target.value) })} />
            </label>
            <label className="flex flex-col text-sm sm:col-span-2">
              Retry on
              <input className={inputClass} value={policy.retryOn} onChange={(e) => onChange({ ...policy, retryOn: e.target.value })} />
            </label>
            <label className="flex flex-col text-sm">
              Per-try timeout
              <input className={inputClass} placeholder="none" value={policy.perTryTimeout ?? ''} onChange={(e) => onChange({ ...policy, perTryTimeout: e.target.value || undefined })} />
            </label>
          </div>
        </>
      )}
      <p className={hint}>
        {policy
          ? `The gateway tries a request up to ${policy.attempts} more ${policy.attempts === 1 ? 'time' : 'times'} when ${policy.retryOn === STARTUP_RETRY_ON ? 'a new notebook is not ready yet (the connection fails, is refused or reset: the 503 UF,URX of a start-up)' : `one of ${policy.retryOn} happens`}.`
          : mode === 'off'
            ? 'No retries at all on this route, not even Istio’s default.'
            : inherited
              ? `From the notebook defaults: up to ${inherited === 'off' ? 0 : inherited.attempts} retries.`
              : 'Istio’s default: 2 retries when the connection fails or is refused.'}
      </p>
    </fieldset>
  );
}

export function TimeoutField({ value, onChange, websockets }: { value: string | undefined; onChange: (v: string | undefined) => void; websockets: boolean }) {
  const mode = modeOf(value);
  return (
    <fieldset className={fieldset} aria-label="Timeout">
      <legend className="px-1 text-sm font-medium">Timeout</legend>
      <ModeSelect label="Timeout on this route" mode={mode} unsetLabel="none (HUBMESH_ROUTE_TIMEOUT)" onChange={(m) => onChange(m === 'unset' ? undefined : m === 'off' ? 'off' : '60s')} />
      {mode === 'on' && (
        <label className="flex flex-col text-sm">
          The most a request may take, retries included
          <input className={inputClass} value={value} onChange={(e) => onChange(e.target.value)} />
        </label>
      )}
      <p className={hint}>
        {mode === 'on' ? `Requests that take longer than ${value} get 504.` : 'No timeout: kernels, terminals and long requests run as long as they need.'}
        {mode === 'on' && websockets && <strong role="alert"> This route carries websockets (kernels, terminals): a timeout cuts any of them that lasts longer.</strong>}
      </p>
    </fieldset>
  );
}

/** A fault as the editor holds it: a new one has a ttl instead of the expiry the API gives it. */
export type FaultDraft = Omit<Fault, 'expiresAt'> & { expiresAt?: string; ttl?: string };

export function FaultField({
  value,
  onChange,
  confirmed,
  onConfirm,
  unavailable,
}: {
  value: FaultDraft | undefined;
  onChange: (v: FaultDraft | undefined) => void;
  confirmed: boolean;
  onConfirm: (c: boolean) => void;
  unavailable?: string;
}) {
  if (unavailable) return <NotAvailable name="Fault injection" legend="Fault injection" reason={unavailable} stored={value !== undefined} onRemove={() => onChange(undefined)} />;
  const scoped = value && value.scope !== 'everyone' ? value.scope : undefined;
  const scopeHeader = scoped && 'header' in scoped ? scoped.header : FAULT_HEADER;
  const scopeValue = scoped ? ('cookie' in scoped ? scoped.value : 'exact' in scoped ? scoped.exact : scoped.regex) : 'demo';
  return (
    <fieldset className={fieldset} aria-label="Fault injection">
      <legend className="px-1 text-sm font-medium">Fault injection</legend>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={value !== undefined}
          onChange={(e) => onChange(e.target.checked ? { abort: { percent: 50, httpStatus: 503 }, scope: { header: FAULT_HEADER, exact: 'demo' }, ttl: '30m' } : undefined)}
        />
        Fault on
      </label>
      {value && (
        <div className="grid gap-2 sm:grid-cols-2">
          <label className="flex flex-col text-sm">
            Abort (% of requests)
            <input className={inputClass} type="number" min={0} max={100} value={value.abort?.percent ?? 0} onChange={(e) => onChange({ ...value, abort: Number(e.target.value) ? { percent: Number(e.target.value), httpStatus: value.abort?.httpStatus ?? 503 } : undefined })} />
          </label>
          <label className="flex flex-col text-sm">
            Abort status
            <input className={inputClass} type="number" min={200} max={599} value={value.abort?.httpStatus ?? 503} onChange={(e) => value.abort && onChange({ ...value, abort: { ...value.abort, httpStatus: Number(e.target.value) } })} />
          </label>
          <label className="flex flex-col text-sm">
            Delay (% of requests)
            <input className={inputClass} type="number" min={0} max={100} value={value.delay?.percent ?? 0} onChange={(e) => onChange({ ...value, delay: Number(e.target.value) ? { percent: Number(e.target.value), fixedDelay: value.delay?.fixedDelay ?? '2s' } : undefined })} />
          </label>
          <label className="flex flex-col text-sm">
            Delay by
            <input className={inputClass} value={value.delay?.fixedDelay ?? '2s'} onChange={(e) => value.delay && onChange({ ...value, delay: { ...value.delay, fixedDelay: e.target.value } })} />
          </label>
          <label className="flex flex-col text-sm">
            Who
            <select className={inputClass} value={scoped ? 'header' : 'everyone'} onChange={(e) => onChange({ ...value, scope: e.target.value === 'everyone' ? 'everyone' : { header: FAULT_HEADER, exact: 'demo' } })}>
              <option value="header">requests with a header</option>
              <option value="everyone">every request (real users too)</option>
            </select>
          </label>
          {scoped && (
            <>
              <label className="flex flex-col text-sm">
                Header
                <input className={inputClass} value={scopeHeader} onChange={(e) => onChange({ ...value, scope: { header: e.target.value, exact: scopeValue } })} />
              </label>
              <label className="flex flex-col text-sm">
                Header value
                <input className={inputClass} value={scopeValue} onChange={(e) => onChange({ ...value, scope: { header: scopeHeader, exact: e.target.value } })} />
              </label>
            </>
          )}
          {value.expiresAt && !value.ttl ? (
            <p className="text-sm">
              Expires at {value.expiresAt}.{' '}
              <button type="button" className="underline" onClick={() => onChange({ ...value, expiresAt: undefined, ttl: '30m' })}>
                Renew
              </button>
            </p>
          ) : (
            <label className="flex flex-col text-sm">
              Time to live (then the janitor removes it)
              <input className={inputClass} value={value.ttl ?? ''} onChange={(e) => onChange({ ...value, ttl: e.target.value })} />
            </label>
          )}
          {value.scope === 'everyone' && (
            <label className="flex items-center gap-2 text-sm text-rose-700 sm:col-span-2 dark:text-rose-300">
              <input type="checkbox" checked={confirmed} onChange={(e) => onConfirm(e.target.checked)} />I confirm: this fault hits every user of the route
            </label>
          )}
        </div>
      )}
      <p className={hint}>
        {value
          ? `${[value.abort && `${value.abort.percent}% of requests get ${value.abort.httpStatus}`, value.delay && `${value.delay.percent}% wait ${value.delay.fixedDelay}`].filter(Boolean).join(' and ') || 'Nothing yet'}, for ${scoped ? `requests with ${scopeHeader}: ${scopeValue} only` : 'every request'}.`
          : 'Delays or aborts a share of requests, for demos and tests; scoped to a header by default so real users are never hit by accident.'}
      </p>
    </fieldset>
  );
}

export function RateLimitField({
  value,
  onChange,
  inherited,
  allowOff = true,
  unavailable,
}: {
  value: RateLimit | undefined;
  onChange: (v: RateLimit | undefined) => void;
  inherited?: RateLimit;
  allowOff?: boolean;
  unavailable?: string;
}) {
  if (unavailable) return <NotAvailable name="Rate limit" legend="Rate limit at the gateway" reason={unavailable} stored={value !== undefined} onRemove={() => onChange(undefined)} />;
  const mode = modeOf(value);
  const policy = value !== undefined && value !== 'off' ? value : undefined;
  return (
    <fieldset className={fieldset} aria-label="Rate limit">
      <legend className="px-1 text-sm font-medium">Rate limit at the gateway</legend>
      {allowOff ? (
        <ModeSelect label="Rate limit on this route" mode={mode} unsetLabel={inherited ? 'notebook defaults' : 'none'} onChange={(m) => onChange(m === 'unset' ? undefined : m === 'off' ? 'off' : { requests: 100, per: 'minute' })} />
      ) : (
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={policy !== undefined} onChange={(e) => onChange(e.target.checked ? { requests: 100, per: 'minute' } : undefined)} />
          A rate limit for each notebook
        </label>
      )}
      {policy && (
        <div className="grid gap-2 sm:grid-cols-3">
          <label className="flex flex-col text-sm">
            Requests
            <input className={inputClass} type="number" min={1} value={policy.requests} onChange={(e) => onChange({ ...policy, requests: Number(e.target.value) })} />
          </label>
          <label className="flex flex-col text-sm">
            Per
            <select className={inputClass} value={policy.per} onChange={(e) => onChange({ ...policy, per: e.target.value as typeof policy.per })}>
              <option value="second">second</option>
              <option value="minute">minute</option>
              <option value="hour">hour</option>
            </select>
          </label>
          <label className="flex flex-col text-sm">
            Burst
            <input className={inputClass} type="number" min={1} placeholder={String(policy.requests)} value={policy.burst ?? ''} onChange={(e) => onChange({ ...policy, burst: e.target.value ? Number(e.target.value) : undefined })} />
          </label>
        </div>
      )}
      <p className={hint}>
        {policy
          ? `Each gateway replica lets ${policy.requests} requests per ${policy.per} through (up to ${policy.burst ?? policy.requests} at once after a quiet spell); the rest get 429 with a JSON body that names this limit.`
          : mode === 'off'
            ? 'No limit on this route, whatever the notebook defaults say.'
            : inherited && inherited !== 'off'
              ? `From the notebook defaults: ${inherited.requests} per ${inherited.per}.`
              : 'No limit.'}
      </p>
    </fieldset>
  );
}

/** Circuit breaking as the notebook defaults set it: limits per notebook Service, and outlier detection. */
export function CircuitBreakingField({ value, onChange }: { value: CircuitBreaking | undefined; onChange: (v: CircuitBreaking | undefined) => void }) {
  const pool = value?.connectionPool ?? {};
  const outlier = value?.outlierDetection;
  const number = (text: string) => (text ? Number(text) : undefined);
  return (
    <fieldset className={fieldset} aria-label="Circuit breaking">
      <legend className="px-1 text-sm font-medium">Circuit breaking (a DestinationRule per notebook Service)</legend>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={value !== undefined}
          onChange={(e) =>
            onChange(e.target.checked ? { connectionPool: { http1MaxPendingRequests: 100, http2MaxRequests: 1000 }, outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100 } } : undefined)
          }
        />
        Circuit breaking for every notebook
      </label>
      {value && (
        <div className="grid gap-2 sm:grid-cols-2">
          <label className="flex flex-col text-sm">
            Queued requests at most
            <input className={inputClass} type="number" min={1} value={pool.http1MaxPendingRequests ?? ''} onChange={(e) => onChange({ ...value, connectionPool: { ...pool, http1MaxPendingRequests: number(e.target.value) } })} />
          </label>
          <label className="flex flex-col text-sm">
            Requests at once at most
            <input className={inputClass} type="number" min={1} value={pool.http2MaxRequests ?? ''} onChange={(e) => onChange({ ...value, connectionPool: { ...pool, http2MaxRequests: number(e.target.value) } })} />
          </label>
          <label className="flex flex-col text-sm">
            Out after this many 5xx in a row
            <input
              className={inputClass}
              type="number"
              min={1}
              value={outlier?.consecutive5xxErrors ?? ''}
              onChange={(e) => onChange({ ...value, outlierDetection: { interval: '10s', baseEjectionTime: '30s', maxEjectionPercent: 100, ...outlier, consecutive5xxErrors: number(e.target.value) } })}
            />
          </label>
          <label className="flex flex-col text-sm">
            Out for
            <input className={inputClass} value={outlier?.baseEjectionTime ?? '30s'} onChange={(e) => outlier && onChange({ ...value, outlierDetection: { ...outlier, baseEjectionTime: e.target.value } })} />
          </label>
        </div>
      )}
      <p className={hint}>
        {value
          ? `Beyond the limits the gateway answers 503 at once instead of piling requests on a busy notebook; a notebook that keeps answering 5xx is left out for ${outlier?.baseEjectionTime ?? '30s'}.`
          : 'Istio’s defaults: no limits that trip, no outlier detection.'}
      </p>
    </fieldset>
  );
}
