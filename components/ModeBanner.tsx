export type ModeSummary =
  | { mode: 'cluster'; server: string; context: string; namespace: string }
  | { mode: 'local'; dataDir: string; namespace: string };

/** Says plainly which backend hubmesh is using, so nobody mistakes local mode for a cluster. */
export function ModeBanner({ summary }: { summary: ModeSummary }) {
  if (summary.mode === 'local') {
    return (
      <div role="status" className="border-b border-amber-300 bg-amber-50 px-6 py-2 text-sm text-amber-900 dark:border-amber-700 dark:bg-amber-950 dark:text-amber-100">
        <strong>Local mode</strong>: no cluster configured; routes are kept in the embedded store at <code>{summary.dataDir}</code>.
        Set <code>KUBECONFIG</code> to use a cluster.
      </div>
    );
  }
  return (
    <div role="status" className="border-b border-emerald-300 bg-emerald-50 px-6 py-2 text-sm text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100">
      <strong>Cluster mode</strong>: <code>{summary.server}</code> (context <code>{summary.context}</code>, namespace <code>{summary.namespace}</code>)
    </div>
  );
}
