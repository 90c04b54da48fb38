'use client';

import type { DiffHunk } from '@/lib/kube/object-diff';

/** A unified diff of YAML, added lines green and removed lines red. */
export function Diff({ hunks }: { hunks: DiffHunk[] }) {
  if (hunks.length === 0) return <p className="text-sm">No change: the cluster already holds this.</p>;
  return (
    <pre aria-label="Diff" className="overflow-x-auto rounded bg-slate-100 p-3 text-xs dark:bg-slate-800">
      {hunks.map((h, i) => (
        <span key={i}>
          <span className="text-slate-500">{`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@\n`}</span>
          {h.lines.map((l, j) => (
            <span key={j} className={l.op === 'add' ? 'text-emerald-700 dark:text-emerald-300' : l.op === 'remove' ? 'text-rose-700 dark:text-rose-300' : ''}>
              {`${l.op === 'add' ? '+' : l.op === 'remove' ? '-' : ' '}${l.text}\n`}
            </span>
          ))}
        </span>
      ))}
    </pre>
  );
}
