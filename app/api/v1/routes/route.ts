import type { NextRequest } from 'next/server';
import { routesAnswer } from '@/lib/dashboard/api';
import { jsonError, observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = observed('/api/v1/routes', getRuntime, async (request: NextRequest) => {
  const answer = routesAnswer(getRuntime().features.dashboard, request.nextUrl.searchParams);
  return answer.ok ? Response.json(answer.value) : jsonError(400, answer.error);
});
