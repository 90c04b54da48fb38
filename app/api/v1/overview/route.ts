import { freshness } from '@/lib/dashboard/api';
import { observed } from '@/lib/http/api';
import { getRuntime } from '@/lib/runtime';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = observed('/api/v1/overview', getRuntime, async () => {
  const rt = getRuntime();
  const d = rt.dashboard.dashboard();
  const podsByPhase: Record<string, number> = {};
  for (const p of d.pods) podsByPhase[p.phase] = (podsByPhase[p.phase] ?? 0) + 1;
  const c = rt.connection;
  const fresh = freshness(rt);
  // the mesh caches are listed too (a missing permission shows here), but only the console's own say whether its data is fresh
  const meshCaches = Object.fromEntries(Object.entries(rt.mesh?.all ?? {}).map(([name, cache]) => [name, cache.status()]));
  return Response.json({
    ...fresh,
    caches: { ...fresh.caches, ...meshCaches },
    mode: c.mode,
    cluster: c.mode === 'cluster' ? { server: c.server, context: c.context } : { dataDir: c.dataDir },
    namespace: c.namespace,
    gateway: rt.gateway,
    counts: {
      routes: d.routes.length,
      degradedRoutes: d.routes.filter((r) => r.status === 'degraded').length,
      usersWithServers: new Set(d.routes.filter((r) => r.user !== undefined).map((r) => r.user)).size,
      notebookPods: d.pods.length,
      podsByPhase,
      podsWithoutReadySidecar: d.pods.filter((p) => !p.sidecar.ready).length,
      podsWithWarnings: d.pods.filter((p) => p.warnings.length > 0).length,
    },
    expectedSidecarVersion: d.expectedSidecarVersion,
    recentChanges: rt.dashboard.recentChanges(),
  });
});
