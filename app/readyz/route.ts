import { ApiError } from '@/lib/api-error';
import { errorResponse } from '@/lib/http/api';
import { getRuntime } from '@/lib/current-runtime';

// Readiness: the apiserver answers and the route cache is synced. While not ready, the Service
// sends the hub to another replica instead of one that would answer from a stale cache.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET() {
  let rt;
  try {
    rt = getRuntime();
  } catch (error) {
    return errorResponse(new ApiError(503, 'config', (error as Error).message));
  }
  const checks: Record<string, { ok: boolean; detail?: string }> = {};
  const routes = rt.routeObjects.cache.status();
  checks.routeCache = { ok: routes.synced, detail: routes.synced ? `${routes.objects} ${rt.config.proxy.routeApi === 'httproute' ? 'HTTPRoutes' : 'VirtualServices'}` : (routes.lastError ?? 'listing') };
  if (rt.connection.mode === 'cluster') {
    try {
      await rt.connection.rest.request({ method: 'GET', path: '/version', timeoutMs: 2000 });
      checks.apiserver = { ok: true };
    } catch (error) {
      checks.apiserver = { ok: false, detail: (error as Error).message };
    }
  }
  const ready = Object.values(checks).every((c) => c.ok);
  return Response.json({ status: ready ? 'ready' : 'not ready', mode: rt.connection.mode, checks }, { status: ready ? 200 : 503 });
}
