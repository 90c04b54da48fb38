import { IsolationPage } from '@/components/IsolationPage';
import { PageFrame } from '@/components/ui';

export const dynamic = 'force-dynamic';

export default function Page() {
  return (
    <PageFrame title="Isolation">
      <IsolationPage />
    </PageFrame>
  );
}
