'use client';

import type { AuditEntry } from '@/lib/kube/events';
import { useApi } from './live';
import { Age, Badge, EmptyState, ErrorState } from './ui';

/** What hubmesh's admins changed, from the Kubernetes Events its actions record (kept for the apiserver's --event-ttl). */
export function AuditList() {
  const { data, error } = useApi<{ items: AuditEntry[] }>('/api/v1/audit');
  if (error) return <ErrorState error={error} />;
  if (!data) return <p>Loading…</p>;
  if (data.items.length === 0) return <EmptyState title="No changes recorded">Actions on the Mesh security page are recorded here as Kubernetes Events.</EmptyState>;
  return (
    <table className="w-full text-left text-sm">
      <caption className="sr-only">Audit list</caption>
      <thead className="text-slate-600 dark:text-slate-400">
        <tr>
          <th scope="col" className="py-1 pr-3 font-medium">When</th>
          <th scope="col" className="py-1 pr-3 font-medium">Who</th>
          <th scope="col" className="py-1 pr-3 font-medium">Action</th>
          <th scope="col" className="py-1 pr-3 font-medium">Object</th>
          <th scope="col" className="py-1 pr-3 font-medium">Result</th>
          <th scope="col" className="py-1 font-medium">Message</th>
        </tr>
      </thead>
      <tbody>
        {data.items.map((e, i) => (
          <tr key={i} className="border-t border-slate-200 align-top dark:border-slate-800">
            <td className="py-1 pr-3 whitespace-nowrap" title={e.when}>
              <Age iso={e.when} /> ago
            </td>
            <td className="py-1 pr-3">{e.who}</td>
            <td className="py-1 pr-3">{e.action}</td>
            <td className="py-1 pr-3 font-mono">
              {e.object.kind} {e.object.namespace ? `${e.object.namespace}/` : ''}
              {e.object.name}
            </td>
            <td className="py-1 pr-3">
              <Badge tone={e.type === 'Warning' ? 'bad' : 'ok'}>{e.result}</Badge>
            </td>
            <td className="py-1">{e.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
