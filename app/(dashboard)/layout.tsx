import { LiveProvider } from '@/components/live';
import { ModeBanner, type ModeSummary } from '@/components/ModeBanner';
import { Nav } from '@/components/Nav';
import { UnreachableBanner } from '@/components/ui';
import { getRuntime } from '@/lib/runtime';

export const dynamic = 'force-dynamic';

export default function DashboardLayout({ children }: { children: React.ReactNode }) {
  const { connection } = getRuntime();
  const summary: ModeSummary =
    connection.mode === 'cluster'
      ? { mode: 'cluster', server: connection.server, context: connection.context, namespace: connection.namespace }
      : { mode: 'local', dataDir: connection.dataDir, namespace: connection.namespace };
  return (
    <LiveProvider>
      <ModeBanner summary={summary} />
      <UnreachableBanner />
      <Nav />
      <main className="mx-auto max-w-7xl px-4 py-6">{children}</main>
    </LiveProvider>
  );
}
