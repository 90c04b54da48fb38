import { PreviewsPage } from '@/components/PreviewsPage';
import { PageFrame } from '@/components/ui';

export const dynamic = 'force-dynamic';

export default function Page() {
  return (
    <PageFrame title="Previews">
      <PreviewsPage />
    </PageFrame>
  );
}
