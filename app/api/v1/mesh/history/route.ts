import type { NextRequest } from 'next/server';
import { observed } from '@/lib/http/api';
import { historyAnswer } from '@/lib/mesh/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The hub namespace's mutual_tls share of requests over the last `span`, each point a rate over `window`. */
export const GET = observed('/api/v1/mesh/history', getRuntime, async (request: NextRequest) => Response.json(await historyAnswer(getRuntime().features.mesh, request.nextUrl.searchParams)));
