import { TrafficGraph } from '@/components/TrafficGraph';
import { PageFrame } from '@/components/ui';

export const dynamic = 'force-dynamic';

export default function Page() {
  return (
    <PageFrame title="Traffic">
      <TrafficGraph />
    </PageFrame>
  );
}
