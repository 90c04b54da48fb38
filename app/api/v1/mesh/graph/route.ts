import type { NextRequest } from 'next/server';
import { observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/current-runtime';
import { trafficGraphAnswer } from '@/lib/traffic/graph-api';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The hub namespace's traffic graph over `window` (default 5m), for one `user`'s notebooks when given. */
export const GET = observed('/api/v1/mesh/graph', getRuntime, async (request: NextRequest) => Response.json(await trafficGraphAnswer(getRuntime().features.mesh, request.nextUrl.searchParams)));
