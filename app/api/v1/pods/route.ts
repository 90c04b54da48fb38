import type { NextRequest } from 'next/server';
import { freshness } from '@/lib/dashboard/api';
import { parseQuery, podQuery, queryPods } from '@/lib/dashboard/query';
import { jsonError, observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = observed('/api/v1/pods', getRuntime, async (request: NextRequest) => {
  const q = parseQuery(podQuery, request.nextUrl.searchParams);
  if (!q.ok) return jsonError(400, q.error);
  const rt = getRuntime();
  const d = rt.dashboard.dashboard();
  return Response.json({ ...freshness(rt), expectedSidecarVersion: d.expectedSidecarVersion, selector: rt.config.dashboard.notebookSelector, ...queryPods(d.pods, q.value) });
});
