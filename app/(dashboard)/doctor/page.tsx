import { Doctor } from '@/components/Doctor';
import { PageFrame } from '@/components/ui';

export const dynamic = 'force-dynamic';

export default function Page() {
  return (
    <PageFrame title="Doctor">
      <Doctor />
    </PageFrame>
  );
}
