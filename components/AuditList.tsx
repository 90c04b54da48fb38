'use client';

import type { auditAnswer } from '@/lib/mesh/api';
import { useApi } from './live';
import { Age, Badge, EmptyState, ErrorState } from './ui';

type AuditAnswer = Awaited<ReturnType<typeof auditAnswer>>;

/** How far back the Events reach, and where older history is. */
function Reach({ oldest, logMessage }: Pick<AuditAnswer, 'oldest' | 'logMessage'>) {
  return (
    <p className="mb-2 text-sm text-slate-600 dark:text-slate-400" data-testid="audit-reach">
      {oldest ? (
        <>
          Events reach back to <span title={oldest}>{oldest}</span> (<Age iso={oldest} /> ago).
        </>
      ) : (
        'No Events are recorded.'
      )}{' '}
      Kubernetes keeps them for the apiserver&apos;s <code>--event-ttl</code> (one hour by default). Every change is also one line in hubmesh&apos;s
      logs, with the message <code>{logMessage}</code>: search the cluster&apos;s log pipeline for it to see older history.
    </p>
  );
}

/** What hubmesh's admins changed, from the Kubernetes Events its changes record (kept for the apiserver's --event-ttl). */
export function AuditList() {
  const { data, error } = useApi<AuditAnswer>('/api/v1/audit');
  if (error) return <ErrorState error={error} />;
  if (!data) return <p>Loading…</p>;
  if (data.items.length === 0)
    return (
      <>
        <Reach oldest={data.oldest} logMessage={data.logMessage} />
        <EmptyState title="No changes recorded">Actions on the Mesh security page, overlays and previews are recorded here as Kubernetes Events.</EmptyState>
      </>
    );
  return (
    <>
      <Reach oldest={data.oldest} logMessage={data.logMessage} />
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
    </>
  );
}
