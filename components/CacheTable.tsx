import type { InformerStatus } from '@/lib/kube/informer';

export type CacheRow = { kind: string; status: InformerStatus };

function describeError(status: InformerStatus): string | undefined {
  if (!status.lastError) return undefined;
  if (status.lastErrorStatus === 403) return `forbidden: hubmesh's identity lacks list/watch permission (${status.lastError})`;
  return status.lastError;
}

export function CacheTable({ rows }: { rows: CacheRow[] }) {
  return (
    <table className="w-full text-left text-sm">
      <caption className="sr-only">Watch caches</caption>
      <thead className="text-slate-500 dark:text-slate-400">
        <tr>
          <th scope="col" className="py-2 pr-4 font-medium">Kind</th>
          <th scope="col" className="py-2 pr-4 font-medium">State</th>
          <th scope="col" className="py-2 pr-4 font-medium">Objects</th>
          <th scope="col" className="py-2 pr-4 font-medium">Resource version</th>
          <th scope="col" className="py-2 font-medium">Last error</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ kind, status }) => (
          <tr key={kind} className="border-t border-slate-200 dark:border-slate-800">
            <td className="py-2 pr-4 font-medium">{kind}</td>
            <td className="py-2 pr-4">
              <span
                className={
                  status.synced
                    ? 'rounded bg-emerald-100 px-2 py-0.5 text-emerald-900 dark:bg-emerald-900 dark:text-emerald-100'
                    : 'rounded bg-rose-100 px-2 py-0.5 text-rose-900 dark:bg-rose-900 dark:text-rose-100'
                }
              >
                {status.synced ? 'synced' : 'not synced'}
              </span>
            </td>
            <td className="py-2 pr-4 tabular-nums">{status.objects}</td>
            <td className="py-2 pr-4 font-mono text-xs">{status.resourceVersion || '—'}</td>
            <td className={status.lastError ? 'py-2 text-rose-700 dark:text-rose-300' : 'py-2 text-slate-400'}>{describeError(status) ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
