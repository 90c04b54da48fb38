'use client';

import { Suspense, useEffect, useRef } from 'react';
import { useNow } from './clock';
import { useLive } from './live';

export function Badge({ tone, children, title }: { tone: 'ok' | 'warn' | 'bad' | 'muted'; children: React.ReactNode; title?: string }) {
  const tones = {
    ok: 'bg-emerald-100 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100',
    warn: 'bg-amber-100 text-amber-900 dark:bg-amber-900 dark:text-amber-100',
    bad: 'bg-rose-100 text-rose-900 dark:bg-rose-900 dark:text-rose-100',
    muted: 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
  };
  return (
    <span title={title} className={`inline-block whitespace-nowrap rounded px-1.5 py-0.5 text-xs font-medium ${tones[tone]}`}>
      {children}
    </span>
  );
}

/** Live / reconnecting / stale: data is never shown as fresh when it is not. */
export function LiveIndicator() {
  const live = useLive();
  const [tone, text] =
    live.connection !== 'live'
      ? (['warn', live.connection === 'connecting' ? 'connecting…' : 'reconnecting… (data may be stale)'] as const)
      : live.synced
        ? (['ok', 'live'] as const)
        : (['bad', 'cluster unreachable: data may be stale'] as const);
  return (
    <span role="status" aria-live="polite" data-testid="live-state" data-state={live.connection === 'live' && live.synced ? 'live' : 'stale'}>
      <Badge tone={tone}>{text}</Badge>
    </span>
  );
}

export function UnreachableBanner() {
  const live = useLive();
  if (live.connection !== 'live' || live.synced) return null;
  return (
    <div role="alert" className="border-b border-rose-300 bg-rose-50 px-6 py-2 text-sm text-rose-900 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-100">
      The Kubernetes API cannot be reached or is refusing hubmesh; what you see may be out of date. hubmesh keeps retrying.
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="rounded border border-dashed border-slate-300 p-8 text-center dark:border-slate-700">
      <p className="font-medium">{title}</p>
      {children && <div className="mt-2 text-sm text-slate-600 dark:text-slate-400">{children}</div>}
    </div>
  );
}

export function ErrorState({ error }: { error: { status?: number; message: string } }) {
  const forbidden = error.status === 503 && /not allowed|forbidden/i.test(error.message);
  return (
    <div role="alert" className="rounded border border-rose-300 bg-rose-50 p-4 text-sm text-rose-900 dark:border-rose-800 dark:bg-rose-950 dark:text-rose-100">
      {forbidden ? 'Missing Kubernetes permission: ' : 'Could not load: '}
      {error.message}
    </div>
  );
}

export function Pager({ page, pageSize, total, onPage }: { page: number; pageSize: number; total: number; onPage: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return (
    <nav aria-label="Pages" className="mt-3 flex items-center gap-3 text-sm">
      <button type="button" className="rounded border px-2 py-1 disabled:opacity-40 dark:border-slate-700" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        Previous
      </button>
      <span>
        Page {page} of {pages} · {total} {total === 1 ? 'row' : 'rows'}
      </span>
      <button type="button" className="rounded border px-2 py-1 disabled:opacity-40 dark:border-slate-700" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        Next
      </button>
    </nav>
  );
}

export type SortState<K extends string> = { sort: K; order: 'asc' | 'desc' };

/** A column header that sorts its table; announces the order to screen readers. */
export function SortHeader<K extends string>({ label, column, state, onSort }: { label: string; column: K; state: SortState<K>; onSort: (s: SortState<K>) => void }) {
  const active = state.sort === column;
  return (
    <th scope="col" aria-sort={active ? (state.order === 'asc' ? 'ascending' : 'descending') : 'none'} className="py-2 pr-3 font-medium">
      <button type="button" className="hover:underline" onClick={() => onSort({ sort: column, order: active && state.order === 'asc' ? 'desc' : 'asc' })}>
        {label}
        {active ? (state.order === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
}

export function Drawer({ open, title, onClose, children }: { open: boolean; title: string; onClose: () => void; children: React.ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-label={title}
      onClose={onClose}
      className="fixed inset-y-0 right-0 left-auto m-0 h-full max-h-none w-full max-w-2xl overflow-y-auto bg-white p-6 text-slate-900 shadow-xl backdrop:bg-black/40 dark:bg-slate-900 dark:text-slate-100"
    >
      <div className="flex items-start justify-between gap-4">
        <h2 className="text-lg font-semibold break-all">{title}</h2>
        <button type="button" className="rounded border px-2 py-1 text-sm dark:border-slate-700" onClick={onClose}>
          Close
        </button>
      </div>
      <div className="mt-4">{children}</div>
    </dialog>
  );
}

/** A short duration: 45s, 12m, 5h, 3d (never negative). */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** How long ago `iso` was, by the shared clock, so the server and the hydrating browser render the same text. */
export function Age({ iso }: { iso: string | undefined }) {
  const now = useNow();
  return iso ? duration(now - Date.parse(iso)) : '—';
}

/** How long until `iso`, by the shared clock. */
export function TimeLeft({ iso }: { iso: string }) {
  const now = useNow();
  return duration(Date.parse(iso) - now);
}

export const inputClass = 'rounded border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900';

export function SearchField({ value, onChange, placeholder }: { value: string; onChange: (v: string) => void; placeholder: string }) {
  return (
    <label className="flex flex-col text-sm">
      Search
      <input type="search" className={`${inputClass} w-72`} placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}

/** A page's title over content that reads the URL (useSearchParams needs a Suspense boundary). */
export function PageFrame({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div>
      <h1 className="mb-4 text-2xl font-semibold tracking-tight">{title}</h1>
      <Suspense>{children}</Suspense>
    </div>
  );
}

/** The part of a table page below its filters: an error, an empty state, or the table and its pager. */
export function Results({
  page,
  error,
  empty,
  onPage,
  children,
}: {
  page: { total: number; page: number; pageSize: number } | undefined;
  error: { status?: number; message: string } | undefined;
  empty: React.ReactNode;
  onPage: (page: number) => void;
  children: React.ReactNode;
}) {
  return (
    <>
      {error && <ErrorState error={error} />}
      {page && page.total === 0 ? <div className="mt-4">{empty}</div> : <div className="mt-4 overflow-x-auto">{children}</div>}
      {page && page.total > 0 && <Pager page={page.page} pageSize={page.pageSize} total={page.total} onPage={onPage} />}
    </>
  );
}

/** Labelled values as a two-column description list; extra props (aria-label, data-*) go on the list. */
export function Facts({ rows, className = 'text-sm', ...props }: { rows: ReadonlyArray<readonly [string, React.ReactNode]>; className?: string } & React.HTMLAttributes<HTMLDListElement> & Record<`data-${string}`, string | number>) {
  return (
    <dl className={`grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 ${className}`} {...props}>
      {rows.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="text-slate-600 dark:text-slate-400">{label}</dt>
          <dd className="min-w-0 [overflow-wrap:anywhere]">{value}</dd>
        </div>
      ))}
    </dl>
  );
}
