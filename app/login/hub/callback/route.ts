import type { NextRequest } from 'next/server';
import { OAUTH_NONCE_COOKIE } from '@/lib/auth/hub-oauth';
import { finishHubSignIn } from '@/lib/auth/hub-signin';
import { overTls } from '@/lib/auth/session';
import { observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/current-runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The OAuth redirect URI registered with the hub (oauth_redirect_uri). */
export const GET = observed('/login/hub/callback', getRuntime, async (request: NextRequest) =>
  finishHubSignIn(getRuntime().features.hubSignIn, request.nextUrl.searchParams, request.cookies.get(OAUTH_NONCE_COOKIE)?.value, overTls(request)),
);
