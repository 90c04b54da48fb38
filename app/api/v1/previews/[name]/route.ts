import type { NextRequest } from 'next/server';
import { callerOf } from '@/lib/auth/actor';
import { observed, readJsonBody } from '@/lib/http/api';
import { deletePreview, extendPreview } from '@/lib/routes/previews-api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const nameOf = (request: NextRequest) => decodeURIComponent(request.nextUrl.pathname.split('/').pop() ?? '');

/** Extends a preview: `{ ttl, dryRun? }`, counted from now. */
export const PATCH = observed('/api/v1/previews/[name]', getRuntime, async (request: NextRequest) => {
  const rt = getRuntime();
  const body = await readJsonBody(request, rt.config.proxy.maxBodyBytes);
  if (!body.ok) return body.response;
  return Response.json(await extendPreview(rt.features.previews, nameOf(request), body.value, callerOf(rt.dashboardAuth, rt.config.dashboard.engineerTokens, request).actor));
});

export const DELETE = observed('/api/v1/previews/[name]', getRuntime, async (request: NextRequest) => {
  const rt = getRuntime();
  return Response.json(await deletePreview(rt.features.previews, nameOf(request), callerOf(rt.dashboardAuth, rt.config.dashboard.engineerTokens, request).actor));
});
