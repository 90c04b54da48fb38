import type { NextRequest } from 'next/server';
import { observed } from '@/lib/http/api';
import { meshStatusAnswer } from '@/lib/mesh/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** mTLS compliance of the hub namespace: verdict, configuration (namespace and mesh), traffic over `window`, pods, injection. */
export const GET = observed('/api/v1/mesh', getRuntime, async (request: NextRequest) => Response.json(await meshStatusAnswer(getRuntime().features.mesh, request.nextUrl.searchParams)));
