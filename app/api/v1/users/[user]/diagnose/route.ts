import type { NextRequest } from 'next/server';
import { diagnoseAnswer } from '@/lib/diagnose/api';
import { observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Why a user cannot reach their server (`server`, default the default server): every hop with its evidence and fix, and a Markdown report. */
export const GET = observed<{ user: string }>('/api/v1/users/[user]/diagnose', getRuntime, async (request: NextRequest, { params: { user } }) =>
  Response.json(await diagnoseAnswer(getRuntime().features.diagnose, user, request.nextUrl.searchParams)),
);
