import type { NextRequest } from 'next/server';
import { usersAnswer } from '@/lib/dashboard/api';
import { observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = observed('/api/v1/users', getRuntime, async (request: NextRequest) => Response.json(usersAnswer(getRuntime().features.dashboard, request.nextUrl.searchParams)));
