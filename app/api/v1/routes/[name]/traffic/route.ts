import type { NextRequest } from 'next/server';
import { getRuntime } from '@/lib/current-runtime';
import { observed } from '@/lib/http/api';
import { routeTrafficAnswer } from '@/lib/traffic/figures-api';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** One route's traffic over `window`: requests/s, error ratios, latency, bytes, websockets, the chart and the response flags. */
export const GET = observed<{ name: string }>('/api/v1/routes/[name]/traffic', getRuntime, async (request: NextRequest, { params }) =>
  Response.json(await routeTrafficAnswer(getRuntime().features.mesh, params.name, request.nextUrl.searchParams)),
);
