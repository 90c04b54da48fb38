import { AuditList } from '@/components/AuditList';
import { PageFrame } from '@/components/ui';

export const dynamic = 'force-dynamic';

export default function Page() {
  return (
    <PageFrame title="Audit">
      <AuditList />
    </PageFrame>
  );
}
