import type { NextRequest } from 'next/server';
import { observed } from '@/lib/http/api';
import { isolationAnswer } from '@/lib/mesh/isolation-api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Notebook isolation: the verdict, who may reach each workload and which policy decided, identities, exceptions, traffic over `window`. */
export const GET = observed('/api/v1/mesh/isolation', getRuntime, async (request: NextRequest) => Response.json(await isolationAnswer(getRuntime().features.mesh, request.nextUrl.searchParams)));
