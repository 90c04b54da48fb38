import { PodsTable } from '@/components/PodsTable';
import { PageFrame } from '@/components/ui';
import { podsAnswer, searchParamsOf } from '@/lib/dashboard/api';
import { getRuntime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** Rendered with its first data, so the table is there at first paint; the client keeps it live. */
export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = searchParamsOf(await searchParams);
  const answer = podsAnswer(getRuntime().features.dashboard, params);
  const initial = answer.ok ? { key: `/api/v1/pods?${params.toString()}`, data: answer.value } : undefined;
  return (
    <PageFrame title="Notebook pods">
      <PodsTable initial={initial} />
    </PageFrame>
  );
}
