import { UsersTable } from '@/components/UsersTable';
import { PageFrame } from '@/components/ui';
import { unlessRefused } from '@/lib/api-error';
import { usersAnswer, searchParamsOf } from '@/lib/dashboard/api';
import { getRuntime } from '@/lib/current-runtime';

export const dynamic = 'force-dynamic';

/** Rendered with its first data, so the table is there at first paint; the client keeps it live. */
export default async function Page({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = searchParamsOf(await searchParams);
  // parameters the answer refuses: the page renders without first data, and the table shows the API's error
  const initial = unlessRefused(() => ({ key: `/api/v1/users?${params.toString()}`, data: usersAnswer(getRuntime().features.dashboard, params) }));
  return (
    <PageFrame title="Users">
      <UsersTable initial={initial} />
    </PageFrame>
  );
}
