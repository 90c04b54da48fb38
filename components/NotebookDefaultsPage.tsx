'use client';

import { useState } from 'react';
import type { NotebookDefaults } from '@/lib/routes/notebook-defaults';
import type { changeDefaults, defaultsAnswer } from '@/lib/routes/notebook-defaults-api';
import { ObjectChange, PreviewApplyButtons, ProblemAlert, useChange } from './ChangeFlow';
import { useApi } from './live';
import { CircuitBreakingField, RateLimitField, RetriesField } from './ResilienceFields';
import { Badge, ErrorState } from './ui';

type DefaultsAnswer = ReturnType<typeof defaultsAnswer>;
type ChangeAnswer = Awaited<ReturnType<typeof changeDefaults>>;

const URL = '/api/v1/notebook-defaults';

/** The policy for every notebook route, now and later: start-up retries, a per-user rate limit, circuit breaking. */
export function NotebookDefaultsPage() {
  const { data, error, mutate } = useApi<DefaultsAnswer>(URL);
  if (error) return <ErrorState error={error} />;
  if (!data) return <p>Loading…</p>;
  return <DefaultsEditor stored={data.defaults} answer={data} reload={() => void mutate()} />;
}

function DefaultsEditor({ stored, answer, reload }: { stored: NotebookDefaults; answer: DefaultsAnswer; reload: () => void }) {
  const [draft, setDraft] = useState<NotebookDefaults>(stored);
  const { result, problem, busy, send, forget } = useChange<ChangeAnswer>(URL, 'PUT', reload);
  const edit = (next: NotebookDefaults) => {
    setDraft(next);
    forget();
  };
  const { notebooks, ownRetries, ownRateLimit } = answer.routes;
  // with a backend that stores neither (HTTPRoutes), a route has no retries or rate limit of its own to win
  const routeSettings = !answer.unavailable.retries || !answer.unavailable.rateLimit;
  return (
    <section aria-label="Notebook defaults" className="max-w-3xl space-y-4">
      <p className="text-sm">
        Set once for every notebook route the hub adds, now and later ({notebooks} today).{' '}
        {routeSettings && (
          <>
            A route&apos;s own setting wins: {ownRetries} set their own retries, {ownRateLimit} their own rate limit.{' '}
          </>
        )}
        Now: {answer.description}.
      </p>
      {answer.error && (
        <p role="alert" className="text-sm text-rose-700 dark:text-rose-300">
          The stored defaults are malformed and read as none: {answer.error}
        </p>
      )}
      <RetriesField value={draft.retries} allowOff={false} unavailable={answer.unavailable.retries} onChange={(retries) => edit({ ...draft, retries: retries === 'off' ? undefined : retries })} />
      <RateLimitField value={draft.rateLimit} allowOff={false} unavailable={answer.unavailable.rateLimit} onChange={(rateLimit) => edit({ ...draft, rateLimit: rateLimit === 'off' ? undefined : rateLimit })} />
      <CircuitBreakingField value={draft.circuitBreaking} onChange={(circuitBreaking) => edit({ ...draft, circuitBreaking })} />
      <PreviewApplyButtons busy={busy} previewed={result?.dryRun === true} onSend={(dryRun) => void send({ defaults: draft }, dryRun)} />
      <ProblemAlert problem={problem} />
      {result && (
        <div className="space-y-2" role="status">
          <p className="text-sm">
            <Badge tone="ok">{result.dryRun ? 'dry run accepted' : 'applied'}</Badge> {result.description}.{' '}
            {result.dryRun ? 'Nothing is stored until you apply.' : `Every notebook route renders with them now (${result.routes.notebooks} ${result.routes.notebooks === 1 ? 'route' : 'routes'}).`}
            {!result.dryRun && result.audit && (result.audit.recorded ? ` Recorded as Event ${result.audit.event}.` : ` The audit Event could not be recorded: ${result.audit.error}`)}
          </p>
          <ObjectChange diff={result.diff} preview={result.preview} summary="ConfigMap after" previewLabel="Notebook defaults YAML preview" />
        </div>
      )}
    </section>
  );
}
