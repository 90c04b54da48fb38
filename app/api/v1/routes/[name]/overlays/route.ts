import type { NextRequest } from 'next/server';
import { callerOf } from '@/lib/auth/actor';
import { observed, readJsonBody } from '@/lib/http/api';
import { changeOverlays, overlaysAnswer, parseOverlayChange } from '@/lib/routes/overlays-api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const nameOf = (request: NextRequest) => decodeURIComponent(request.nextUrl.pathname.split('/').at(-2) ?? '');

/** A route's canary and selective rules, and the Services they may route to. */
export const GET = observed('/api/v1/routes/[name]/overlays', getRuntime, async (request: NextRequest) => Response.json(overlaysAnswer(getRuntime().features.overlays, nameOf(request))));

/** Sets them: `{ overlays, dryRun }`; a dry run answers with the diff and the apiserver's verdict and stores nothing. */
export const PUT = observed('/api/v1/routes/[name]/overlays', getRuntime, async (request: NextRequest) => {
  const rt = getRuntime();
  const body = await readJsonBody(request, rt.config.proxy.maxBodyBytes);
  if (!body.ok) return body.response;
  const change = parseOverlayChange(body.value);
  const { actor } = callerOf(rt.dashboardAuth, rt.config.dashboard.engineerTokens, request);
  return Response.json(await changeOverlays(rt.features.overlays, nameOf(request), change, actor));
});
