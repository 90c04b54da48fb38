import type { NextRequest } from 'next/server';
import { freshness } from '@/lib/dashboard/api';
import { parseQuery, queryRoutes, routeQuery } from '@/lib/dashboard/query';
import { jsonError, observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = observed('/api/v1/routes', getRuntime, async (request: NextRequest) => {
  const q = parseQuery(routeQuery, request.nextUrl.searchParams);
  if (!q.ok) return jsonError(400, q.error);
  const rt = getRuntime();
  return Response.json({ ...freshness(rt), ...queryRoutes(rt.dashboard.dashboard().routes, q.value) });
});
