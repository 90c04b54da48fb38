'use client';

import { useState } from 'react';
import type { servicesAnswer } from '@/lib/dashboard/api';
import type { createPreview, previewsAnswer } from '@/lib/routes/previews-api';
import { mutateApi, useApi } from './live';
import { Badge, EmptyState, ErrorState, inputClass, TimeLeft } from './ui';

type Answer = Awaited<ReturnType<typeof previewsAnswer>>;
type Services = ReturnType<typeof servicesAnswer>;
/** What POST /api/v1/previews answers: the created preview and its share link. */
type Created = Awaited<ReturnType<typeof createPreview>> & { shareUrl: string };

const TTLS = ['30m', '2h', '8h', '1d', '3d', '7d'];

async function send(url: string, method: string, body?: unknown): Promise<unknown> {
  const r = await mutateApi(url, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((answer as { error?: string }).error ?? `HTTP ${r.status}`);
  return answer;
}

function CreateForm({ onDone }: { onDone: (message: string) => void }) {
  const services = useApi<Services>('/api/v1/services');
  const [form, setForm] = useState({ name: '', pathPrefix: '/', service: '', ttl: '2h', header: true, cookie: true, allowShadow: false });
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<typeof form>) => setForm((current) => ({ ...current, ...patch }));
  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const { name, pathPrefix, service, ttl, header, cookie, allowShadow } = form;
      const created = (await send('/api/v1/previews', 'POST', { name, pathPrefix, service, ttl, match: { header, cookie }, ...(allowShadow ? { allowShadow } : {}) })) as Created;
      onDone(`Preview ${name} created. Share link: ${created.shareUrl}`);
      set({ name: '' });
    } catch (error) {
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={create} aria-label="New preview" className="grid gap-3 rounded border border-slate-200 p-4 sm:grid-cols-3 dark:border-slate-800">
      <label className="flex flex-col text-sm">
        Name
        <input className={inputClass} required value={form.name} onChange={(e) => set({ name: e.target.value })} placeholder="feature-x" />
      </label>
      <label className="flex flex-col text-sm">
        Path prefix
        <input className={inputClass} required value={form.pathPrefix} onChange={(e) => set({ pathPrefix: e.target.value })} />
      </label>
      <label className="flex flex-col text-sm">
        Target Service
        <select className={inputClass} required value={form.service} onChange={(e) => set({ service: e.target.value })}>
          <option value="">choose…</option>
          {services.data?.services.map((s) => (
            <option key={s.name} value={s.name}>
              {s.name} ({s.ports.map((p) => p.port).join(', ')})
            </option>
          ))}
        </select>
      </label>
      <label className="flex flex-col text-sm">
        Lives for
        <select className={inputClass} value={form.ttl} onChange={(e) => set({ ttl: e.target.value })}>
          {TTLS.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </label>
      <fieldset className="flex flex-col gap-1 text-sm">
        <legend>Selected by</legend>
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={form.header} onChange={(e) => set({ header: e.target.checked })} /> header x-hubmesh-preview
        </label>
        <label className="flex items-center gap-2">
          <input type="checkbox" checked={form.cookie} onChange={(e) => set({ cookie: e.target.checked })} /> cookie hubmesh-preview (share link)
        </label>
      </fieldset>
      <label className="flex items-center gap-2 self-end text-sm">
        <input type="checkbox" checked={form.allowShadow} onChange={(e) => set({ allowShadow: e.target.checked })} /> allow shadowing /hub/api or another user&apos;s route
      </label>
      <div className="sm:col-span-3">
        <button type="submit" disabled={busy} className="rounded bg-slate-900 px-3 py-1 text-sm text-white disabled:opacity-40 dark:bg-slate-100 dark:text-slate-900">
          Create preview
        </button>
        {problem && (
          <p role="alert" className="mt-2 text-sm text-rose-700 dark:text-rose-300">
            {problem}
          </p>
        )}
      </div>
    </form>
  );
}

