import { CacheTable } from '@/components/CacheTable';
import { ModeBanner, type ModeSummary } from '@/components/ModeBanner';
import { getRuntime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

export default async function HomePage() {
  const runtime = getRuntime();
  const { connection } = runtime;
  await Promise.all([runtime.virtualServices.cache.waitForSync(2000), runtime.pods.cache.waitForSync(2000), runtime.services.cache.waitForSync(2000)]);
  const summary: ModeSummary =
    connection.mode === 'cluster'
      ? { mode: 'cluster', server: connection.server, context: connection.context, namespace: connection.namespace }
      : { mode: 'local', dataDir: connection.dataDir, namespace: connection.namespace };
  return (
    <>
      <ModeBanner summary={summary} />
      <main className="mx-auto max-w-5xl px-6 py-8">
        <h1 className="text-2xl font-semibold tracking-tight">hubmesh</h1>
        <p className="mt-1 text-slate-600 dark:text-slate-400">
          JupyterHub routes served by Istio VirtualServices: {runtime.routes.size} {runtime.routes.size === 1 ? 'route' : 'routes'} on gateway{' '}
          <code>{runtime.gateway}</code>.
        </p>
        <section aria-labelledby="caches" className="mt-8">
          <h2 id="caches" className="text-lg font-medium">Watch caches</h2>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            Namespace <code>{connection.namespace}</code>; running since {runtime.startedAt.toISOString()}.
          </p>
          <div className="mt-3">
            <CacheTable
              rows={[
                { kind: 'VirtualServices (managed by hubmesh)', status: runtime.virtualServices.cache.status() },
                { kind: 'Pods', status: runtime.pods.cache.status() },
                { kind: 'Services', status: runtime.services.cache.status() },
              ]}
            />
          </div>
        </section>
      </main>
    </>
  );
}
