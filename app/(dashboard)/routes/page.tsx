import { RoutesTable } from '@/components/RoutesTable';
import { PageFrame } from '@/components/ui';
import { routesAnswer, searchParamsOf } from '@/lib/dashboard/api';
import { getRuntime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

/** Rendered with its first data, so the table is there at first paint; the client keeps it live. */
export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = searchParamsOf(await searchParams);
  const answer = routesAnswer(getRuntime().features.dashboard, params);
  const initial = answer.ok ? { key: `/api/v1/routes?${params.toString()}`, data: answer.value } : undefined;
  return (
    <PageFrame title="Routes">
      <RoutesTable initial={initial} />
    </PageFrame>
  );
}
