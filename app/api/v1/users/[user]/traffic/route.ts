import type { NextRequest } from 'next/server';
import { getRuntime } from '@/lib/current-runtime';
import { observed } from '@/lib/http/api';
import { userTrafficAnswer } from '@/lib/traffic/figures-api';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** A user's traffic over `window`, all servers summed or one (`server`), with each server's figures. */
export const GET = observed<{ user: string }>('/api/v1/users/[user]/traffic', getRuntime, async (request: NextRequest, { params }) =>
  Response.json(await userTrafficAnswer(getRuntime().features.mesh, params.user, request.nextUrl.searchParams)),
);