/** Previews: create, extend, delete, copy the share link; owner, expiry, hits and status. */
export function PreviewsPage() {
  const { data, error, mutate } = useApi<Answer>('/api/v1/previews');
  const [message, setMessage] = useState<{ tone: 'ok' | 'bad'; text: string }>();
  const act = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      setMessage({ tone: 'ok', text: done });
      await mutate();
    } catch (e) {
      setMessage({ tone: 'bad', text: (e as Error).message });
    }
  };
  return (
    <div className="space-y-6">
      <p className="text-sm text-slate-600 dark:text-slate-400">
        A preview sends requests that carry the header <code>x-hubmesh-preview: &lt;name&gt;</code> or the cookie <code>hubmesh-preview=&lt;name&gt;</code> to another Service, on the route that covers its
        path; everyone else keeps the normal route. Its share link sets the cookie in any browser. Expired previews are removed automatically.
      </p>
      <CreateForm onDone={(text) => void act(async () => undefined, text)} />
      {message && (
        <p role={message.tone === 'bad' ? 'alert' : 'status'} className={`text-sm ${message.tone === 'bad' ? 'text-rose-700 dark:text-rose-300' : 'text-emerald-700 dark:text-emerald-300'}`}>
          {message.text}
        </p>
      )}
      {error && <ErrorState error={error} />}
      {data && data.items.length === 0 && <EmptyState title="No previews">Create one above, or from CI with the admin token: POST /api/v1/previews.</EmptyState>}
      {data && data.items.length > 0 && (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Previews</caption>
            <thead className="text-slate-600 dark:text-slate-400">
              <tr>
                <th scope="col" className="py-1 pr-3 font-medium">Preview</th>
                <th scope="col" className="py-1 pr-3 font-medium">Path</th>
                <th scope="col" className="py-1 pr-3 font-medium">Service</th>
                <th scope="col" className="py-1 pr-3 font-medium">Owner</th>
                <th scope="col" className="py-1 pr-3 font-medium">Expires</th>
                <th scope="col" className="py-1 pr-3 font-medium">Hits{data.hitsWindow ? ` (${data.hitsWindow})` : ''}</th>
                <th scope="col" className="py-1 pr-3 font-medium">Status</th>
                <th scope="col" className="py-1 font-medium">Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((p) => (
                <tr key={p.name} className="border-t border-slate-200 align-top dark:border-slate-800">
                  <td className="py-1 pr-3 font-mono">{p.name}</td>
                  <td className="py-1 pr-3 font-mono">{p.pathPrefix}</td>
                  <td className="py-1 pr-3 font-mono">{p.destination.service}</td>
                  <td className="py-1 pr-3">{p.owner}</td>
                  <td className="py-1 pr-3" title={p.expiresAt}>
                    {p.expired ? 'expired' : <>in <TimeLeft iso={p.expiresAt} /></>}
                  </td>
                  <td className="py-1 pr-3 tabular-nums">{p.hits ?? '—'}</td>
                  <td className="py-1 pr-3">
                    {p.expired ? (
                      <Badge tone="warn">expired, being removed</Badge>
                    ) : p.coveredBy ? (
                      <Badge tone="warn">inactive: route {p.coveredBy} covers its path</Badge>
                    ) : (
                      <Badge tone="ok">live</Badge>
                    )}
                  </td>
                  <td className="flex flex-wrap gap-1 py-1">
                    <button type="button" className="rounded border px-2 py-0.5 dark:border-slate-700" onClick={() => void act(() => navigator.clipboard.writeText(p.shareUrl), `Copied ${p.shareUrl}`)}>
                      Copy link
                    </button>
                    <button type="button" className="rounded border px-2 py-0.5 dark:border-slate-700" onClick={() => void act(() => send(`/api/v1/previews/${p.name}`, 'PATCH', { ttl: '1d' }), `${p.name} now lives for one more day`)}>
                      Extend 1d
                    </button>
                    <button type="button" className="rounded border px-2 py-0.5 dark:border-slate-700" onClick={() => void act(() => send(`/api/v1/previews/${p.name}`, 'DELETE'), `${p.name} deleted`)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
