'use client';

import { useState } from 'react';
import type { DiffHunk } from '@/lib/kube/object-diff';
import { Diff } from './Diff';
import { mutateApi } from './live';

/**
 * The console's preview-then-apply flow for one editor: `send(body, true)` is the dry run, `send(body, false)`
 * applies; Apply is only offered after a dry run of the same draft. `forget` drops the last answer (an
 * edit makes it stale).
 */
export function useChange<Answer extends { dryRun: boolean }>(url: string, method: 'PUT' | 'PATCH', onApplied: (answer: Answer) => void) {
  const [result, setResult] = useState<Answer>();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const forget = () => {
    setResult(undefined);
    setProblem(undefined);
  };
  const send = async (body: Record<string, unknown>, dryRun: boolean) => {
    setBusy(true);
    setProblem(undefined);
    try {
      const response = await mutateApi(url, { method, body: JSON.stringify({ ...body, dryRun }) });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.error ?? `HTTP ${response.status}`);
      setResult(answer);
      if (!dryRun) onApplied(answer);
    } catch (error) {
      setResult(undefined);
      setProblem((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { result, problem, busy, send, forget };
}

export function PreviewApplyButtons({ busy, previewed, onSend }: { busy: boolean; previewed: boolean; onSend: (dryRun: boolean) => void }) {
  return (
    <div className="flex gap-2">
      <button type="button" className="rounded border px-3 py-1 text-sm dark:border-slate-700" disabled={busy} onClick={() => onSend(true)}>
        Preview
      </button>
      <button
        type="button"
        className="rounded bg-slate-900 px-3 py-1 text-sm text-white disabled:opacity-40 dark:bg-slate-100 dark:text-slate-900"
        disabled={busy || !previewed}
        onClick={() => onSend(false)}
      >
        Apply
      </button>
    </div>
  );
}

export function ProblemAlert({ problem }: { problem: string | undefined }) {
  if (!problem) return null;
  return (
    <p role="alert" className="text-sm text-rose-700 dark:text-rose-300">
      {problem}
    </p>
  );
}

/** One object's change: its diff, and the whole object after the change, folded. */
export function ObjectChange({ diff, preview, summary, previewLabel }: { diff: DiffHunk[]; preview: string; summary: string; previewLabel: string }) {
  return (
    <>
      <Diff hunks={diff} />
      <details>
        <summary className="cursor-pointer text-sm font-medium">{summary}</summary>
        <pre aria-label={previewLabel} className="overflow-x-auto rounded bg-slate-100 p-3 text-xs dark:bg-slate-800">
          {preview}
        </pre>
      </details>
    </>
  );
}
