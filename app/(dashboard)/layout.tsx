import { ClockProvider } from '@/components/clock';
import { LiveProvider } from '@/components/live';
import { ModeBanner, type ModeSummary } from '@/components/ModeBanner';
import { Nav } from '@/components/Nav';
import { UnreachableBanner } from '@/components/ui';
import { getRuntime } from '@/lib/current-runtime';

export const dynamic = 'force-dynamic';

export default function DashboardLayout({ children }: { children: React.ReactNode }) {
  const { connection } = getRuntime();
  const summary: ModeSummary =
    connection.mode === 'cluster'
      ? { mode: 'cluster', server: connection.server, context: connection.context, namespace: connection.namespace }
      : { mode: 'local', dataDir: connection.dataDir, namespace: connection.namespace };
  // relative times render from this request's time, on the server and while the browser hydrates; a
  // server component runs once per request, so this is not the re-render instability the rule guards against
  // eslint-disable-next-line react-hooks/purity
  const renderedAt = Date.now();
  return (
    <ClockProvider renderedAt={renderedAt}>
      <LiveProvider>
        <ModeBanner summary={summary} />
        <UnreachableBanner />
        <Nav />
        <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
      </LiveProvider>
    </ClockProvider>
  );
}
