import { routeDetailAnswer } from '@/lib/dashboard/api';
import { observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** One route by its VirtualService name: the joined row, the route data, and the object as YAML. */
export const GET = observed<{ name: string }>('/api/v1/routes/[name]', getRuntime, async (_request, { params: { name } }) =>
  Response.json(routeDetailAnswer(getRuntime().features.dashboard, name)),
);
