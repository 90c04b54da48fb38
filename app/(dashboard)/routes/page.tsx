import { RoutesTable } from '@/components/RoutesTable';
import { PageFrame } from '@/components/ui';
import { unlessRefused } from '@/lib/api-error';
import { routesAnswer, searchParamsOf } from '@/lib/dashboard/api';
import { getRuntime } from '@/lib/current-runtime';
import { routeKindOfApi } from '@/lib/routes/route-objects';

export const dynamic = 'force-dynamic';

/** Rendered with its first data, so the table is there at first paint; the client keeps it live. */
export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = searchParamsOf(await searchParams);
  // parameters the answer refuses: the page renders without first data, and the table shows the API's error
  const dashboard = getRuntime().features.dashboard;
  const initial = unlessRefused(() => ({ key: `/api/v1/routes?${params.toString()}`, data: routesAnswer(dashboard, params) }));
  return (
    <PageFrame title="Routes">
      <RoutesTable initial={initial} kind={routeKindOfApi(dashboard.routeApi)} />
    </PageFrame>
  );
}
