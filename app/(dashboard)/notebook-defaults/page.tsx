import { NotebookDefaultsPage } from '@/components/NotebookDefaultsPage';
import { PageFrame } from '@/components/ui';

export const dynamic = 'force-dynamic';

export default function Page() {
  return (
    <PageFrame title="Notebook defaults">
      <NotebookDefaultsPage />
    </PageFrame>
  );
}
