import type { NextRequest } from 'next/server';
import { probeAnswer } from '@/lib/diagnose/api';
import { observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** One request through the gateway for the user's server (`server`): the status, the x-hubmesh-route it saw, and the time. */
export const POST = observed<{ user: string }>('/api/v1/users/[user]/probe', getRuntime, async (request: NextRequest, { params: { user } }) => {
  const { status, result } = await probeAnswer(getRuntime().features.diagnose, user, request.nextUrl.searchParams);
  return Response.json(result, { status });
});
