import type { NextRequest } from 'next/server';
import { startHubSignIn } from '@/lib/auth/hub-signin';
import { overTls } from '@/lib/auth/session';
import { observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** "Sign in with JupyterHub": redirects to the hub's OAuth authorize endpoint. */
export const GET = observed('/login/hub', getRuntime, async (request: NextRequest) => startHubSignIn(getRuntime().features.hubSignIn, request.nextUrl.searchParams.get('next'), overTls(request)));
