import type { NextRequest } from 'next/server';
import { getRuntime } from '@/lib/current-runtime';
import { observed } from '@/lib/http/api';
import { sparklinesAnswer } from '@/lib/traffic/figures-api';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Requests/s and 5xx ratio sparklines for up to 100 routes or users (`kind`, comma-separated `names`), in two queries. */
export const GET = observed('/api/v1/traffic/sparklines', getRuntime, async (request: NextRequest) =>
  Response.json(await sparklinesAnswer(getRuntime().features.mesh, request.nextUrl.searchParams)),
);
